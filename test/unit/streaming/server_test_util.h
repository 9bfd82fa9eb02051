#pragma once

// Real parts for the streaming server tests: a Backend that runs processes and dials a local
// TCP echo server, a temporary directory, fd helpers and a raw HTTP client.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "crio/streaming/backend.h"

namespace crio::streaming::testing {

// Writes to a closed pipe or socket must not kill the test (the daemon ignores SIGPIPE too).
inline const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

inline std::string ReadAll(int fd) {
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A file in memory to collect a session's output.
class OutputFile {
 public:
  OutputFile() : fd_(memfd_create("out", MFD_CLOEXEC)) {}
  int fd() const { return fd_.get(); }
  std::string Contents() const {
    lseek(fd_.get(), 0, SEEK_SET);
    return ReadAll(fd_.get());
  }

 private:
  UniqueFd fd_;
};

// A pipe whose read end is a session's stdin.
struct InputPipe {
  UniqueFd read_end, write_end;
  InputPipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      read_end.Reset(fds[0]);
      write_end.Reset(fds[1]);
    }
  }
  void WriteAndClose(const std::string& data) {
    std::string_view rest = data;
    while (!rest.empty()) {
      ssize_t n = write(write_end.get(), rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    write_end.Reset();
  }
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "crio-stream-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return StrCat(path_, "/", name); }

 private:
  std::string path_;
};

// Accepts on 127.0.0.1 and echoes every connection until its peer closes.
class EchoServer {
 public:
  EchoServer() {
    listener_.Reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener_.get(), 64);
    socklen_t len = sizeof(addr);
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~EchoServer() {
    shutdown(listener_.get(), SHUT_RDWR);  // wakes accept()
    thread_.join();
    std::lock_guard lock(mu_);
    for (std::thread& t : workers_) t.join();
  }
  int port() const { return port_; }

 private:
  void AcceptLoop() {
    while (true) {
      int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      workers_.emplace_back([fd] {
        UniqueFd conn(fd);
        char buf[16384];
        while (true) {
          ssize_t n = read(conn.get(), buf, sizeof(buf));
          if (n <= 0) return;
          if (write(conn.get(), buf, static_cast<size_t>(n)) != n) return;
        }
      });
    }
  }
  UniqueFd listener_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

// Runs ExecRequest.cmd as a real process connected to the session; DialPod connects port 80 to
// the echo server. Records what it saw.
class ProcessBackend : public Backend {
 public:
  explicit ProcessBackend(int echo_port = 0) : echo_port_(echo_port) {}

  absl::StatusOr<int> Exec(const ExecRequest& request, Session& session) override {
    Started();
    if (request.cmd.size() == 1 && request.cmd[0] == "report-resizes") {
      return ReportResizes(session);
    }
    if (request.cmd.empty()) return absl::InvalidArgumentError("no command");
    std::vector<char*> argv;
    for (const std::string& arg : request.cmd) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    int in = session.stdin_fd.valid() ? session.stdin_fd.get() : -1;
    int out = session.stdout_fd.valid() ? session.stdout_fd.get() : -1;
    int err = session.stderr_fd.valid() ? session.stderr_fd.get() : out;
    pid_t pid = fork();
    if (pid == 0) {
      int null_fd = open("/dev/null", O_RDWR);
      dup2(in >= 0 ? in : null_fd, 0);
      dup2(out >= 0 ? out : null_fd, 1);
      dup2(err >= 0 ? err : null_fd, 2);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    if (pid < 0) return absl::InternalError("fork failed");
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {session.client_gone.get(), POLLIN, 0}};
    while (poll(fds, 2, -1) < 0 && errno == EINTR) {
    }
    if (fds[0].revents == 0 && fds[1].revents != 0) {
      ++client_gone_kills;
      kill(pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ++finished;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
  }

  absl::Status Attach(const AttachRequest&, Session& session) override {
    Started();
    std::string text = "attached\n";
    if (write(session.stdout_fd.get(), text.data(), text.size()) < 0) {
      return absl::InternalError("write");
    }
    ++finished;
    return absl::OkStatus();
  }

  absl::StatusOr<UniqueFd> DialPod(const std::string& pod_id, int32_t port) override {
    if (pod_id != "pod" || port != 80) return absl::UnavailableError("connection refused");
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(echo_port_));
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return absl::UnavailableError("connect failed");
    }
    return fd;
  }

  // Blocks until `n` sessions have started.
  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }

  std::atomic<int> client_gone_kills{0};
  std::atomic<int> finished{0};

 private:
  void Started() {
    std::lock_guard lock(mu_);
    ++started_;
    cv_.notify_all();
  }

  // With a tty: writes every size popped from the queue to stdout as "WxH", until 0x0.
  absl::StatusOr<int> ReportResizes(Session& session) {
    if (!session.tty || !session.resize) return absl::InvalidArgumentError("no tty");
    while (std::optional<TerminalSize> size = session.resize->Next()) {
      if (size->width == 0 && size->height == 0) break;
      std::string line = StrCat(size->width, "x", size->height, "\n");
      if (write(session.stdout_fd.get(), line.data(), line.size()) < 0) break;
    }
    ++finished;
    return 0;
  }

  const int echo_port_;
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
};

// One HTTP/1.1 request on a new connection to 127.0.0.1:port; the response head and body as
// received until the server closes (or the head only, with `head_only`).
inline std::string RawHttp(int port, const std::string& request, bool head_only = false,
                           UniqueFd* keep = nullptr) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
  timeval tv{30, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (write(fd.get(), request.data(), request.size()) < 0) return "";
  std::string response;
  char c;
  if (head_only) {
    // Byte by byte, so nothing after the head is consumed.
    while (response.find("\r\n\r\n") == std::string::npos && read(fd.get(), &c, 1) == 1) {
      response.push_back(c);
    }
  } else {
    response = ReadAll(fd.get());
  }
  if (keep) *keep = std::move(fd);
  return response;
}

inline std::string TokenPath(const std::string& url) {
  return url.substr(url.find('/', url.find("://") + 3));
}

}  // namespace crio::streaming::testing
