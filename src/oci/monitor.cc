// Create and exec-sync, which go through the monitor (conmon) as CRI-O drives it: the monitor
// gets two inherited fds, a sync pipe it reports on (_OCI_SYNCPIPE) and a start pipe it waits on
// (_OCI_STARTPIPE) until we have placed it, then runs the runtime and tells us the outcome as one
// JSON object.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bundle_files.h"
#include "crio/common/atomic_file.h"
#include "crio/common/errno_status.h"
#include "crio/common/log.h"
#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/oci/cgroup.h"
#include "crio/oci/cri_log.h"
#include "crio/oci/runtime.h"

namespace crio::oci {
namespace {

// CRI-O bounds exec-sync output at 16 MiB.
constexpr int64_t kExecSyncOutputLimit = int64_t{16} * 1024 * 1024;
// The message conmon reports when it killed an exec-sync command at its timeout.
constexpr std::string_view kTimedOutMessage = "command timed out";
// Slack on top of an exec-sync timeout for the monitor's own work.
constexpr absl::Duration kExecSyncSlack = absl::Seconds(30);

struct FdPair {
  UniqueFd parent;
  UniqueFd child;
};

absl::StatusOr<FdPair> SocketPair() {
  int fds[2];
  if (::socketpair(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return ErrnoError("socketpair");
  }
  return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

absl::StatusOr<FdPair> Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// What a monitor is started with: the sync pipe it reports on (fd 3), the start pipe it waits on
// (fd 4), and a pipe for its own stderr.
struct MonitorPipes {
  FdPair sync;
  FdPair start;
  FdPair errors;

  static absl::StatusOr<MonitorPipes> Make(bool sync_is_socket) {
    absl::StatusOr<FdPair> sync = sync_is_socket ? SocketPair() : Pipe();
    if (!sync.ok()) return sync.status();
    absl::StatusOr<FdPair> start = SocketPair();
    if (!start.ok()) return start.status();
    absl::StatusOr<FdPair> errors = Pipe();
    if (!errors.ok()) return errors.status();
    return MonitorPipes{*std::move(sync), *std::move(start), *std::move(errors)};
  }
};

// Reads from `fd` until a whole JSON object has arrived, EOF, or the deadline.
absl::StatusOr<nlohmann::json> ReadSyncMessage(int fd, absl::Time deadline) {
  std::string text;
  while (true) {
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() && parsed.is_object()) return parsed;
    int wait_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    if (deadline == absl::InfiniteFuture()) wait_ms = -1;
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoError("poll on the monitor's sync pipe");
    if (ready == 0) return absl::DeadlineExceededError("the monitor did not report in time");
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(text.empty()
                                        ? "the monitor exited without reporting"
                                        : StrCat("the monitor sent an unreadable report: ", text));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
}

// What the monitor wrote on its stderr so far, without waiting for more: the daemonized half of
// the monitor may keep the pipe open.
std::string DrainAvailable(int fd) {
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::vector<std::string> MonitorEnv(const RuntimeSettings& settings) {
  std::vector<std::string> env = settings.monitor_env;
  env.push_back("_OCI_SYNCPIPE=3");
  env.push_back("_OCI_STARTPIPE=4");
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr) {
    env.push_back(StrCat("XDG_RUNTIME_DIR=", xdg));
  }
  return env;
}

// Lets the monitor go on (it blocks on the start pipe until we have set it up), waits for the
// process we started to exit, and says why that failed when it did.
absl::Status ReleaseAndWaitForMonitor(pid_t pid, FdPair& start, int stderr_fd,
                                      absl::Duration timeout) {
  const char go = 0;
  if (::write(start.parent.get(), &go, 1) != 1) {
    ::kill(pid, SIGKILL);
    Reaper::Get().Wait(pid, absl::Seconds(10));
    return ErrnoError("write to the monitor's start pipe");
  }
  std::optional<int> code = Reaper::Get().Wait(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    Reaper::Get().Wait(pid, absl::Seconds(10));
    return absl::DeadlineExceededError(
        StrCat("the monitor did not finish within ", absl::FormatDuration(timeout)));
  }
  if (*code != 0) {
    return absl::InternalError(
        StrCat("the monitor failed (exit ", *code, "): ", DrainAvailable(stderr_fd)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<pid_t> Runtime::Create(const CreateOptions& options) {
  for (const auto& dir : {settings_.exits_dir, settings_.attach_socket_dir,
                          options.log_path.parent_path(), options.persist_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::InternalError(StrCat("create ", dir.string(), ": ", ec.message()));
  }
  // As CRI-O: socket pairs for both pipes of a create.
  absl::StatusOr<MonitorPipes> pipes = MonitorPipes::Make(/*sync_is_socket=*/true);
  if (!pipes.ok()) return pipes.status();
  FdPair* sync = &pipes->sync;
  FdPair* start = &pipes->start;
  FdPair* errors = &pipes->errors;

  std::vector<std::string> argv = {settings_.monitor_binary.string(),
                                   "-b",
                                   options.bundle.string(),
                                   "-c",
                                   options.id,
                                   "--exit-dir",
                                   settings_.exits_dir.string(),
                                   "-l",
                                   options.log_path.string(),
                                   "--log-level",
                                   settings_.log_level,
                                   "-n",
                                   options.name,
                                   "-P",
                                   (options.bundle / "conmon-pidfile").string(),
                                   "-p",
                                   (options.bundle / "pidfile").string(),
                                   "--persist-dir",
                                   options.persist_dir.string(),
                                   "-r",
                                   settings_.runtime_binary.string(),
                                   "--runtime-arg",
                                   StrCat("--root=", settings_.runtime_root.string()),
                                   "--socket-dir-path",
                                   settings_.attach_socket_dir.string(),
                                   "--syslog",
                                   "-u",
                                   options.id};
  if (settings_.systemd_cgroup) argv.push_back("-s");
  if (settings_.log_size_max >= 0) {
    argv.insert(argv.end(), {"--log-size-max", std::to_string(settings_.log_size_max)});
  }
  if (settings_.no_sync_log) argv.push_back("--no-sync-log");
  if (settings_.no_pivot) argv.push_back("--no-pivot");
  if (options.terminal) {
    argv.push_back("-t");
  } else if (options.stdin) {
    if (!options.stdin_once) argv.push_back("--leave-stdin-open");
    argv.push_back("-i");
  }

  SpawnOptions spawn;
  spawn.argv = std::move(argv);
  spawn.env = MonitorEnv(settings_);
  spawn.cwd = options.bundle;
  spawn.stderr_fd = errors->child.get();
  spawn.extra_fds = {sync->child.get(), start->child.get()};
  spdlog::debug("Starting monitor {} for container {}", settings_.monitor_binary.string(),
                options.id);
  absl::StatusOr<pid_t> monitor = Spawn(spawn);
  if (!monitor.ok()) return monitor.status();
  sync->child.Reset();
  start->child.Reset();
  errors->child.Reset();

  // The monitor waits on the start pipe so that it is in its cgroup before it forks anything.
  if (std::string cgroup = MonitorCgroup(options.id, options.cgroup_parent); !cgroup.empty()) {
    if (auto status = MoveToCgroup(*monitor, cgroup); !status.ok()) {
      ::kill(*monitor, SIGKILL);
      Reaper::Get().Wait(*monitor, absl::Seconds(10));
      return absl::Status(status.code(), StrCat("create container ", options.id,
                                                ": place the monitor: ", View(status.message())));
    }
  }
  absl::Time deadline = absl::Now() + settings_.create_timeout;
  if (auto status = ReleaseAndWaitForMonitor(*monitor, *start, errors->parent.get(),
                                             settings_.create_timeout);
      !status.ok()) {
    return absl::Status(status.code(),
                        StrCat("create container ", options.id, ": ", View(status.message())));
  }
  absl::StatusOr<nlohmann::json> report = ReadSyncMessage(sync->parent.get(), deadline);
  if (!report.ok()) {
    std::string detail = DrainAvailable(errors->parent.get());
    return absl::Status(report.status().code(), StrCat("create container ", options.id, ": ",
                                                       View(report.status().message()),
                                                       detail.empty() ? "" : ": ", detail));
  }
  int64_t pid = report->value("pid", int64_t{-1});
  if (pid <= 0) {
    (void)Delete(options.id);
    return absl::InternalError(StrCat("create container ", options.id,
                                      " failed: ", report->value("message", "no reason given")));
  }
  spdlog::debug("Container {} created with pid {}", options.id, pid);
  return static_cast<pid_t>(pid);
}

absl::StatusOr<nlohmann::json> ExecProcessSpec(const std::string& id,
                                               const std::filesystem::path& bundle,
                                               const std::vector<std::string>& command) {
  absl::StatusOr<std::string> spec_text = ReadFile(bundle / "config.json");
  if (!spec_text.ok()) return spec_text.status();
  auto spec = nlohmann::json::parse(*spec_text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.contains("process")) {
    return absl::FailedPreconditionError(StrCat("container ", id, " has no usable config.json"));
  }
  nlohmann::json process = spec["process"];
  process["args"] = command;
  return process;
}

absl::StatusOr<ExecSyncResult> Runtime::ExecSync(const std::string& id, const std::string& name,
                                                 const std::filesystem::path& bundle,
                                                 const std::vector<std::string>& command,
                                                 absl::Duration timeout) {
  absl::StatusOr<nlohmann::json> exec_process = ExecProcessSpec(id, bundle, command);
  if (!exec_process.ok()) return exec_process.status();
  nlohmann::json& process = *exec_process;
  bool terminal = process.value("terminal", false);

  std::string suffix = RandomSuffix();
  TempFile process_file{bundle / StrCat("exec-", suffix, ".json")};
  TempFile log_file{bundle / StrCat("exec-", suffix, ".log")};
  TempFile pid_file{bundle / StrCat("exec-", suffix, ".pid")};
  if (auto status =
          WriteFileAtomically(process_file.path, process.dump(), 0600, Durability::kVolatile);
      !status.ok()) {
    return status;
  }

  // As CRI-O: a plain pipe for exec-sync's report.
  absl::StatusOr<MonitorPipes> pipes = MonitorPipes::Make(/*sync_is_socket=*/false);
  if (!pipes.ok()) return pipes.status();
  FdPair* sync = &pipes->sync;
  FdPair* start = &pipes->start;
  FdPair* errors = &pipes->errors;

  std::vector<std::string> argv = {settings_.monitor_binary.string(),
                                   "-c",
                                   id,
                                   "-n",
                                   name,
                                   "-r",
                                   settings_.runtime_binary.string(),
                                   "-p",
                                   pid_file.path.string(),
                                   "-e",
                                   "-l",
                                   log_file.path.string(),
                                   "--socket-dir-path",
                                   settings_.attach_socket_dir.string(),
                                   "--log-level",
                                   settings_.log_level,
                                   "--sync",
                                   "--log-global-size-max",
                                   std::to_string(kExecSyncOutputLimit)};
  if (terminal) argv.push_back("-t");
  int64_t timeout_seconds = absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1)));
  if (timeout_seconds > 0) argv.insert(argv.end(), {"-T", std::to_string(timeout_seconds)});
  if (settings_.systemd_cgroup) argv.push_back("-s");
  argv.insert(argv.end(), {"--exec-process-spec", process_file.path.string(), "--runtime-arg",
                           StrCat("--root=", settings_.runtime_root.string())});

  SpawnOptions spawn;
  spawn.argv = std::move(argv);
  spawn.env = MonitorEnv(settings_);
  // The sync pipe's write end is fd 3, so the monitor's report arrives on our read end.
  spawn.stderr_fd = errors->child.get();
  spawn.extra_fds = {sync->child.get(), start->child.get()};
  absl::StatusOr<pid_t> monitor = Spawn(spawn);
  if (!monitor.ok()) return monitor.status();
  sync->child.Reset();
  start->child.Reset();
  errors->child.Reset();

  absl::Duration wait = timeout_seconds > 0 ? absl::Seconds(timeout_seconds) + kExecSyncSlack
                                            : absl::InfiniteDuration();
  absl::Status finished = ReleaseAndWaitForMonitor(*monitor, *start, errors->parent.get(), wait);
  // The report is there even when the monitor exits non-zero (for instance after a timeout).
  absl::StatusOr<nlohmann::json> report = ReadSyncMessage(sync->parent.get(), absl::Now());
  if (!report.ok()) {
    return absl::Status(
        finished.ok() ? report.status().code() : finished.code(),
        StrCat("exec in container ", id, ": ",
               View(finished.ok() ? report.status().message() : finished.message())));
  }
  int exit_code = static_cast<int>(report->value("exit_code", int64_t{-1}));
  std::string message = report->value("message", "");
  if (exit_code == -1 && message == kTimedOutMessage) {
    // DEADLINE_EXCEEDED is what the kubelet reads as a timed-out probe (containerd answers so).
    return absl::DeadlineExceededError(StrCat(
        "exec in container ", id, ": command timed out after ", absl::FormatDuration(timeout)));
  }
  if (exit_code == -1) {
    return absl::InternalError(
        StrCat("exec in container ", id,
               " failed: ", message.empty() ? DrainAvailable(errors->parent.get()) : message));
  }

  std::error_code ec;
  if (std::filesystem::file_size(log_file.path, ec) >
      static_cast<uintmax_t>(kExecSyncOutputLimit)) {
    std::filesystem::resize_file(log_file.path, kExecSyncOutputLimit, ec);
  }
  absl::StatusOr<std::string> log = ReadFile(log_file.path);
  SplitOutput output = SplitCriLog(log.ok() ? *log : "");
  return ExecSyncResult{exit_code, std::move(output.out), std::move(output.err)};
}

}  // namespace crio::oci
