#pragma once

// Loopback fixtures for the SPDY tests: a one-connection streaming server that answers the
// HTTP upgrade itself (the real HTTP layer belongs to the server helper), a SessionRunner that
// runs a real process on the session's fds, and a TCP echo listener standing in for a pod.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crio/common/unique_fd.h"
#include "streaming/spdy_session.h"

namespace crio::streaming::testing {

// Listens on 127.0.0.1:<free port>; serves exactly one connection on a thread: reads the HTTP
// request, picks the first offered protocol that `supported` lists, answers 101 and hands the
// socket and any bytes past the request to `serve`. Joined on destruction.
class OneShotUpgradeServer {
 public:
  using Serve = std::function<void(UniqueFd conn, std::string leftover, std::string protocol)>;
  OneShotUpgradeServer(std::vector<std::string_view> supported, Serve serve);
  ~OneShotUpgradeServer();
  std::string url(std::string_view path) const;
  std::string address() const;  // host:port

 private:
  int port_ = 0;  // before listener_: set while listener_ is initialized
  UniqueFd listener_;
  std::thread thread_;
};

// Runs `argv` with the session's stdin/stdout/stderr and returns its exit code (128+N for
// signal N).
SessionRunner ProcessRunner(std::vector<std::string> argv);

// Accepts connections on 127.0.0.1:<free port> and echoes each until EOF, then closes it.
class EchoListener {
 public:
  EchoListener();
  ~EchoListener();
  int port() const { return port_; }

 private:
  int port_ = 0;  // before listener_: set while listener_ is initialized
  UniqueFd listener_;
  std::thread thread_;
};

// Reads `fd` to EOF.
std::string ReadAll(int fd);
// A connected TCP socket to 127.0.0.1:port, or invalid.
UniqueFd ConnectLoopback(int port);

}  // namespace crio::streaming::testing
