#include "crio/sandbox/sysctls.h"

#include <array>

#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio::sandbox {
namespace {

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Where the kernel keeps a sysctl per IPC namespace (see ipc_sysctl.c and mq_sysctl.c).
constexpr std::array<std::string_view, 9> kIpcSysctls = {
    "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
    "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax",
    "kernel.msgmnb", "kernel.msgmni",          "kernel.auto_msgmni"};

std::string_view NamespaceName(SysctlNamespace ns) {
  switch (ns) {
    case SysctlNamespace::kNet:
      return "network";
    case SysctlNamespace::kIpc:
      return "IPC";
    case SysctlNamespace::kUts:
      return "UTS";
    case SysctlNamespace::kNone:
      break;
  }
  return "node";
}

// Empty when `name` can be set for a pod with `namespaces`, the reason otherwise.
std::string WhyNotApplicable(const std::string& name, const PodNamespaces& namespaces) {
  SysctlNamespace ns = NamespaceOfSysctl(name);
  if (ns == SysctlNamespace::kNone) {
    return StrCat("sysctl \"", name, "\" is not namespaced: it would change the whole node");
  }
  bool shared_with_host = (ns == SysctlNamespace::kNet && namespaces.host_network) ||
                          (ns == SysctlNamespace::kIpc && namespaces.host_ipc) ||
                          (ns == SysctlNamespace::kUts && namespaces.host_network);
  if (shared_with_host) {
    return StrCat("sysctl \"", name, "\" cannot be set: the pod uses the host's ",
                  NamespaceName(ns), " namespace");
  }
  return {};
}

}  // namespace

std::string NormalizeSysctlName(const std::string& name) {
  if (name.find('/') == std::string::npos) return name;
  // In the slash form dots are part of a component ("net/ipv4/conf/eth0.100/forwarding"), so the
  // two separators swap.
  std::string out = name;
  for (char& c : out) {
    if (c == '/') {
      c = '.';
    } else if (c == '.') {
      c = '/';
    }
  }
  return out;
}

SysctlNamespace NamespaceOfSysctl(const std::string& name) {
  if (StartsWith(name, "net.")) return SysctlNamespace::kNet;
  if (StartsWith(name, "fs.mqueue.")) return SysctlNamespace::kIpc;
  for (std::string_view ipc : kIpcSysctls) {
    if (name == ipc) return SysctlNamespace::kIpc;
  }
  if (name == "kernel.hostname" || name == "kernel.domainname") return SysctlNamespace::kUts;
  return SysctlNamespace::kNone;
}

absl::StatusOr<std::map<std::string, std::string>> PodSysctls(
    const std::map<std::string, std::string>& requested, const std::vector<std::string>& defaults,
    const PodNamespaces& namespaces) {
  std::map<std::string, std::string> out;
  for (const std::string& item : defaults) {
    size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          StrCat("default_sysctls: \"", item, "\" is not of the form name=value"));
    }
    std::string name = NormalizeSysctlName(item.substr(0, equals));
    if (std::string why = WhyNotApplicable(name, namespaces); !why.empty()) {
      spdlog::debug("default sysctl skipped for this pod: {}", why);
      continue;
    }
    out[name] = item.substr(equals + 1);
  }
  for (const auto& [raw_name, value] : requested) {
    std::string name = NormalizeSysctlName(raw_name);
    if (name == "kernel.hostname") {
      return absl::InvalidArgumentError(
          "sysctl \"kernel.hostname\" cannot be set: the pod's hostname comes from its config");
    }
    if (std::string why = WhyNotApplicable(name, namespaces); !why.empty()) {
      return absl::InvalidArgumentError(why);
    }
    if (value.find_first_of("\n+") != std::string::npos) {
      return absl::InvalidArgumentError(StrCat("sysctl \"", name, "\" has an invalid value"));
    }
    out[name] = value;
  }
  return out;
}

}  // namespace crio::sandbox
