#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace crio::testing {

// A TCP server of the tests on 127.0.0.1 (a free port): every connection is handed to `serve`
// on a thread of its own, and closed when it returns. Stop (or the destructor) ends the
// accepting, makes stop_fd() readable for the handlers' own waits, and joins every thread; an
// owner whose handler uses its members calls Stop in its destructor, before they go.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int client)> serve);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // "127.0.0.1:PORT"
  const std::string& host() const { return host_; }
  // Readable (hung up) once the server stops.
  int stop_fd() const { return stop_[0]; }
  void Stop();

 private:
  std::function<void(int)> serve_;
  std::string host_;
  int listener_ = -1;
  int stop_[2] = {-1, -1};
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// Sends all of `data` on a socket; false when the peer went away first.
bool SendAll(int fd, std::string_view data);

// Waits until `fd` is readable; false when `stop` (a LoopbackServer's stop_fd) fires first.
bool WaitReadableUnlessStopped(int fd, int stop);

}  // namespace crio::testing
