#include "spdy_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"

namespace crio::streaming::testing {
namespace {

UniqueFd ListenLoopback(int* port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd.get(), 64) != 0) {
    return UniqueFd();
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

}  // namespace

OneShotUpgradeServer::OneShotUpgradeServer(std::vector<std::string_view> supported, Serve serve)
    : listener_(ListenLoopback(&port_)) {
  thread_ = std::thread([this, supported = std::move(supported), serve = std::move(serve)] {
    // Bounded wait so a test that never connects still ends.
    pollfd pfd{listener_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 60000) <= 0) return;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) return;
    std::string request;
    char buf[4096];
    size_t end;
    while ((end = request.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(conn.get(), buf, sizeof(buf), 0);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
    }
    std::string leftover = request.substr(end + 4);
    std::string chosen;
    for (std::string_view line : StrSplit(std::string_view(request).substr(0, end), '\n')) {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      if (Lower(line.substr(0, colon)) != "x-stream-protocol-version") continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) {
        value.remove_suffix(1);
      }
      if (chosen.empty() &&
          std::find(supported.begin(), supported.end(), value) != supported.end()) {
        chosen = std::string(value);
      }
    }
    std::string answer =
        StrCat("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n",
               "X-Stream-Protocol-Version: ", chosen, "\r\n\r\n");
    if (::send(conn.get(), answer.data(), answer.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(answer.size())) {
      return;
    }
    serve(std::move(conn), std::move(leftover), std::move(chosen));
  });
}

OneShotUpgradeServer::~OneShotUpgradeServer() {
  if (thread_.joinable()) thread_.join();
}

std::string OneShotUpgradeServer::address() const { return StrCat("127.0.0.1:", port_); }

std::string OneShotUpgradeServer::url(std::string_view path) const {
  return StrCat("http://", address(), path);
}

SessionRunner ProcessRunner(std::vector<std::string> argv) {
  return [argv = std::move(argv)](Session& session) -> absl::StatusOr<int> {
    SpawnOptions options;
    options.argv = argv;
    options.stdin_fd = session.stdin_fd.get();
    options.stdout_fd = session.stdout_fd.get();
    options.stderr_fd = session.stderr_fd.get();
    absl::StatusOr<pid_t> pid = Spawn(options);
    if (!pid.ok()) return pid.status();
    // The child has its copies; ours must go so the pipes reach EOF when it exits.
    session.stdin_fd.Reset();
    session.stdout_fd.Reset();
    session.stderr_fd.Reset();
    std::optional<int> code = Reaper::Get().Wait(*pid, absl::Seconds(120));
    if (!code.has_value()) return absl::DeadlineExceededError("process did not exit");
    return *code;
  };
}

EchoListener::EchoListener() : listener_(ListenLoopback(&port_)) {
  thread_ = std::thread([this] {
    std::vector<std::thread> echoes;
    while (true) {
      UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) break;  // shut down by the destructor
      echoes.emplace_back([conn = std::move(conn)] {
        char buf[16384];
        ssize_t n;
        while ((n = ::recv(conn.get(), buf, sizeof(buf), 0)) > 0) {
          if (::send(conn.get(), buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
        }
      });
    }
    for (auto& t : echoes) t.join();
  });
}

EchoListener::~EchoListener() {
  ::shutdown(listener_.get(), SHUT_RDWR);
  thread_.join();
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[16384];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

UniqueFd ConnectLoopback(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  return fd;
}

}  // namespace crio::streaming::testing
