#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::sandbox {

// A pod's DNS settings as the CRI's DNSConfig carries them.
struct DnsSettings {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;

  bool empty() const { return servers.empty() && searches.empty() && options.empty(); }
};

// resolv.conf for `dns`; nullopt-like empty string is never returned: an empty `dns` means the
// caller copies the host's file instead (see WriteResolvConf).
std::string RenderResolvConf(const DnsSettings& dns);

// /etc/hosts of a pod with its own network: the localhost lines, then each pod IP with the
// hostname.
std::string RenderHosts(const std::string& hostname, const std::vector<std::string>& pod_ips);

// Writes `path`: rendered from `dns`, or a copy of `host_resolv_conf` when `dns` is empty (as
// CRI-O does, so a pod without DNS settings resolves like the node).
absl::Status WriteResolvConf(const std::filesystem::path& path, const DnsSettings& dns,
                             const std::filesystem::path& host_resolv_conf = "/etc/resolv.conf");

// The pod's own tmpfs for /dev/shm (nosuid, nodev, noexec, mode 1777), `size_bytes` large, its
// files labeled `mount_label` when there is one.
absl::Status MountShm(const std::filesystem::path& path, uint64_t size_bytes,
                      const std::string& mount_label = "");
// Unmounts it; a path that is not mounted (or gone) is success.
absl::Status UnmountShm(const std::filesystem::path& path);

// The /dev/shm size a pod asks for with the shm-size annotation (CRI-O's `shm-size.crio.io`,
// and the older `io.kubernetes.cri-o.ShmSize`), a Kubernetes quantity; `fallback` when absent.
absl::StatusOr<uint64_t> ShmSizeFromAnnotations(
    const std::map<std::string, std::string>& annotations, uint64_t fallback);

// A Kubernetes resource quantity ("64Mi", "1G", "512k", "1048576") in bytes.
absl::StatusOr<uint64_t> ParseQuantity(const std::string& text);

}  // namespace crio::sandbox
