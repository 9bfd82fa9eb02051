// Capabilities, LSM profiles, seccomp, masked paths and resource limits of a container.

#include "crio/oci/spec.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"
#include "crio/oci/seccomp.h"

namespace crio::oci {
namespace {

using nlohmann::json;
using Caps = std::bitset<64>;
using ProfileType = runtime::v1::SecurityProfile::ProfileType;

// Indexed by capability number (linux/capability.h).
// clang-format off
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",                    //  0-4
    "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",                          //  5-9
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK",           // 10-14
    "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",                // 15-19
    "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE",                  // 20-24
    "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",                     // 25-29
    "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",                 // 30-34
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",                     // 35-39
    "CHECKPOINT_RESTORE"};                                                             // 40
// clang-format on

struct Rlimit {
  std::string_view name;
  std::string_view type;
};
constexpr std::array<Rlimit, 16> kRlimits = {{{"as", "RLIMIT_AS"},
                                              {"core", "RLIMIT_CORE"},
                                              {"cpu", "RLIMIT_CPU"},
                                              {"data", "RLIMIT_DATA"},
                                              {"fsize", "RLIMIT_FSIZE"},
                                              {"locks", "RLIMIT_LOCKS"},
                                              {"memlock", "RLIMIT_MEMLOCK"},
                                              {"msgqueue", "RLIMIT_MSGQUEUE"},
                                              {"nice", "RLIMIT_NICE"},
                                              {"nofile", "RLIMIT_NOFILE"},
                                              {"nproc", "RLIMIT_NPROC"},
                                              {"rss", "RLIMIT_RSS"},
                                              {"rtprio", "RLIMIT_RTPRIO"},
                                              {"rttime", "RLIMIT_RTTIME"},
                                              {"sigpending", "RLIMIT_SIGPENDING"},
                                              {"stack", "RLIMIT_STACK"}}};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsAll(std::string_view name) { return Upper(name) == "ALL"; }

absl::StatusOr<int> CapabilityNumber(std::string_view name) {
  std::string upper = Upper(name);
  std::string_view bare = upper;
  if (bare.substr(0, 4) == "CAP_") bare.remove_prefix(4);
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (kCapabilityNames[i] == bare) return static_cast<int>(i);
  }
  return absl::InvalidArgumentError(StrCat("unknown capability \"", name, "\""));
}

Caps BoundingSet() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapBnd:", 0) != 0) continue;
    std::string_view hex = line;
    hex.remove_prefix(7);
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front())))
      hex.remove_prefix(1);
    uint64_t mask = 0;
    std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
    return Caps(mask);
  }
  return Caps();
}

json CapabilityNames(const Caps& caps) {
  json names = json::array();
  for (size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (caps.test(i)) names.push_back(StrCat("CAP_", kCapabilityNames[i]));
  }
  return names;
}

template <class Names>
absl::Status AddNames(const Names& names, Caps& caps, bool set) {
  for (const auto& name : names) {
    if (IsAll(name)) continue;
    absl::StatusOr<int> number = CapabilityNumber(name);
    if (!number.ok()) return number.status();
    caps.set(static_cast<size_t>(*number), set);
  }
  return absl::OkStatus();
}

absl::StatusOr<Caps> ContainerCapabilities(const SpecInputs& in) {
  const auto& sc = in.config->linux().security_context();
  Caps bounding = BoundingSet();
  if (sc.privileged()) return bounding;
  const auto& requested = sc.capabilities();
  if (requested.add_ambient_capabilities_size() > 0) {
    return absl::UnimplementedError("ambient capabilities are not supported yet");
  }
  Caps caps;
  if (absl::Status s = AddNames(in.default_capabilities, caps, true); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("default_capabilities: ", s.message()));
  }
  auto has_all = [](const auto& names) { return std::any_of(names.begin(), names.end(), IsAll); };
  // "ALL" means what we can hand out: a capability outside our own bounding set cannot be granted.
  if (has_all(requested.add_capabilities())) caps = bounding;
  if (has_all(requested.drop_capabilities())) caps.reset();
  if (absl::Status s = AddNames(requested.add_capabilities(), caps, true); !s.ok()) return s;
  if (absl::Status s = AddNames(requested.drop_capabilities(), caps, false); !s.ok()) return s;
  return caps;
}

struct Profile {
  bool set = false;
  ProfileType type = runtime::v1::SecurityProfile::Unconfined;
  std::string ref;
};

// The deprecated string selectors ("runtime/default", "unconfined", "localhost/<ref>") are what
// older kubelets send; the structured field wins when present.
absl::StatusOr<Profile> SelectProfile(bool has_field, const runtime::v1::SecurityProfile& field,
                                      const std::string& legacy, const char* what) {
  Profile p;
  if (has_field) {
    p.set = true;
    p.type = field.profile_type();
    p.ref = field.localhost_ref();
    return p;
  }
  if (legacy.empty()) return p;
  p.set = true;
  if (legacy == "unconfined") {
    p.type = runtime::v1::SecurityProfile::Unconfined;
  } else if (legacy == "runtime/default" || legacy == "docker/default") {
    p.type = runtime::v1::SecurityProfile::RuntimeDefault;
  } else if (legacy.rfind("localhost/", 0) == 0) {
    p.type = runtime::v1::SecurityProfile::Localhost;
    p.ref = legacy.substr(10);
  } else {
    return absl::InvalidArgumentError(StrCat("unknown ", what, " profile \"", legacy, "\""));
  }
  return p;
}

// The deprecated selectors are still what older kubelets fill in, so they are read on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
const std::string& LegacySeccomp(const runtime::v1::LinuxContainerSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
const std::string& LegacyAppArmor(const runtime::v1::LinuxContainerSecurityContext& sc) {
  return sc.apparmor_profile();
}
#pragma GCC diagnostic pop

// linux.seccomp. `capabilities` are the container's effective ones: the built-in profile and
// Docker-format files unlock syscalls by them.
absl::Status AddSeccomp(const SpecInputs& in, const std::vector<std::string>& capabilities,
                        json& linux_section) {
  const auto& sc = in.config->linux().security_context();
  absl::StatusOr<Profile> p =
      SelectProfile(sc.has_seccomp(), sc.seccomp(), LegacySeccomp(sc), "seccomp");
  if (!p.ok()) return p.status();
  absl::StatusOr<json> profile;
  // crio.conf privileged_seccomp_profile (as CRI-O: a local file, like a Localhost reference):
  // privileged containers run under it whatever they ask for, instead of unconfined.
  if (sc.privileged() && !in.privileged_seccomp_profile.empty()) {
    if (!std::filesystem::path(in.privileged_seccomp_profile).is_absolute()) {
      return absl::InvalidArgumentError(StrCat("crio.conf privileged_seccomp_profile \"",
                                               in.privileged_seccomp_profile,
                                               "\" is not an absolute path"));
    }
    profile = LoadSeccompProfile(in.privileged_seccomp_profile, capabilities);
    if (!profile.ok()) {
      return absl::Status(profile.status().code(), StrCat("crio.conf privileged_seccomp_profile: ",
                                                          profile.status().message()));
    }
    linux_section["seccomp"] = std::move(*profile);
    return absl::OkStatus();
  }
  if (!p->set) return absl::OkStatus();
  switch (p->type) {
    case runtime::v1::SecurityProfile::Unconfined:
      return absl::OkStatus();
    case runtime::v1::SecurityProfile::RuntimeDefault:
      // Kubernetes runs privileged containers unconfined, and with SeccompDefault the kubelet
      // asks for RuntimeDefault on every container, privileged ones included: here it is not a
      // deliberate request, and a filter would break what privileged pods exist to do.
      if (sc.privileged()) return absl::OkStatus();
      if (in.seccomp_profile_path.empty()) {
        profile = DefaultSeccompProfile(capabilities);
      } else {
        profile = LoadSeccompProfile(in.seccomp_profile_path, capabilities);
        if (!profile.ok()) {
          return absl::Status(profile.status().code(),
                              StrCat("crio.conf seccomp_profile: ", profile.status().message()));
        }
      }
      break;
    case runtime::v1::SecurityProfile::Localhost: {
      // Only the pod's author names a file, so it applies to privileged containers too.
      std::string path = p->ref;
      if (path.rfind("localhost/", 0) == 0) path.erase(0, 10);
      if (path.empty())
        return absl::InvalidArgumentError("seccomp profile Localhost names no file");
      // A relative path would be read from wherever the daemon happens to run.
      if (!std::filesystem::path(path).is_absolute()) {
        return absl::InvalidArgumentError(
            StrCat("seccomp profile Localhost \"", path, "\" is not an absolute path"));
      }
      profile = LoadSeccompProfile(path, capabilities);
      break;
    }
    default:
      return absl::InvalidArgumentError(
          StrCat("unknown seccomp profile type ", static_cast<int>(p->type)));
  }
  if (!profile.ok()) return profile.status();
  linux_section["seccomp"] = std::move(*profile);
  return absl::OkStatus();
}

absl::Status AddAppArmor(const runtime::v1::LinuxContainerSecurityContext& sc, const HostLsm& lsm,
                         const std::string& default_profile, json& process,
                         std::vector<std::string>& notes) {
  absl::StatusOr<Profile> p =
      SelectProfile(sc.has_apparmor(), sc.apparmor(), LegacyAppArmor(sc), "apparmor");
  if (!p.ok()) return p.status();
  if (!lsm.apparmor) {
    if (p->set && p->type != runtime::v1::SecurityProfile::Unconfined) {
      notes.emplace_back("apparmor profile ignored: AppArmor is not enabled on this host");
    }
    return absl::OkStatus();
  }
  // Nothing chosen means RuntimeDefault, as in CRI-O (and as the CRI's enum default says).
  runtime::v1::SecurityProfile::ProfileType type =
      p->set ? p->type : runtime::v1::SecurityProfile::RuntimeDefault;
  switch (type) {
    case runtime::v1::SecurityProfile::Unconfined:
      process["apparmorProfile"] = "unconfined";
      return absl::OkStatus();
    case runtime::v1::SecurityProfile::Localhost: {
      std::string name = p->ref;
      if (name.rfind("localhost/", 0) == 0) name.erase(0, 10);
      if (name.empty())
        return absl::InvalidArgumentError("apparmor profile Localhost names no profile");
      process["apparmorProfile"] = name;
      return absl::OkStatus();
    }
    case runtime::v1::SecurityProfile::RuntimeDefault:
      // Kubernetes leaves privileged containers unconfined unless they name a profile.
      if (sc.privileged()) return absl::OkStatus();
      // The daemon loaded it at startup (PrepareAppArmor).
      process["apparmorProfile"] = default_profile.empty() ? "crio-default" : default_profile;
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          StrCat("unknown apparmor profile type ", static_cast<int>(type)));
  }
}

void AddSelinux(const SpecInputs& in, const HostLsm& host, json& spec,
                std::vector<std::string>& notes) {
  const auto& o = in.config->linux().security_context().selinux_options();
  bool has_options =
      !o.user().empty() || !o.role().empty() || !o.type().empty() || !o.level().empty();
  const SelinuxLabels& labels = in.selinux_labels;
  if (labels.empty()) {
    if (!has_options) return;
    if (!host.selinux) {
      notes.emplace_back("selinux options ignored: SELinux is not enabled on this host");
    } else if (!in.selinux) {
      notes.emplace_back("selinux options ignored: SELinux labeling is off (crio.runtime.selinux)");
    } else {
      notes.emplace_back("selinux options ignored: the pod runs without SELinux separation");
    }
    return;
  }
  // The caller computed them (ContainerSelinuxLabels): the rootfs was mounted with the same
  // mount label before the spec was written.
  if (!labels.process.empty()) spec["process"]["selinuxLabel"] = labels.process;
  if (!labels.mount.empty()) spec["linux"]["mountLabel"] = labels.mount;
}

absl::StatusOr<uint64_t> RlimitValue(std::string_view text) {
  // -1 is how Docker's --ulimit and crio.conf spell "unlimited".
  if (text == "-1") return std::numeric_limits<uint64_t>::max();
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is not a limit"));
  }
  return value;
}

absl::StatusOr<json> Rlimits(const std::vector<std::string>& ulimits) {
  json out = json::array();
  for (const auto& entry : ulimits) {
    auto bad = [&entry](std::string_view why) {
      return absl::InvalidArgumentError(StrCat("default_ulimits entry \"", entry, "\": ", why));
    };
    size_t eq = entry.find('=');
    if (eq == std::string::npos) return bad("expected name=soft:hard");
    std::string_view name = std::string_view(entry).substr(0, eq);
    std::string_view values = std::string_view(entry).substr(eq + 1);
    auto it = std::find_if(kRlimits.begin(), kRlimits.end(),
                           [&](const Rlimit& r) { return r.name == name; });
    if (it == kRlimits.end()) return bad("unknown resource");
    size_t colon = values.find(':');
    absl::StatusOr<uint64_t> soft = RlimitValue(values.substr(0, colon));
    absl::StatusOr<uint64_t> hard =
        colon == std::string_view::npos ? soft : RlimitValue(values.substr(colon + 1));
    if (!soft.ok()) return bad(View(soft.status().message()));
    if (!hard.ok()) return bad(View(hard.status().message()));
    if (*soft > *hard) return bad("the soft limit is above the hard limit");
    for (auto& existing : out) {
      if (existing["type"] == it->type) return bad("resource given twice");
    }
    out.push_back({{"type", it->type}, {"soft", *soft}, {"hard", *hard}});
  }
  return out;
}

}  // namespace

HostLsm DetectHostLsm() {
  struct stat st {};
  HostLsm lsm;
  lsm.apparmor = ::stat("/sys/kernel/security/apparmor", &st) == 0;
  lsm.selinux = ::stat("/sys/fs/selinux/enforce", &st) == 0;
  return lsm;
}

std::vector<std::string> DaemonBoundingCapabilities() {
  return CapabilityNames(BoundingSet()).get<std::vector<std::string>>();
}

namespace spec_internal {

absl::Status AddSecurity(const SpecInputs& in, json& spec, std::vector<std::string>& notes) {
  const auto& sc = in.config->linux().security_context();
  json& process = spec["process"];

  absl::StatusOr<Caps> caps = ContainerCapabilities(in);
  if (!caps.ok()) return caps.status();
  json names = CapabilityNames(*caps);
  process["capabilities"] = {
      {"bounding", names},
      {"effective", names},
      {"permitted", names},
      // Empty unless asked: an inheritable capability survives an exec
      // of a file with matching file capabilities, which a container's
      // non-root processes should not get by default (CVE-2022-24769).
      {"inheritable", in.add_inheritable_capabilities ? names : json::array()},
      {"ambient", json::array()}};
  // A privileged container may escalate by definition; the crio.conf default applies to the rest.
  process["noNewPrivileges"] =
      sc.no_new_privs() || (in.no_new_privileges_default && !sc.privileged());

  absl::StatusOr<json> rlimits = Rlimits(in.default_ulimits);
  if (!rlimits.ok()) return rlimits.status();
  if (!rlimits->empty()) process["rlimits"] = *rlimits;

  if (absl::Status s = AddSeccomp(in, names.get<std::vector<std::string>>(), spec["linux"]);
      !s.ok()) {
    return s;
  }
  HostLsm host = in.lsm_probe ? in.lsm_probe() : DetectHostLsm();
  if (absl::Status s = AddAppArmor(sc, host, in.apparmor_profile, process, notes); !s.ok())
    return s;
  AddSelinux(in, host, spec, notes);

  // procMount Unmasked: the kubelet sends both lists empty, and Kubernetes allows it only in a
  // pod with a user namespace of its own (an empty list and none are the same on the wire). So in
  // such a pod no lists means unmasked, from any client; elsewhere a client that sends none
  // (crictl) gets the default lists.
  bool unmasked =
      !in.pod.user_ns.empty() && sc.masked_paths_size() == 0 && sc.readonly_paths_size() == 0;
  if (unmasked && !sc.privileged()) {
    notes.emplace_back(
        "proc mount Unmasked: no masked or read-only paths (the pod has its own "
        "user namespace and the CRI sent no paths)");
  }
  if (!sc.privileged() && !unmasked) {
    json& linux_section = spec["linux"];
    linux_section["maskedPaths"] =
        sc.masked_paths_size() > 0
            ? std::vector<std::string>(sc.masked_paths().begin(), sc.masked_paths().end())
            : DefaultMaskedPaths();
    linux_section["readonlyPaths"] =
        sc.readonly_paths_size() > 0
            ? std::vector<std::string>(sc.readonly_paths().begin(), sc.readonly_paths().end())
            : DefaultReadonlyPaths();
  }
  return absl::OkStatus();
}

}  // namespace spec_internal
const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> paths = {"/proc/asound",
                                                 "/proc/acpi",
                                                 "/proc/kcore",
                                                 "/proc/keys",
                                                 "/proc/latency_stats",
                                                 "/proc/timer_list",
                                                 "/proc/timer_stats",
                                                 "/proc/sched_debug",
                                                 "/proc/scsi",
                                                 "/sys/firmware",
                                                 "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

}  // namespace crio::oci
