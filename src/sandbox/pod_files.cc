#include "crio/sandbox/pod_files.h"

#include <sys/mount.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"
#include "crio/oci/selinux.h"

namespace crio::sandbox {

std::string RenderResolvConf(const DnsSettings& dns) {
  std::string out;
  if (!dns.searches.empty()) out += StrCat("search ", StrJoin(dns.searches, " "), "\n");
  for (const std::string& server : dns.servers) out += StrCat("nameserver ", server, "\n");
  if (!dns.options.empty()) out += StrCat("options ", StrJoin(dns.options, " "), "\n");
  return out;
}

std::string RenderHosts(const std::string& hostname, const std::vector<std::string>& pod_ips) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  for (const std::string& ip : pod_ips) out += StrCat(ip, "\t", hostname, "\n");
  return out;
}

absl::Status WriteResolvConf(const std::filesystem::path& path, const DnsSettings& dns,
                             const std::filesystem::path& host_resolv_conf) {
  if (!dns.empty())
    return WriteFileAtomically(path, RenderResolvConf(dns), 0644, Durability::kVolatile);
  absl::StatusOr<std::string> host = ReadFile(host_resolv_conf);
  if (!host.ok()) {
    // A node without a resolv.conf still runs pods; they just get no resolver settings.
    if (absl::IsNotFound(host.status()))
      return WriteFileAtomically(path, "", 0644, Durability::kVolatile);
    return host.status();
  }
  return WriteFileAtomically(path, *host, 0644, Durability::kVolatile);
}

absl::Status MountShm(const std::filesystem::path& path, uint64_t size_bytes,
                      const std::string& mount_label) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return absl::InternalError(StrCat("creating ", path.string(), ": ", error.message()));
  std::string data = StrCat("mode=1777,size=", size_bytes);
  if (!mount_label.empty()) StrAppend(&data, ",", oci::SelinuxMountContext(mount_label));
  if (mount("shm", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str()) != 0) {
    return absl::InternalError(
        StrCat("mounting the pod's /dev/shm at ", path.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status UnmountShm(const std::filesystem::path& path) {
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return absl::InternalError(StrCat("unmounting ", path.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseQuantity(const std::string& text) {
  static const std::pair<const char*, double> kSuffixes[] = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"k", 1e3},     {"K", 1e3},        {"M", 1e6},           {"G", 1e9},
      {"T", 1e12},    {"m", 1e-3}};
  std::string number = text;
  double multiplier = 1;
  for (const auto& [suffix, factor] : kSuffixes) {
    size_t length = std::strlen(suffix);
    if (number.size() > length && number.compare(number.size() - length, length, suffix) == 0) {
      number.resize(number.size() - length);
      multiplier = factor;
      break;
    }
  }
  if (number.empty() || number.find_first_not_of("0123456789.") != std::string::npos) {
    return absl::InvalidArgumentError(StrCat("invalid quantity \"", text, "\""));
  }
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end == nullptr || *end != '\0') {
    return absl::InvalidArgumentError(StrCat("invalid quantity \"", text, "\""));
  }
  return static_cast<uint64_t>(std::ceil(value * multiplier));
}

absl::StatusOr<uint64_t> ShmSizeFromAnnotations(
    const std::map<std::string, std::string>& annotations, uint64_t fallback) {
  for (const char* key : {"shm-size.crio.io", "io.kubernetes.cri-o.ShmSize"}) {
    auto found = annotations.find(key);
    if (found == annotations.end()) continue;
    absl::StatusOr<uint64_t> size = ParseQuantity(found->second);
    if (!size.ok()) {
      return absl::InvalidArgumentError(
          StrCat("annotation ", key, ": ", View(size.status().message())));
    }
    if (*size == 0) return absl::InvalidArgumentError(StrCat("annotation ", key, ": size is 0"));
    return *size;
  }
  return fallback;
}

}  // namespace crio::sandbox
