// The short runtime operations, run directly: kill, delete, state, update, pause, resume.
#include "crio/oci/runtime.h"

#include <nlohmann/json.hpp>

#include "crio/build_info.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/oci/cgroup.h"
#include "crio/oci/runtime_handler.h"

namespace crio::oci {
namespace {

// How long a short runtime command may take before we give up on it.
constexpr absl::Duration kRuntimeCommandTimeout = absl::Seconds(60);

bool SaysContainerMissing(std::string_view text) {
  // runc: "container does not exist"; crun: "error opening file `.../status`: No such file".
  return text.find("does not exist") != std::string_view::npos ||
         (text.find("/status") != std::string_view::npos &&
          text.find("No such file or directory") != std::string_view::npos);
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

absl::StatusOr<RuntimeSettings> RuntimeSettings::FromConfig(const config::Config& config,
                                                            const std::string& name) {
  auto it = config.runtime.runtimes.find(name);
  if (it == config.runtime.runtimes.end()) {
    return absl::NotFoundError(StrCat("runtime handler \"", name, "\" is not configured"));
  }
  const config::RuntimeHandler& handler = it->second;
  absl::StatusOr<std::filesystem::path> binary = ResolveRuntimeBinary(name, handler);
  if (!binary.ok()) return binary.status();

  RuntimeSettings settings;
  settings.handler_name = name;
  settings.runtime_binary = *binary;
  settings.runtime_root = handler.runtime_root.empty()
                              ? std::filesystem::path("/run") / name
                              : std::filesystem::path(handler.runtime_root);
  // The deprecated [crio.runtime] conmon key still wins over the default, as in CRI-O.
  if (!handler.monitor_path.empty()) {
    settings.monitor_binary = handler.monitor_path;
  } else if (!config.runtime.conmon.empty()) {
    settings.monitor_binary = config.runtime.conmon;
  } else {
    settings.monitor_binary = std::filesystem::path(build_info::kLibexecDir) / "conmon";
  }
  // Likewise the deprecated conmon_env, for a handler that names no environment of its own.
  settings.monitor_env =
      !handler.monitor_env.empty() ? handler.monitor_env : config.runtime.conmon_env;
  settings.monitor_cgroup =
      !handler.monitor_cgroup.empty() ? handler.monitor_cgroup : config.runtime.conmon_cgroup;
  settings.exits_dir = config.runtime.container_exits_dir;
  settings.attach_socket_dir = config.runtime.container_attach_socket_dir;
  settings.log_level = config.runtime.log_level;
  settings.log_size_max = config.runtime.log_size_max;
  settings.systemd_cgroup = config.runtime.cgroup_manager == "systemd";
  settings.no_pivot = config.runtime.no_pivot;
  settings.no_sync_log = handler.no_sync_log;
  // CRI-O enforces at least 30 s for creation.
  settings.create_timeout = absl::Seconds(std::max<int64_t>(handler.container_create_timeout, 30));
  return settings;
}

absl::StatusOr<std::string> Runtime::RunRuntime(const std::vector<std::string>& args,
                                                std::string_view input) {
  std::vector<std::string> argv = {settings_.runtime_binary.string(), "--root",
                                   settings_.runtime_root.string()};
  if (settings_.systemd_cgroup) argv.push_back("--systemd-cgroup");
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv, input, kRuntimeCommandTimeout);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    std::string message = StrCat(settings_.runtime_binary.filename().string(), " ", args.front(),
                                 " failed (exit ", result->exit_code, "): ", Trim(result->err),
                                 result->err.empty() ? Trim(result->out) : "");
    if (SaysContainerMissing(result->err)) return absl::NotFoundError(message);
    return absl::InternalError(message);
  }
  return std::move(result->out);
}

std::string Runtime::MonitorCgroup(const std::string& id, const std::string& cgroup_parent) const {
  if (settings_.monitor_cgroup != "pod" || cgroup_parent.empty()) return "";
  return StrCat(cgroup_parent, "/crio-conmon-", id);
}

absl::Status Runtime::RemoveMonitorCgroup(const std::string& id, const std::string& cgroup_parent) {
  std::string path = MonitorCgroup(id, cgroup_parent);
  return path.empty() ? absl::OkStatus() : RemoveCgroup(path);
}

absl::Status Runtime::Kill(const std::string& id, int signal, bool all) {
  std::vector<std::string> args = {"kill"};
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  return RunRuntime(args).status();
}

absl::Status Runtime::Delete(const std::string& id) {
  absl::Status status = RunRuntime({"delete", "--force", id}).status();
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

absl::StatusOr<RuntimeState> Runtime::State(const std::string& id) {
  absl::StatusOr<std::string> out = RunRuntime({"state", id});
  if (!out.ok()) return out.status();
  auto json = nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InternalError(StrCat("runtime state of ", id, " is not JSON: ", *out));
  }
  RuntimeState state;
  state.status = json.value("status", "");
  state.pid = json.value("pid", 0);
  return state;
}

absl::Status Runtime::UpdateResources(const std::string& id, const std::string& resources_json) {
  return RunRuntime({"update", "--resources", "-", id}, resources_json).status();
}

absl::Status Runtime::Pause(const std::string& id) { return RunRuntime({"pause", id}).status(); }

absl::Status Runtime::Resume(const std::string& id) { return RunRuntime({"resume", id}).status(); }

}  // namespace crio::oci
