#include "crio/oci/runtime_handler.h"

#include "crio/common/strings.h"

#include <unistd.h>

#include <cstdlib>

namespace crio::oci {
namespace {

bool IsExecutableFile(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

absl::StatusOr<std::filesystem::path> ResolveRuntimeBinary(std::string_view handler_name,
                                                           const config::RuntimeHandler& handler) {
  if (!handler.runtime_path.empty()) {
    if (IsExecutableFile(handler.runtime_path)) return std::filesystem::path(handler.runtime_path);
    return absl::NotFoundError(StrCat("runtime handler \"", handler_name, "\": runtime_path ",
                                      handler.runtime_path, " is not an executable file"));
  }
  const char* path_env = std::getenv("PATH");
  std::string_view search = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  for (std::string_view dir : StrSplit(search, ':', /*skip_empty=*/true)) {
    std::filesystem::path candidate = std::filesystem::path(dir) / handler_name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(StrCat("runtime handler \"", handler_name,
                                    "\": no runtime_path is set and \"", handler_name,
                                    "\" is not in $PATH (", search, ")"));
}

absl::Status CheckHandlers(const config::Config& config) {
  for (const auto& [name, handler] : config.runtime.runtimes) {
    if (handler.runtime_type != "oci") {
      return absl::UnimplementedError(StrCat("runtime handler \"", name, "\": runtime_type \"",
                                             handler.runtime_type,
                                             "\" is not supported yet (only \"oci\")"));
    }
    if (auto binary = ResolveRuntimeBinary(name, handler); !binary.ok()) return binary.status();
    // As CRI-O: with cgroupfs a monitor either stays with the daemon or goes to its pod.
    const std::string& monitor_cgroup =
        !handler.monitor_cgroup.empty() ? handler.monitor_cgroup : config.runtime.conmon_cgroup;
    if (config.runtime.cgroup_manager == "cgroupfs" && !monitor_cgroup.empty() &&
        monitor_cgroup != "pod") {
      return absl::InvalidArgumentError(
          StrCat("runtime handler \"", name,
                 "\": monitor_cgroup must be \"pod\" or empty with the cgroupfs "
                 "cgroup manager, got \"",
                 monitor_cgroup, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace crio::oci
