// The default AppArmor profile of containers, and getting it into the kernel.
#include "crio/oci/apparmor.h"

#include <fstream>

#include "crio/common/strings.h"
#include "crio/common/subprocess.h"

namespace crio::oci {

std::string RenderDefaultAppArmorProfile(std::string_view name) {
  // The rule set is the one container engines have converged on (Docker's, containers/common's,
  // CRI-O's crio-default): a container may do what any process may, but not reconfigure the
  // host through mounts, /proc or /sys.
  std::string p(name);
  return StrCat(
      "#include <tunables/global>\n\n", "profile ", p,
      " flags=(attach_disconnected,mediate_deleted) {\n", "  #include <abstractions/base>\n\n",
      "  network,\n", "  capability,\n", "  file,\n", "  umount,\n\n",
      "  # Signals: from host tools and the runtime, and within the container.\n",
      "  signal (receive) peer=unconfined,\n", "  signal (send,receive) peer=", p, ",\n\n",
      "  # Nothing is mounted from inside a container.\n", "  deny mount,\n\n",
      "  # /proc: the files at its top and other processes' entries are read-only, and so is\n",
      "  # /proc/sys except the kernel.shm* knobs an IPC namespace owns.\n",
      "  deny @{PROC}/* w,\n",
      "  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** "
      "w,\n",
      "  deny @{PROC}/sys/[^k]** w,\n", "  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,\n",
      "  deny @{PROC}/sysrq-trigger rwklx,\n", "  deny @{PROC}/kcore rwklx,\n\n",
      "  # /sys is read-only but for the container's own cgroup files; firmware and the LSM\n",
      "  # interfaces are not even readable.\n", "  deny /sys/[^f]*/** wklx,\n",
      "  deny /sys/f[^s]*/** wklx,\n", "  deny /sys/fs/[^c]*/** wklx,\n",
      "  deny /sys/fs/c[^g]*/** wklx,\n", "  deny /sys/fs/cg[^r]*/** wklx,\n",
      "  deny /sys/firmware/** rwklx,\n", "  deny /sys/kernel/security/** rwklx,\n\n",
      "  # ps and debuggers inside the container see their neighbours.\n",
      "  ptrace (trace,read,tracedby,readby) peer=", p, ",\n", "}\n");
}

absl::StatusOr<bool> AppArmorProfileLoaded(std::string_view name,
                                           const std::filesystem::path& profiles) {
  std::ifstream in(profiles);
  if (!in) {
    return absl::FailedPreconditionError(
        StrCat("cannot read the loaded AppArmor profiles from ", profiles.string()));
  }
  std::string line;
  while (std::getline(in, line)) {
    // "<name> (<mode>)"; a name may itself contain spaces, the mode never does.
    size_t mode = line.rfind(" (");
    if (mode != std::string::npos && std::string_view(line).substr(0, mode) == name) return true;
  }
  return false;
}

absl::Status LoadAppArmorProfile(std::string_view profile_text, const AppArmorParser& parser) {
  std::vector<std::string> argv = {parser.binary.string()};
  argv.insert(argv.end(), parser.extra_args.begin(), parser.extra_args.end());
  // -K: no cache in /etc (a node's /etc may be read-only); -r: replace a loaded version.
  argv.push_back("-Kr");
  absl::StatusOr<CommandResult> run = RunCommand(argv, profile_text, absl::Seconds(60));
  if (!run.ok()) {
    return absl::Status(run.status().code(),
                        StrCat("running ", parser.binary.string(), ": ", run.status().message()));
  }
  if (run->exit_code != 0) {
    std::string why = run->err.empty() ? run->out : run->err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return absl::InternalError(
        StrCat(parser.binary.string(), " failed (exit ", run->exit_code, "): ", why));
  }
  return absl::OkStatus();
}

absl::Status EnsureAppArmorProfile(std::string_view name, const AppArmorParser& parser,
                                   const std::filesystem::path& profiles) {
  if (name == "unconfined") return absl::OkStatus();
  absl::StatusOr<bool> loaded = AppArmorProfileLoaded(name, profiles);
  if (!loaded.ok()) return loaded.status();
  if (*loaded) return absl::OkStatus();
  if (name != kDefaultAppArmorProfile) {
    return absl::FailedPreconditionError(StrCat(
        "apparmor_profile \"", name, "\" is not loaded: load it with apparmor_parser, or use ",
        kDefaultAppArmorProfile, ", which crio loads itself"));
  }
  absl::Status status = LoadAppArmorProfile(RenderDefaultAppArmorProfile(name), parser);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        StrCat("loading the AppArmor profile ", name, ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status PrepareAppArmor(std::string_view configured_profile, bool host_has_apparmor) {
  if (!host_has_apparmor) return absl::OkStatus();
  std::string_view name = configured_profile.empty() ? kDefaultAppArmorProfile : configured_profile;
  absl::Status status = EnsureAppArmorProfile(name);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        StrCat(status.message(),
                               " (set crio.runtime.apparmor_profile = \"unconfined\" to run "
                               "containers without AppArmor)"));
  }
  return absl::OkStatus();
}

}  // namespace crio::oci
