// Interactive exec and attach: the streaming server's sessions end here. Exec runs
// `runtime exec` as our child, on pipes or on a pseudo-terminal we allocate (the runtime makes
// the container's own terminal and relays it to ours, resizing it on SIGWINCH), as CRI-O does.
// Attach talks to the container's monitor: its attach socket carries output (one packet per
// chunk, the first byte naming the stream) and takes input; its control FIFO takes resizes.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/cleanup/cleanup.h"
#include "bundle_files.h"
#include "crio/common/atomic_file.h"
#include "crio/common/errno_status.h"
#include "crio/common/log.h"
#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/oci/runtime.h"

namespace crio::oci {
namespace {

// conmon's attach packets: the first byte names the stream (1 would be stdin).
constexpr char kAttachStdout = 2;
constexpr char kAttachStderr = 3;
// conmon reads input packets into a buffer of this size.
constexpr size_t kAttachPacketSize = 8192;

// A level-triggered flag other threads can poll(2) on.
class Event {
 public:
  Event() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  void Fire() {
    uint64_t one = 1;
    (void)!::write(fd_.get(), &one, sizeof one);
  }
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
};

// Waits until `fd` is ready for `events`; false when one of the stop fds (-1 ignored) fired.
bool WaitReady(int fd, short events, int stop_a, int stop_b) {
  pollfd fds[3] = {{fd, events, 0}, {stop_a, POLLIN, 0}, {stop_b, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, 3, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (fds[1].revents != 0 || fds[2].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

// Writes all of `data`; false when `to` failed or a stop fd fired first.
bool WriteAll(int to, const char* data, size_t size, int stop_a, int stop_b) {
  while (size > 0) {
    ssize_t n = ::write(to, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!WaitReady(to, POLLOUT, stop_a, stop_b)) return false;
      continue;
    }
    return false;
  }
  return true;
}

// Copies `from` to `to` until `from` ends (EOF, or EIO from a terminal whose other side is
// closed), writing fails, or a stop fd fires. Both fds are made non-blocking.
void Pump(int from, int to, int stop_a, int stop_b) {
  ::fcntl(from, F_SETFL, ::fcntl(from, F_GETFL) | O_NONBLOCK);
  ::fcntl(to, F_SETFL, ::fcntl(to, F_GETFL) | O_NONBLOCK);
  char buffer[32 * 1024];
  while (true) {
    ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n > 0) {
      if (!WriteAll(to, buffer, static_cast<size_t>(n), stop_a, stop_b)) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!WaitReady(from, POLLIN, stop_a, stop_b)) return;
      continue;
    }
    return;  // EOF or an error such as EIO
  }
}

// Runs io.next_resize until it runs dry, applying each size with `apply`.
std::thread ResizeThread(const StreamIo& io,
                         std::function<void(uint16_t cols, uint16_t rows)> apply) {
  if (!io.tty || !io.next_resize) return {};
  return std::thread([next = io.next_resize, apply = std::move(apply)] {
    while (std::optional<std::pair<uint16_t, uint16_t>> size = next()) {
      if (size->first == 0 || size->second == 0) continue;
      apply(size->first, size->second);
    }
  });
}

void JoinIfRunning(std::thread& thread) {
  if (thread.joinable()) thread.join();
}

pid_t ReadPid(const std::filesystem::path& file) {
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) return 0;
  int pid = 0;
  std::from_chars(text->data(), text->data() + text->size(), pid);
  return pid;
}

}  // namespace

absl::StatusOr<int> Runtime::ExecStream(const std::string& id, const std::filesystem::path& bundle,
                                        const std::vector<std::string>& command,
                                        const StreamIo& io) {
  if (command.empty()) return absl::InvalidArgumentError("exec command is empty");
  absl::StatusOr<nlohmann::json> exec_process = ExecProcessSpec(id, bundle, command);
  if (!exec_process.ok()) return exec_process.status();
  nlohmann::json& process = *exec_process;
  process["terminal"] = io.tty;
  process.erase("consoleSize");

  std::string suffix = RandomSuffix();
  TempFile process_file{bundle / StrCat("exec-", suffix, ".json")};
  TempFile pid_file{bundle / StrCat("exec-", suffix, ".pid")};
  {
    // Read by the runtime at once and deleted after: durability buys nothing here.
    std::ofstream out(process_file.path, std::ios::trunc);
    out << process.dump();
    if (!out.flush()) return ErrnoError(StrCat("write ", process_file.path.string()));
  }

  SpawnOptions spawn;
  spawn.argv = {settings_.runtime_binary.string(),
                StrCat("--root=", settings_.runtime_root.string()),
                "exec",
                "--process",
                process_file.path.string(),
                "--pid-file",
                pid_file.path.string(),
                id};
  UniqueFd master;
  UniqueFd slave;
  if (io.tty) {
    int master_fd = -1;
    int slave_fd = -1;
    if (::openpty(&master_fd, &slave_fd, nullptr, nullptr, nullptr) != 0) {
      return ErrnoError("openpty");
    }
    master.Reset(master_fd);
    slave.Reset(slave_fd);
    ::fcntl(master.get(), F_SETFD, FD_CLOEXEC);
    ::fcntl(slave.get(), F_SETFD, FD_CLOEXEC);
    spawn.stdin_fd = spawn.stdout_fd = spawn.stderr_fd = slave.get();
  } else {
    spawn.stdin_fd = io.stdin_fd;
    spawn.stdout_fd = io.stdout_fd;
    spawn.stderr_fd = io.stderr_fd;
  }
  Event done;
  if (!done.valid()) return ErrnoError("eventfd");

  absl::StatusOr<pid_t> runtime_pid = Spawn(spawn);
  if (!runtime_pid.ok()) return runtime_pid.status();
  slave.Reset();  // the runtime holds it now; its exit must read as EIO on the master
  pid_t runner = *runtime_pid;
  spdlog::debug("exec in container {}: runtime pid {}, tty {}", id, runner, io.tty);

  // A vanished client ends the session: kill the exec'd process (the runtime then exits too).
  std::thread canceller([&] {
    if (io.cancel_fd < 0) return;
    if (WaitReady(io.cancel_fd, POLLIN, done.fd(), -1)) {
      pid_t target = ReadPid(pid_file.path);
      spdlog::debug("exec in container {}: client gone, killing {}", id, target ? target : runner);
      ::kill(target > 0 ? target : runner, SIGKILL);
    }
  });
  std::thread output;
  std::thread input;
  std::thread resizer;
  if (io.tty) {
    int master_fd = master.get();
    if (io.stdout_fd >= 0) {
      output = std::thread([&, master_fd] { Pump(master_fd, io.stdout_fd, io.cancel_fd, -1); });
    }
    if (io.stdin_fd >= 0) {
      input = std::thread([&, master_fd] { Pump(io.stdin_fd, master_fd, done.fd(), -1); });
    }
    // The runtime copies our terminal's size to the container's on SIGWINCH.
    resizer = ResizeThread(io, [master_fd, runner](uint16_t cols, uint16_t rows) {
      winsize size{};
      size.ws_col = cols;
      size.ws_row = rows;
      if (::ioctl(master_fd, TIOCSWINSZ, &size) == 0) ::kill(runner, SIGWINCH);
    });
  }
  absl::Cleanup join_all = [&] {
    done.Fire();
    if (io.stop_resize) io.stop_resize();
    JoinIfRunning(canceller);
    JoinIfRunning(input);
    JoinIfRunning(output);
    JoinIfRunning(resizer);
  };

  std::optional<int> status = Reaper::Get().Wait(runner, absl::InfiniteDuration());
  // What the terminal still holds is the command's last output: let it drain before we answer.
  JoinIfRunning(output);
  if (!status.has_value()) return absl::InternalError(StrCat("exec in container ", id, " lost"));
  return *status;
}

absl::Status Runtime::Attach(const std::string& id, const std::filesystem::path& bundle,
                             const StreamIo& io) {
  // The socket path can exceed sun_path; reach it through the directory's fd instead.
  UniqueFd dir(::open((settings_.attach_socket_dir / id).c_str(), O_PATH | O_CLOEXEC));
  if (!dir.valid()) {
    return absl::FailedPreconditionError(
        StrCat("container ", id, " has no attach socket: ", std::strerror(errno)));
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "/proc/self/fd/%d/attach", dir.get());
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return ErrnoError("socket");
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return absl::FailedPreconditionError(
        StrCat("attach to container ", id, ": connect to its monitor: ", std::strerror(errno)));
  }
  Event done;
  if (!done.valid()) return ErrnoError("eventfd");
  int socket_fd = socket.get();

  std::thread input;
  if (io.stdin_fd >= 0) {
    input = std::thread([&, socket_fd] {
      ::fcntl(io.stdin_fd, F_SETFL, ::fcntl(io.stdin_fd, F_GETFL) | O_NONBLOCK);
      char buffer[kAttachPacketSize];
      while (true) {
        ssize_t n = ::read(io.stdin_fd, buffer, sizeof buffer);
        if (n > 0) {
          if (::send(socket_fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) return;
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
          if (!WaitReady(io.stdin_fd, POLLIN, done.fd(), io.cancel_fd)) return;
          continue;
        }
        // The client closed stdin: tell the monitor, which closes the container's stdin when
        // the container was created with stdin_once.
        ::shutdown(socket_fd, SHUT_WR);
        return;
      }
    });
  }
  std::string ctl_path = (bundle / "ctl").string();
  std::thread resizer = ResizeThread(io, [ctl_path](uint16_t cols, uint16_t rows) {
    UniqueFd ctl(::open(ctl_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!ctl.valid()) return;
    std::string line = StrCat("1 ", rows, " ", cols, "\n");
    (void)!::write(ctl.get(), line.data(), line.size());
  });
  absl::Cleanup join_all = [&] {
    done.Fire();
    if (io.stop_resize) io.stop_resize();
    JoinIfRunning(input);
    JoinIfRunning(resizer);
  };

  // Output until the monitor closes the socket (the container ended) or the client leaves.
  char packet[kAttachPacketSize + 1];
  while (WaitReady(socket_fd, POLLIN, io.cancel_fd, -1)) {
    ssize_t n = ::recv(socket_fd, packet, sizeof packet, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    int to = -1;
    if (packet[0] == kAttachStdout) to = io.stdout_fd;
    if (packet[0] == kAttachStderr) to = io.tty ? io.stdout_fd : io.stderr_fd;
    if (to < 0 || n == 1) continue;
    ::fcntl(to, F_SETFL, ::fcntl(to, F_GETFL) | O_NONBLOCK);
    if (!WriteAll(to, packet + 1, static_cast<size_t>(n - 1), io.cancel_fd, -1)) break;
  }
  return absl::OkStatus();
}

}  // namespace crio::oci
