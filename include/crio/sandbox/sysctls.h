#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::sandbox {

// The namespace a sysctl belongs to; kNone for the node-wide ones no pod may set.
enum class SysctlNamespace { kNone, kNet, kIpc, kUts };

SysctlNamespace NamespaceOfSysctl(const std::string& name);

// Kubernetes allows "net/ipv4/ip_forward"-style names; they become dotted ones.
std::string NormalizeSysctlName(const std::string& name);

struct PodNamespaces {
  bool host_network = false;
  bool host_ipc = false;
};

// The sysctls to apply in a pod's namespaces: `defaults` (crio.conf default_sysctls, "k=v"
// items; those that cannot apply to this pod are dropped) overridden by the pod's own. A pod
// sysctl that is not namespaced, or whose namespace is the host's, is an InvalidArgument error
// naming it.
absl::StatusOr<std::map<std::string, std::string>> PodSysctls(
    const std::map<std::string, std::string>& requested, const std::vector<std::string>& defaults,
    const PodNamespaces& namespaces);

}  // namespace crio::sandbox
