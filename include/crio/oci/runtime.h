#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/config/config.h"

namespace crio::oci {

// What a runtime handler needs from the daemon-wide configuration.
struct RuntimeSettings {
  std::string handler_name;
  std::filesystem::path runtime_binary;  // runc or crun
  std::filesystem::path runtime_root;    // --root of the runtime
  std::filesystem::path monitor_binary;  // conmon
  std::vector<std::string> monitor_env;
  // The monitor's cgroup: "" leaves it in the daemon's cgroup, "pod" puts it in
  // <pod cgroup parent>/crio-conmon-<id> (cgroupfs), as CRI-O's conmon_cgroup / monitor_cgroup.
  std::string monitor_cgroup;
  std::filesystem::path exits_dir;          // where monitors write exit codes
  std::filesystem::path attach_socket_dir;  // where monitors put attach sockets
  std::string log_level = "info";
  int64_t log_size_max = -1;
  bool systemd_cgroup = false;
  bool no_pivot = false;
  bool no_sync_log = false;
  absl::Duration create_timeout = absl::Seconds(240);

  // Settings of handler `name` under `config`: the binaries resolved, empty paths defaulted
  // (runtime_root /run/<name>, monitor the conmon installed with crio).
  static absl::StatusOr<RuntimeSettings> FromConfig(const config::Config& config,
                                                    const std::string& name);
};

struct CreateOptions {
  std::string id;
  std::string name;                   // for the monitor's logs
  std::filesystem::path bundle;       // holds config.json; the monitor's files go here too
  std::filesystem::path log_path;     // the container's CRI log file
  std::filesystem::path persist_dir;  // survives restarts: the monitor's exit file goes here
  bool terminal = false;
  bool stdin = false;
  bool stdin_once = false;
  // The pod's cgroupfs parent (LinuxPodSandboxConfig.cgroup_parent), for monitor_cgroup "pod".
  std::string cgroup_parent;
};

// The runtime's view of a container (`runtime state`).
struct RuntimeState {
  std::string status;  // creating, created, running, paused, stopped
  pid_t pid = 0;
};

// What Start may use to release a created container itself instead of running `runtime start`.
struct StartOptions {
  pid_t init_pid = 0;            // the container's pid from Create; 0 always runs `runtime start`
  std::filesystem::path bundle;  // holds config.json; empty always runs `runtime start`
};

struct ExecSyncResult {
  int exit_code = 0;  // -1 with "command timed out" on stderr after a timeout, like CRI-O
  std::string out;
  std::string err;
};

// The caller's ends of an interactive exec or attach. Fds stay owned by the caller; -1 means
// the stream is not wanted. Nothing here blocks on them once the session is over.
struct StreamIo {
  int stdin_fd = -1;   // read until EOF
  int stdout_fd = -1;  // written
  int stderr_fd = -1;  // written (not with a terminal)
  bool tty = false;
  // With a terminal: blocks for the next size (columns, rows); nullopt when no more will come.
  std::function<std::optional<std::pair<uint16_t, uint16_t>>()> next_resize;
  // Makes next_resize return nullopt at once (called when the session ends).
  std::function<void()> stop_resize;
  int cancel_fd = -1;  // readable when the client is gone and the session must end
};

// Optional features of a runtime handler, as the CRI Status reports them.
struct RuntimeFeatures {
  // The "rro" mount option: runc/crun list it in `features`, and the kernel has mount_setattr.
  bool recursive_read_only_mounts = false;
};

// Features from the output of `runtime features` (JSON; mountOptions lists "rro" when the
// runtime can make a mount recursively read-only) and whether the kernel can do it.
RuntimeFeatures ParseRuntimeFeatures(std::string_view features_json, bool kernel_mount_setattr);
// Whether the kernel has mount_setattr(2) (5.12+), which recursive read-only mounts need.
bool KernelHasMountSetattr();

// One runtime handler: drives the OCI runtime directly for short operations, and through the
// monitor (conmon) for create and exec-sync, like CRI-O's runtime_oci. Thread-safe.
class Runtime {
 public:
  explicit Runtime(RuntimeSettings settings) : settings_(std::move(settings)) {}

  const RuntimeSettings& settings() const { return settings_; }

  // Starts a monitor that runs `runtime create`; returns the container's pid once the monitor
  // reports it. The runtime's own error text is in the error when creation fails.
  absl::StatusOr<pid_t> Create(const CreateOptions& options);
  // Lets a created container's process run. With runc, and options naming the init and the
  // bundle of a spec without poststart hooks, does what `runc start` does itself (see
  // runtime_start.cc); otherwise, or when that cannot apply, runs `runtime start`.
  absl::Status Start(const std::string& id, const StartOptions& options = {});
  // Sends a signal (to every process of the container when `all`).
  absl::Status Kill(const std::string& id, int signal, bool all = false);
  // Removes the container from the runtime; NotFound-tolerant (a missing container is success).
  absl::Status Delete(const std::string& id);
  absl::StatusOr<RuntimeState> State(const std::string& id);
  // Applies an OCI LinuxResources JSON document (`runtime update --resources -`).
  absl::Status UpdateResources(const std::string& id, const std::string& resources_json);
  absl::Status Pause(const std::string& id);
  absl::Status Resume(const std::string& id);

  // Runs `command` in the container through a monitor in exec-sync mode and collects its output
  // (each stream bounded at 16 MiB). `timeout` zero means none; past it the command is killed
  // and the answer is DeadlineExceeded.
  absl::StatusOr<ExecSyncResult> ExecSync(const std::string& id, const std::string& name,
                                          const std::filesystem::path& bundle,
                                          const std::vector<std::string>& command,
                                          absl::Duration timeout);

  // Runs `command` in the container connected to `io` (`runtime exec` with a pseudo-terminal of
  // ours when io.tty, as CRI-O does) until it exits; returns its exit code (128+N for signal N).
  // When io.cancel_fd fires the process is killed.
  absl::StatusOr<int> ExecStream(const std::string& id, const std::filesystem::path& bundle,
                                 const std::vector<std::string>& command, const StreamIo& io);
  // Connects `io` to the container's main process through its monitor's attach socket (and
  // resizes through the monitor's control FIFO) until the container exits or io.cancel_fd fires.
  absl::Status Attach(const std::string& id, const std::filesystem::path& bundle,
                      const StreamIo& io);

  // Where Create put the container's monitor ("" when it stayed in the daemon's cgroup).
  std::string MonitorCgroup(const std::string& id, const std::string& cgroup_parent) const;
  // Removes that cgroup once the monitor has exited; nothing to do when there is none.
  absl::Status RemoveMonitorCgroup(const std::string& id, const std::string& cgroup_parent);

  // The runtime's optional features, asked once (`runtime features`); a runtime without that
  // command has none of them.
  const RuntimeFeatures& Features();

  // The exit file a container's monitor writes when the container ends.
  std::filesystem::path ExitFile(const std::string& id) const { return settings_.exits_dir / id; }

 private:
  // `runtime --root R args...` returning its stdout; an error carries the runtime's stderr, and
  // is NotFound when the runtime says the container does not exist.
  absl::StatusOr<std::string> RunRuntime(const std::vector<std::string>& args,
                                         std::string_view input = {});

  RuntimeSettings settings_;
  std::once_flag features_once_;
  RuntimeFeatures features_;  // written once under features_once_
};

}  // namespace crio::oci
