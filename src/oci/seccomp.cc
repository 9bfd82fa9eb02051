// Seccomp profile files (Docker or OCI format) to linux.seccomp, and the libseccomp checks that
// every profile goes through.

#include "crio/oci/seccomp.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::oci {
namespace seccomp_internal {
namespace {

using nlohmann::json;

struct Arch {
  std::string_view name;
  uint32_t token;
  std::string_view go_arch;  // "" when Docker profiles have no name for it
};

constexpr std::array<Arch, 19> kArches = {{
    {"SCMP_ARCH_X86", SCMP_ARCH_X86, "386"},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, "amd64"},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32, ""},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM, "arm"},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, "arm64"},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, "mips"},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, "mips64"},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, ""},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, "mipsle"},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, "mips64le"},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, ""},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC, ""},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, "ppc64"},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, "ppc64le"},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390, "s390"},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X, "s390x"},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC, ""},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64, ""},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, "riscv64"},
}};

constexpr std::array<std::string_view, 9> kActions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};

constexpr std::array<std::string_view, 7> kOperators = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

// libseccomp numbers a name it knows but that the architecture lacks from -10000 down; the
// socketcall/ipc multiplexed calls (-101..-299) are real on x86 and resolved by libseccomp.
constexpr int kFirstAbsentPseudoSyscall = -10000;

// Syscall errors are returned as -errno, which the kernel caps at 4095.
constexpr uint64_t kMaxErrno = 4095;

constexpr size_t kMaxProfileBytes = 4 << 20;

const Arch* FindArch(std::string_view name) {
  for (const Arch& arch : kArches) {
    if (arch.name == name) return &arch;
  }
  return nullptr;
}

const Arch* FindArch(uint32_t token) {
  for (const Arch& arch : kArches) {
    if (arch.token == token) return &arch;
  }
  return nullptr;
}

std::string BareCapability(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out.rfind("CAP_", 0) == 0) out.erase(0, 4);
  return out;
}

template <class Container>
bool Contains(const Container& items, std::string_view value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

std::optional<std::pair<int, int>> ParseKernelVersion(std::string_view text) {
  int major = 0;
  int minor = 0;
  const char* end = text.data() + text.size();
  auto [after_major, ec1] = std::from_chars(text.data(), end, major);
  if (ec1 != std::errc() || after_major == end || *after_major != '.') return std::nullopt;
  auto [after_minor, ec2] = std::from_chars(after_major + 1, end, minor);
  if (ec2 != std::errc()) return std::nullopt;
  return std::make_pair(major, minor);
}

// The profile document is checked as it is read, so each message can say where the fault is.
class Converter {
 public:
  Converter(const std::vector<std::string>& capabilities, const Target& target,
            std::vector<std::string>* unknown)
      : capabilities_(capabilities), target_(target), unknown_(unknown) {}

  absl::StatusOr<json> Convert(const json& profile) {
    if (!profile.is_object()) return Invalid("", "the profile is not a JSON object");
    json out = json::object();

    absl::StatusOr<std::string> default_action = Action(profile, "defaultAction", "", true);
    if (!default_action.ok()) return default_action.status();
    if (*default_action == "SCMP_ACT_NOTIFY") {
      return Invalid("defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
    }
    out["defaultAction"] = *default_action;
    absl::StatusOr<std::optional<uint64_t>> default_errno =
        Unsigned(profile, "defaultErrnoRet", "", kMaxErrno);
    if (!default_errno.ok()) return default_errno.status();
    if (default_errno->has_value()) out["defaultErrnoRet"] = **default_errno;

    absl::StatusOr<std::vector<std::string>> arches = Architectures(profile);
    if (!arches.ok()) return arches.status();
    if (!arches->empty()) out["architectures"] = *arches;
    // Without a list, runtimes filter the machine's own architecture only.
    validation_arches_ = *arches;
    if (arches->empty() && !target_.architectures.empty())
      validation_arches_ = {target_.architectures.front()};

    for (const char* key : {"listenerPath", "listenerMetadata"}) {
      absl::StatusOr<std::optional<std::string>> value = String(profile, key, "");
      if (!value.ok()) return value.status();
      if (value->has_value()) out[key] = **value;
    }
    absl::StatusOr<std::vector<std::string>> flags = Strings(profile, "flags", "");
    if (!flags.ok()) return flags.status();
    if (!flags->empty()) out["flags"] = *flags;

    json rules = json::array();
    auto syscalls = profile.find("syscalls");
    if (syscalls != profile.end() && !syscalls->is_null()) {
      if (!syscalls->is_array()) return Invalid("syscalls", "is not a list");
      for (size_t i = 0; i < syscalls->size(); ++i) {
        absl::StatusOr<std::optional<json>> rule =
            Rule((*syscalls)[i], StrCat("syscalls[", i, "]"));
        if (!rule.ok()) return rule.status();
        if (rule->has_value()) rules.push_back(std::move(**rule));
      }
    }
    for (const json& rule : rules) {
      if (rule["action"] == "SCMP_ACT_NOTIFY" && !out.contains("listenerPath")) {
        return Invalid("syscalls", "SCMP_ACT_NOTIFY needs a listenerPath");
      }
    }
    out["syscalls"] = std::move(rules);
    return out;
  }

 private:
  std::string_view NativeArch() const {
    return target_.architectures.empty() ? std::string_view() : target_.architectures.front();
  }

  static absl::Status Invalid(std::string_view where, std::string_view why) {
    if (where.empty()) return absl::InvalidArgumentError(std::string(why));
    return absl::InvalidArgumentError(StrCat(where, ": ", why));
  }

  static std::string Path(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : StrCat(parent, ".", key);
  }

  static absl::StatusOr<std::optional<std::string>> String(const json& object, const char* key,
                                                           std::string_view where) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return Invalid(Path(where, key), "is not a string");
    return std::optional<std::string>(it->get<std::string>());
  }

  static absl::StatusOr<std::vector<std::string>> Strings(const json& object, const char* key,
                                                          std::string_view where) {
    std::vector<std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return out;
    if (!it->is_array()) return Invalid(Path(where, key), "is not a list");
    for (const json& item : *it) {
      if (!item.is_string()) return Invalid(Path(where, key), "holds a non-string");
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  static absl::StatusOr<std::optional<uint64_t>> Unsigned(const json& object, const char* key,
                                                          std::string_view where, uint64_t max) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::optional<uint64_t>();
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
      return Invalid(Path(where, key), "is not a non-negative integer");
    }
    uint64_t value = it->get<uint64_t>();
    if (value > max) return Invalid(Path(where, key), StrCat(value, " is above ", max));
    return std::optional<uint64_t>(value);
  }

  static absl::StatusOr<std::string> Action(const json& object, const char* key,
                                            std::string_view where, bool required) {
    absl::StatusOr<std::optional<std::string>> action = String(object, key, where);
    if (!action.ok()) return action.status();
    if (!action->has_value()) {
      if (required) return Invalid(Path(where, key), "is missing");
      return std::string();
    }
    if (!Contains(kActions, **action)) {
      return Invalid(Path(where, key), StrCat("unknown action \"", **action, "\""));
    }
    return **action;
  }

  absl::StatusOr<std::vector<std::string>> Architectures(const json& profile) {
    absl::StatusOr<std::vector<std::string>> listed = Strings(profile, "architectures", "");
    if (!listed.ok()) return listed.status();
    std::vector<std::string> arches = *listed;
    auto map = profile.find("archMap");
    if (map != profile.end() && !map->is_null()) {
      if (!map->is_array()) return Invalid("archMap", "is not a list");
      // Both at once is ambiguous: which one was meant to win is anyone's guess.
      if (!arches.empty() && !map->empty()) {
        return Invalid("", "architectures and archMap are both given; use one of them");
      }
      for (size_t i = 0; i < map->size(); ++i) {
        const json& entry = (*map)[i];
        std::string where = StrCat("archMap[", i, "]");
        if (!entry.is_object()) return Invalid(where, "is not an object");
        absl::StatusOr<std::optional<std::string>> arch = String(entry, "architecture", where);
        if (!arch.ok()) return arch.status();
        if (!arch->has_value()) return Invalid(Path(where, "architecture"), "is missing");
        absl::StatusOr<std::vector<std::string>> subs = Strings(entry, "subArchitectures", where);
        if (!subs.ok()) return subs.status();
        for (const std::string& name : *subs) {
          if (FindArch(name) == nullptr)
            return Invalid(where, StrCat("unknown architecture \"", name, "\""));
        }
        if (FindArch(**arch) == nullptr)
          return Invalid(where, StrCat("unknown architecture \"", **arch, "\""));
        // Only the machine's own entry matters; the others describe other machines.
        if (**arch == NativeArch()) {
          arches = {**arch};
          arches.insert(arches.end(), subs->begin(), subs->end());
        }
      }
    }
    for (const std::string& name : *listed) {
      if (FindArch(name) == nullptr)
        return Invalid("architectures", StrCat("unknown architecture \"", name, "\""));
    }
    return arches;
  }

  // includes: every condition must hold; excludes: any condition that holds drops the rule.
  absl::StatusOr<bool> Applies(const json& rule, std::string_view where) {
    for (const char* key : {"includes", "excludes"}) {
      auto it = rule.find(key);
      if (it == rule.end() || it->is_null()) continue;
      std::string here = Path(where, key);
      if (!it->is_object()) return Invalid(here, "is not an object");
      absl::StatusOr<std::vector<std::string>> caps = Strings(*it, "caps", here);
      if (!caps.ok()) return caps.status();
      absl::StatusOr<std::vector<std::string>> arches = Strings(*it, "arches", here);
      if (!arches.ok()) return arches.status();
      absl::StatusOr<std::optional<std::string>> min_kernel = String(*it, "minKernel", here);
      if (!min_kernel.ok()) return min_kernel.status();
      std::optional<std::pair<int, int>> kernel;
      if (min_kernel->has_value() && !(*min_kernel)->empty()) {
        kernel = ParseKernelVersion(**min_kernel);
        if (!kernel) {
          return Invalid(Path(here, "minKernel"),
                         StrCat("\"", **min_kernel, "\" is not a kernel version"));
        }
      }
      bool arch_matches = std::any_of(arches->begin(), arches->end(), [&](const std::string& a) {
        return (!target_.go_arch.empty() && a == target_.go_arch) || a == NativeArch();
      });
      bool kernel_matches = kernel && target_.kernel >= *kernel;
      if (std::string_view(key) == "includes") {
        for (const std::string& cap : *caps) {
          if (!HasCapability(capabilities_, cap)) return false;
        }
        if (!arches->empty() && !arch_matches) return false;
        if (kernel && !kernel_matches) return false;
      } else {
        for (const std::string& cap : *caps) {
          if (HasCapability(capabilities_, cap)) return false;
        }
        if (arch_matches || kernel_matches) return false;
      }
    }
    return true;
  }

  absl::StatusOr<json> Args(const json& rule, std::string_view where) {
    json out = json::array();
    auto it = rule.find("args");
    if (it == rule.end() || it->is_null()) return out;
    if (!it->is_array()) return Invalid(Path(where, "args"), "is not a list");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& arg = (*it)[i];
      std::string here = StrCat(where, ".args[", i, "]");
      if (!arg.is_object()) return Invalid(here, "is not an object");
      absl::StatusOr<std::optional<uint64_t>> index = Unsigned(arg, "index", here, 5);
      if (!index.ok()) return index.status();
      absl::StatusOr<std::optional<uint64_t>> value =
          Unsigned(arg, "value", here, std::numeric_limits<uint64_t>::max());
      if (!value.ok()) return value.status();
      absl::StatusOr<std::optional<uint64_t>> value_two =
          Unsigned(arg, "valueTwo", here, std::numeric_limits<uint64_t>::max());
      if (!value_two.ok()) return value_two.status();
      absl::StatusOr<std::optional<std::string>> op = String(arg, "op", here);
      if (!op.ok()) return op.status();
      if (!op->has_value()) return Invalid(Path(here, "op"), "is missing");
      if (!Contains(kOperators, **op)) {
        return Invalid(Path(here, "op"), StrCat("unknown operator \"", **op, "\""));
      }
      out.push_back({{"index", index->value_or(0)},
                     {"value", value->value_or(0)},
                     {"valueTwo", value_two->value_or(0)},
                     {"op", **op}});
    }
    return out;
  }

  absl::StatusOr<std::optional<json>> Rule(const json& rule, const std::string& where) {
    if (!rule.is_object()) return Invalid(where, "is not an object");
    absl::StatusOr<std::vector<std::string>> names = Strings(rule, "names", where);
    if (!names.ok()) return names.status();
    absl::StatusOr<std::optional<std::string>> name = String(rule, "name", where);
    if (!name.ok()) return name.status();
    if (name->has_value() && !(*name)->empty()) names->push_back(**name);
    if (names->empty()) return Invalid(where, "names no syscall");
    absl::StatusOr<std::string> action = Action(rule, "action", where, true);
    if (!action.ok()) return action.status();
    absl::StatusOr<std::optional<uint64_t>> errno_ret =
        Unsigned(rule, "errnoRet", where, kMaxErrno);
    if (!errno_ret.ok()) return errno_ret.status();
    absl::StatusOr<json> args = Args(rule, where);
    if (!args.ok()) return args.status();
    absl::StatusOr<bool> applies = Applies(rule, where);
    if (!applies.ok()) return applies.status();
    if (!*applies) return std::optional<json>();

    std::vector<std::string> known = KnownSyscalls(*names, validation_arches_, unknown_);
    if (known.empty()) return std::optional<json>();
    json out = {{"names", known}, {"action", *action}};
    if (errno_ret->has_value()) out["errnoRet"] = **errno_ret;
    if (!args->empty()) out["args"] = std::move(*args);
    return std::optional<json>(std::move(out));
  }

  const std::vector<std::string>& capabilities_;
  const Target& target_;
  std::vector<std::string>* unknown_;
  std::vector<std::string> validation_arches_;
};

// The errno of a failed read as the status the caller should see; the message names the file.
absl::Status FileError(const std::filesystem::path& path, int error) {
  std::string message = StrCat("seccomp profile ", path.string(), ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<std::string> ReadProfile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return FileError(path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return FileError(path, errno);
  if (S_ISDIR(st.st_mode)) return FileError(path, EISDIR);
  std::string content;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileError(path, errno);
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxProfileBytes) {
      return absl::InvalidArgumentError(
          StrCat("seccomp profile ", path.string(), ": larger than ", kMaxProfileBytes, " bytes"));
    }
  }
  return content;
}

}  // namespace

Target TargetFor(std::string_view native_architecture, std::pair<int, int> kernel) {
  Target target;
  target.kernel = kernel;
  // A 64-bit kernel runs the binaries of its 32-bit (and x32) siblings too; a filter that did not
  // name them would leave those entry points unfiltered in runc, or kill such binaries outright.
  if (native_architecture == "SCMP_ARCH_X86_64") {
    target.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  } else if (native_architecture == "SCMP_ARCH_AARCH64") {
    target.architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  } else if (!native_architecture.empty()) {
    target.architectures = {std::string(native_architecture)};
  }
  const Arch* arch = FindArch(native_architecture);
  if (arch != nullptr) target.go_arch = arch->go_arch;
  return target;
}

Target NativeTarget() {
  const Arch* arch = FindArch(seccomp_arch_native());
  std::pair<int, int> kernel = {0, 0};
  struct utsname uts {};
  if (::uname(&uts) == 0) kernel = ParseKernelVersion(uts.release).value_or(kernel);
  // An architecture this table lacks still gets a filter: runtimes add the native one themselves.
  return TargetFor(arch != nullptr ? arch->name : "", kernel);
}

bool SyscallKnown(std::string_view name, const std::vector<std::string>& architectures) {
  std::string nul_terminated(name);
  auto known_on = [&](uint32_t token) {
    int number = seccomp_syscall_resolve_name_arch(token, nul_terminated.c_str());
    return number >= 0 || (number > kFirstAbsentPseudoSyscall && number <= -100);
  };
  bool any_arch = false;
  for (const std::string& arch_name : architectures) {
    const Arch* arch = FindArch(arch_name);
    if (arch == nullptr) continue;
    any_arch = true;
    if (known_on(arch->token)) return true;
  }
  return !any_arch && known_on(SCMP_ARCH_NATIVE);
}

std::vector<std::string> KnownSyscalls(const std::vector<std::string>& names,
                                       const std::vector<std::string>& architectures,
                                       std::vector<std::string>* unknown) {
  std::vector<std::string> known;
  for (const std::string& name : names) {
    if (SyscallKnown(name, architectures)) {
      known.push_back(name);
    } else if (unknown != nullptr && !Contains(*unknown, name)) {
      unknown->push_back(name);
    }
  }
  return known;
}

bool HasCapability(const std::vector<std::string>& capabilities, std::string_view capability) {
  std::string wanted = BareCapability(capability);
  return std::any_of(capabilities.begin(), capabilities.end(),
                     [&](const std::string& held) { return BareCapability(held) == wanted; });
}

absl::StatusOr<json> ConvertProfile(const json& profile,
                                    const std::vector<std::string>& capabilities,
                                    const Target& target, std::vector<std::string>* unknown) {
  return Converter(capabilities, target, unknown).Convert(profile);
}

void LogUnknown(std::string_view what, const std::vector<std::string>& unknown) {
  if (unknown.empty()) return;
  const scmp_version* version = seccomp_version();
  spdlog::debug("{}: syscalls unknown to libseccomp {}.{}.{} left out: {}", what, version->major,
                version->minor, version->micro, StrJoin(unknown, ", "));
}

}  // namespace seccomp_internal

absl::StatusOr<nlohmann::json> LoadSeccompProfile(
    const std::filesystem::path& path, const std::vector<std::string>& effective_capabilities) {
  absl::StatusOr<std::string> content = seccomp_internal::ReadProfile(path);
  if (!content.ok()) return content.status();
  nlohmann::json document = nlohmann::json::parse(*content, nullptr, false);
  if (document.is_discarded()) {
    return absl::InvalidArgumentError(
        StrCat("seccomp profile ", path.string(), ": not valid JSON"));
  }
  std::vector<std::string> unknown;
  absl::StatusOr<nlohmann::json> converted = seccomp_internal::ConvertProfile(
      document, effective_capabilities, seccomp_internal::NativeTarget(), &unknown);
  if (!converted.ok()) {
    return absl::Status(converted.status().code(), StrCat("seccomp profile ", path.string(), ": ",
                                                          converted.status().message()));
  }
  seccomp_internal::LogUnknown(StrCat("seccomp profile ", path.string()), unknown);
  return converted;
}

}  // namespace crio::oci
