// crictl's streaming commands: exec (streaming by default, --sync for ExecSync), attach and
// port-forward. The RPC hands back a URL on the daemon's streaming server; the session itself
// runs over SPDY/3.1 (the default, as crictl) or WebSocket (--transport websocket).
// The CRI header first: its Signal enum values are <signal.h> macro names.
#include "runtime/v1/api.pb.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "crio/common/unique_fd.h"
#include "crio/streaming/backend.h"
#include "spdy_client.h"
#include "websocket_client.h"

namespace crioctl {
namespace {

using crio::UniqueFd;
using crio::streaming::ResizeQueue;
using crio::streaming::StreamFlags;
using crio::streaming::TerminalSize;

// Puts a terminal in raw mode for the lifetime of the object (the remote side does the line
// discipline), and restores it however we leave.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd_) || ::tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::optional<TerminalSize> TerminalSizeOf(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 || size.ws_row == 0) {
    return std::nullopt;
  }
  return TerminalSize{size.ws_col, size.ws_row};
}

// Sends the terminal's size now and after every SIGWINCH, until destroyed. SIGWINCH is blocked
// in every thread (the mask is set before any thread starts) and taken here with sigwait.
class ResizeForwarder {
 public:
  explicit ResizeForwarder(std::shared_ptr<ResizeQueue> queue) : queue_(std::move(queue)) {
    if (std::optional<TerminalSize> size = TerminalSizeOf(STDOUT_FILENO)) queue_->Push(*size);
    thread_ = std::thread([this] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGWINCH);
      while (true) {
        int signo = 0;
        if (::sigwait(&set, &signo) != 0) continue;
        if (stopping_) return;
        if (std::optional<TerminalSize> size = TerminalSizeOf(STDOUT_FILENO)) queue_->Push(*size);
      }
    });
  }
  ~ResizeForwarder() {
    stopping_ = true;
    ::pthread_kill(thread_.native_handle(), SIGWINCH);
    thread_.join();
    queue_->Close();
  }
  ResizeForwarder(const ResizeForwarder&) = delete;
  ResizeForwarder& operator=(const ResizeForwarder&) = delete;

 private:
  std::shared_ptr<ResizeQueue> queue_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

void BlockSignalInAllThreads(int signo) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool ValidTransport(const std::string& transport) {
  if (transport == "spdy" || transport == "websocket") return true;
  std::cerr << "crioctl: --transport must be spdy or websocket, not \"" << transport << "\"\n";
  return false;
}

// Runs one exec or attach session against `url` with our stdio; returns the remote exit code.
int RunSession(const std::string& url, const std::string& transport, const StreamFlags& flags) {
  // A peer that goes away must surface as EPIPE from write, not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  BlockSignalInAllThreads(SIGWINCH);
  std::optional<RawTerminal> raw;
  std::shared_ptr<ResizeQueue> resize;
  std::optional<ResizeForwarder> forwarder;
  if (flags.tty) {
    if (flags.stdin) raw.emplace(STDIN_FILENO);
    resize = std::make_shared<ResizeQueue>();
    forwarder.emplace(resize);
  }
  int in_fd = flags.stdin ? STDIN_FILENO : -1;
  int out_fd = flags.stdout ? STDOUT_FILENO : -1;
  int err_fd = flags.stderr ? STDERR_FILENO : -1;
  absl::StatusOr<int> result =
      transport == "websocket"
          ? crio::streaming::RunRemoteCommandWebSocket(url, flags, in_fd, out_fd, err_fd, resize)
          : crio::streaming::RunRemoteCommandSpdy(url, flags, in_fd, out_fd, err_fd, resize);
  forwarder.reset();
  raw.reset();
  if (!result.ok()) {
    std::cerr << "crioctl: " << result.status().message() << "\n";
    return 1;
  }
  return *result;
}

struct PortMapping {
  int local = 0;
  int32_t remote = 0;
};

// "8080:80", "80" (same local port) or ":80" (a free local port).
std::optional<PortMapping> ParsePortMapping(const std::string& text) {
  auto number = [](const std::string& s, int min) -> std::optional<int> {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    int value = std::stoi(s);
    if (value < min || value > 65535) return std::nullopt;
    return value;
  };
  size_t colon = text.find(':');
  std::string local = colon == std::string::npos ? text : text.substr(0, colon);
  std::string remote = colon == std::string::npos ? text : text.substr(colon + 1);
  std::optional<int> remote_port = number(remote, 1);
  std::optional<int> local_port = local.empty() ? std::optional<int>(0) : number(local, 0);
  if (!remote_port || !local_port) return std::nullopt;
  return PortMapping{*local_port, *remote_port};
}

absl::StatusOr<UniqueFd> ListenLoopback(int port, int* bound) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return absl::InternalError(std::strerror(errno));
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 128) != 0) {
    return absl::UnavailableError("listen on 127.0.0.1:" + std::to_string(port) + ": " +
                                  std::strerror(errno));
  }
  socklen_t length = sizeof address;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length);
  *bound = ntohs(address.sin_port);
  return listener;
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Carries one accepted local connection to a port in the pod, blocking until it ends.
using ForwardOne = std::function<absl::Status(UniqueFd local, int32_t port)>;

// Forwards every connection accepted on the mappings' local ports until SIGINT or SIGTERM.
int ServePortForward(const ForwardOne& forward_one, const std::vector<PortMapping>& mappings) {
  ::signal(SIGPIPE, SIG_IGN);
  struct Listener {
    UniqueFd fd;
    int32_t remote;
  };
  std::vector<Listener> listeners;
  for (const PortMapping& mapping : mappings) {
    int bound = 0;
    absl::StatusOr<UniqueFd> fd = ListenLoopback(mapping.local, &bound);
    if (!fd.ok()) {
      std::cerr << "crioctl: " << fd.status().message() << "\n";
      return 1;
    }
    std::cout << "Forwarding from 127.0.0.1:" << bound << " -> " << mapping.remote << std::endl;
    listeners.push_back({std::move(*fd), mapping.remote});
  }
  // SIGINT/SIGTERM (blocked in every thread since the command began) end the command through
  // a pipe watched with the listeners.
  sigset_t stop_set = StopSignals();
  int stop_pipe[2];
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) return 1;
  UniqueFd stop_read(stop_pipe[0]);
  UniqueFd stop_write(stop_pipe[1]);
  std::thread waiter([&] {
    int signo = 0;
    ::sigwait(&stop_set, &signo);
    (void)!::write(stop_write.get(), "x", 1);
  });
  waiter.detach();

  std::mutex connections_mu;
  std::list<std::thread> connections;
  while (true) {
    std::vector<pollfd> fds;
    fds.push_back({stop_read.get(), POLLIN, 0});
    for (const Listener& listener : listeners) fds.push_back({listener.fd.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      UniqueFd connection(::accept4(listeners[i - 1].fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection.valid()) continue;
      int32_t remote = listeners[i - 1].remote;
      std::lock_guard lock(connections_mu);
      connections.emplace_back([&forward_one, remote, fd = connection.Release()] {
        absl::Status forwarded = forward_one(UniqueFd(fd), remote);
        if (!forwarded.ok()) {
          std::cerr << "crioctl: port " << remote << ": " << forwarded.message() << "\n";
        }
      });
    }
  }
  // Connections in flight end with the client connection when we return.
  for (std::thread& connection : connections) connection.detach();
  return 0;
}

}  // namespace

void AddStreamCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  CLI::App* exec = app.add_subcommand("exec", "Run a command in a running container");
  struct ExecOptions {
    std::string id;
    int64_t timeout = 0;
    bool sync = false;
    bool interactive = false;
    bool tty = false;
    std::string transport = "spdy";
  };
  auto exec_options = std::make_shared<ExecOptions>();
  exec->add_flag("-s,--sync", exec_options->sync, "Run through ExecSync and print the output");
  exec->add_option("--timeout", exec_options->timeout,
                   "Seconds before the command is killed (implies --sync; 0: none)");
  exec->add_flag("-i,--interactive", exec_options->interactive, "Keep stdin open");
  exec->add_flag("-t,--tty", exec_options->tty, "Allocate a pseudo-terminal");
  exec->add_option("--transport", exec_options->transport, "spdy (default) or websocket");
  exec->add_option("container-id", exec_options->id, "Container")->required();
  // Everything after the container id is the command, options included ("sh -c ...").
  exec->prefix_command();
  exec->callback([&globals, &exit_code, exec, exec_options] {
    const ExecOptions& options = *exec_options;
    std::vector<std::string> command = exec->remaining();
    if (command.empty()) {
      std::cerr << "crioctl: exec needs a container id and a command\n";
      exit_code = 1;
      return;
    }
    if (!ValidTransport(options.transport)) {
      exit_code = 1;
      return;
    }
    if (options.sync || options.timeout > 0) {
      exit_code = WithClient(WithTimeout(globals, "10m"), [&](Client& client) {
        runtime::v1::ExecSyncRequest request;
        request.set_container_id(options.id);
        for (const std::string& arg : command) request.add_cmd(arg);
        request.set_timeout(options.timeout);
        runtime::v1::ExecSyncResponse response;
        grpc::Status status =
            client.runtime().ExecSync(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("exec", status);
        std::cout << response.stdout();
        std::cerr << response.stderr();
        return response.exit_code();
      });
      return;
    }
    StreamFlags flags{options.interactive, true, !options.tty, options.tty};
    std::string url;
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ExecRequest request;
      request.set_container_id(options.id);
      for (const std::string& arg : command) request.add_cmd(arg);
      request.set_stdin(flags.stdin);
      request.set_stdout(flags.stdout);
      request.set_stderr(flags.stderr);
      request.set_tty(flags.tty);
      runtime::v1::ExecResponse response;
      grpc::Status status = client.runtime().Exec(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("exec", status);
      url = response.url();
      return 0;
    });
    if (exit_code == 0) exit_code = RunSession(url, options.transport, flags);
  });

  CLI::App* attach = app.add_subcommand("attach", "Attach to a running container");
  struct AttachOptions {
    std::string id;
    bool interactive = false;
    bool tty = false;
    std::string transport = "spdy";
  };
  auto attach_options = std::make_shared<AttachOptions>();
  attach->add_flag("-i,--stdin", attach_options->interactive, "Forward stdin");
  attach->add_flag("-t,--tty", attach_options->tty, "The container has a terminal");
  attach->add_option("--transport", attach_options->transport, "spdy (default) or websocket");
  attach->add_option("container-id", attach_options->id, "Container")->required();
  attach->callback([&globals, &exit_code, attach_options] {
    const AttachOptions& options = *attach_options;
    if (!ValidTransport(options.transport)) {
      exit_code = 1;
      return;
    }
    StreamFlags flags{options.interactive, true, !options.tty, options.tty};
    std::string url;
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::AttachRequest request;
      request.set_container_id(options.id);
      request.set_stdin(flags.stdin);
      request.set_stdout(flags.stdout);
      request.set_stderr(flags.stderr);
      request.set_tty(flags.tty);
      runtime::v1::AttachResponse response;
      grpc::Status status = client.runtime().Attach(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("attach", status);
      url = response.url();
      return 0;
    });
    if (exit_code == 0) exit_code = RunSession(url, options.transport, flags);
  });

  CLI::App* forward = app.add_subcommand("port-forward", "Forward local ports to a pod");
  struct ForwardOptions {
    std::string pod;
    std::vector<std::string> ports;
    std::string transport = "spdy";
  };
  auto forward_options = std::make_shared<ForwardOptions>();
  forward->add_option("--transport", forward_options->transport, "spdy (default) or websocket");
  forward->add_option("pod-id", forward_options->pod, "Pod sandbox")->required();
  forward->add_option("ports", forward_options->ports, "[LOCAL]:REMOTE, one or more")->required();
  forward->callback([&globals, &exit_code, forward_options] {
    const ForwardOptions& options = *forward_options;
    if (!ValidTransport(options.transport)) {
      exit_code = 1;
      return;
    }
    // Blocked before any thread exists (gRPC starts some), so only our waiter takes them.
    sigset_t stop_set = StopSignals();
    ::pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
    std::vector<PortMapping> mappings;
    for (const std::string& text : options.ports) {
      std::optional<PortMapping> mapping = ParsePortMapping(text);
      if (!mapping) {
        std::cerr << "crioctl: invalid port mapping \"" << text << "\" (want [LOCAL]:REMOTE)\n";
        exit_code = 1;
        return;
      }
      mappings.push_back(*mapping);
    }
    // One PortForward URL: a SPDY session carries every connection; a WebSocket one carries a
    // single connection (the kubelet's protocol), so WebSocket asks for a URL per connection.
    auto new_url = [&globals, &options, &mappings]() -> absl::StatusOr<std::string> {
      std::string url;
      grpc::Status failure;
      int code = WithClient(globals, [&](Client& client) {
        runtime::v1::PortForwardRequest request;
        request.set_pod_sandbox_id(options.pod);
        for (const PortMapping& mapping : mappings) request.add_port(mapping.remote);
        runtime::v1::PortForwardResponse response;
        failure = client.runtime().PortForward(client.NewContext().get(), request, &response);
        if (!failure.ok()) return ReportFailure("port-forward", failure);
        url = response.url();
        return 0;
      });
      if (code != 0) return absl::UnavailableError("the PortForward call failed");
      return url;
    };
    if (options.transport == "websocket") {
      if (absl::StatusOr<std::string> check = new_url(); !check.ok()) {
        exit_code = 1;
        return;
      }
      exit_code = ServePortForward(
          [&new_url](UniqueFd local, int32_t port) -> absl::Status {
            absl::StatusOr<std::string> url = new_url();
            if (!url.ok()) return url.status();
            auto client = crio::streaming::WebSocketPortForwardClient::Connect(*url);
            if (!client.ok()) return client.status();
            return (*client)->Forward(std::move(local), port);
          },
          mappings);
      return;
    }
    absl::StatusOr<std::string> url = new_url();
    if (!url.ok()) {
      exit_code = 1;
      return;
    }
    auto client = crio::streaming::SpdyPortForwardClient::Connect(*url);
    if (!client.ok()) {
      std::cerr << "crioctl: " << client.status().message() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = ServePortForward(
        [&client](UniqueFd local, int32_t port) {
          return (*client)->Forward(std::move(local), port);
        },
        mappings);
  });
}

}  // namespace crioctl
