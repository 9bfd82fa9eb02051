#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "crio/network/bandwidth.h"

namespace crio::network {

struct CniOptions {
  std::filesystem::path network_dir = "/etc/cni/net.d";
  std::vector<std::filesystem::path> plugin_dirs = {"/opt/cni/bin"};
  // crio.conf's cni_default_network: "" takes the first valid file in network_dir.
  std::string default_network;
  // Results are cached in <cache_dir>/results/, where libcni (and so CRI-O) keeps them.
  std::filesystem::path cache_dir = "/var/lib/cni";
  // Bound on one plugin call. Generous, since IPAM plugins may wait on a lock or a DHCP server,
  // yet well under the kubelet's two-minute runtime request timeout.
  absl::Duration plugin_timeout = absl::Seconds(60);
  // Reload on changes to network_dir (inotify), so a network provider that writes its
  // configuration after we start makes the node ready without a restart.
  bool watch = true;
};

struct PortMapping {
  std::string protocol;  // "tcp", "udp" or "sctp", lower-case
  int container_port = 0;
  int host_port = 0;
  std::string host_ip;  // "" binds every address
};

struct DnsConfig {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

// What one attachment of a pod to the default network needs.
struct PodNetwork {
  std::string pod_id;           // CNI_CONTAINERID and K8S_POD_INFRA_CONTAINER_ID
  std::string name;             // K8S_POD_NAME
  std::string namespace_name;   // K8S_POD_NAMESPACE
  std::string uid;              // K8S_POD_UID
  std::filesystem::path netns;  // CNI_NETNS
  std::string ifname = "eth0";
  // The runtimeConfig capability arguments; each reaches only the plugins that declare it.
  std::vector<PortMapping> port_mappings;          // portMappings
  std::optional<Bandwidth> bandwidth;              // bandwidth
  std::vector<std::string> ip_ranges;              // ipRanges: one range set per pod CIDR
  std::optional<DnsConfig> dns;                    // dns
  std::string cgroup_path;                         // cgroupPath
  std::map<std::string, std::string> annotations;  // io.kubernetes.cri.pod-annotations
};

struct PodIp {
  std::string address;  // without the prefix length
  int prefix_length = 0;
  std::string gateway;  // "" when the result names none
  std::string interface_name;
};

struct AttachResult {
  std::string network_name;
  std::vector<PodIp> ips;
  std::string result_json;  // the final CNI result, as the chain's last plugin printed it
};

}  // namespace crio::network
