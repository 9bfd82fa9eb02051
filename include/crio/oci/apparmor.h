#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace crio::oci {

// The profile RuntimeDefault means when crio.conf's apparmor_profile is left at this name; the
// daemon loads it itself on AppArmor hosts, as CRI-O does.
inline constexpr std::string_view kDefaultAppArmorProfile = "crio-default";

// The text of the default container profile, named `name`: everything allowed except mounting,
// writing most of /proc and /sys, and reading the kernel's secrets, with signals and ptrace
// only between processes under the same profile (and from unconfined host tools).
std::string RenderDefaultAppArmorProfile(std::string_view name);

// Whether `name` is among the profiles the kernel has loaded (`profiles` lists one per line as
// "<name> (<mode>)").
absl::StatusOr<bool> AppArmorProfileLoaded(
    std::string_view name,
    const std::filesystem::path& profiles = "/sys/kernel/security/apparmor/profiles");

// How profiles are compiled and loaded: apparmor_parser, with `extra_args` before ours (tests
// pass -Q, which does everything but the kernel load).
struct AppArmorParser {
  std::filesystem::path binary = "apparmor_parser";
  std::vector<std::string> extra_args;
};

// Compiles `profile_text` and loads it into the kernel, replacing a profile of the same name.
// The parser's own message is in the error.
absl::Status LoadAppArmorProfile(std::string_view profile_text, const AppArmorParser& parser = {});

// Startup: makes the profile crio.conf's apparmor_profile names usable. The default one is
// loaded when missing; another must have been loaded by the administrator; "unconfined" needs
// nothing.
absl::Status EnsureAppArmorProfile(
    std::string_view name, const AppArmorParser& parser = {},
    const std::filesystem::path& profiles = "/sys/kernel/security/apparmor/profiles");

// What the daemon does at startup: on a host with AppArmor, EnsureAppArmorProfile for crio.conf's
// apparmor_profile; elsewhere nothing.
absl::Status PrepareAppArmor(std::string_view configured_profile, bool host_has_apparmor);

}  // namespace crio::oci
