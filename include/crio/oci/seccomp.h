#pragma once

// Seccomp profiles of containers, rendered as the OCI runtime spec's linux.seccomp object: the
// built-in RuntimeDefault profile (src/oci/seccomp_default.cc, whose header comment records what
// it allows and why) and profile files in the Docker/OCI JSON format (Localhost profiles and
// crio.conf's seccomp_profile).
//
// Syscall names are checked against the libseccomp that runc and crun link: a name this
// libseccomp does not know for any of the profile's architectures is left out of the spec (and
// logged at debug) instead of making the runtime fail at container start.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"

namespace crio::oci {

// The built-in profile for a container whose effective capability set is
// `effective_capabilities` ("CAP_SYS_ADMIN" or "SYS_ADMIN"): syscalls that a capability unlocks
// are allowed only when the container holds it, and answer EPERM otherwise.
absl::StatusOr<nlohmann::json> DefaultSeccompProfile(
    const std::vector<std::string>& effective_capabilities);

// The profile in file `path`, in the Docker format (name/names, archMap, includes/excludes) or
// the OCI one, converted to linux.seccomp. Rules conditioned on capabilities are resolved against
// `effective_capabilities` (none when omitted), rules conditioned on architectures or a minimum
// kernel against this machine. NotFound when the file does not exist; InvalidArgument when it is
// not a valid profile; both name the file.
absl::StatusOr<nlohmann::json> LoadSeccompProfile(
    const std::filesystem::path& path, const std::vector<std::string>& effective_capabilities = {});

// The pieces above with the machine made explicit, for tests.
namespace seccomp_internal {

// What a profile is resolved against.
struct Target {
  // SCMP_ARCH_* names: the machine's own first, then those of the binaries it also runs (x86 and
  // x32 on x86_64, arm on aarch64). Names are validated against these. Empty on a machine
  // libseccomp has no name for: the runtime then filters its native architecture alone.
  std::vector<std::string> architectures;
  std::string go_arch;                  // "amd64", "arm64": what Docker profiles' arches name
  std::pair<int, int> kernel = {0, 0};  // running kernel (major, minor), for minKernel
};

// This machine: seccomp_arch_native() and uname().
Target NativeTarget();

// The Target for SCMP_ARCH_X86_64 or SCMP_ARCH_AARCH64 (with their companion architectures);
// any other libseccomp architecture name stands alone.
Target TargetFor(std::string_view native_architecture, std::pair<int, int> kernel = {6, 1});

// Syscall names left out because libseccomp does not know them go to `unknown` (each once);
// the public functions above log them.
absl::StatusOr<nlohmann::json> DefaultProfile(const std::vector<std::string>& capabilities,
                                              const Target& target,
                                              std::vector<std::string>* unknown = nullptr);

// A parsed profile document to linux.seccomp; error messages do not name a file.
absl::StatusOr<nlohmann::json> ConvertProfile(const nlohmann::json& profile,
                                              const std::vector<std::string>& capabilities,
                                              const Target& target,
                                              std::vector<std::string>* unknown = nullptr);

// Whether libseccomp has a number for syscall `name` on at least one of `architectures`.
bool SyscallKnown(std::string_view name, const std::vector<std::string>& architectures);

// The names of `names` that SyscallKnown accepts, in order; the others go to `unknown`.
std::vector<std::string> KnownSyscalls(const std::vector<std::string>& names,
                                       const std::vector<std::string>& architectures,
                                       std::vector<std::string>* unknown);

// Whether `capabilities` holds `capability`; both may be spelled with or without "CAP_", in any
// case.
bool HasCapability(const std::vector<std::string>& capabilities, std::string_view capability);

// Logs `unknown` (names KnownSyscalls left out) at debug, prefixed by `what`.
void LogUnknown(std::string_view what, const std::vector<std::string>& unknown);

// Every syscall name the built-in table mentions, before validation, each once.
std::vector<std::string> BuiltinSyscallNames();

}  // namespace seccomp_internal
}  // namespace crio::oci
