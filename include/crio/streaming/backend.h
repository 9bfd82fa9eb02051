#pragma once

// The seam between the streaming server (transports: SPDY/3.1 and WebSocket) and the daemon
// (which knows containers and pods). The server turns one client connection into a Session of
// plain file descriptors; the backend connects those to a process, a conmon attach socket or a
// socket inside a pod. Neither side knows how the other works.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"

namespace crio::streaming {

struct TerminalSize {
  uint16_t width = 0;   // columns
  uint16_t height = 0;  // rows
  bool operator==(const TerminalSize&) const = default;
};

// Resize events from the client, in order. The transport pushes, the backend pops.
class ResizeQueue {
 public:
  void Push(TerminalSize size) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    // Only the newest sizes matter; a client flooding resizes must not grow memory.
    if (events_.size() >= kMaxPending) events_.pop_front();
    events_.push_back(size);
    cv_.notify_all();
  }
  // Blocks until an event arrives or Close() is called; nullopt once closed and drained.
  std::optional<TerminalSize> Next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !events_.empty(); });
    if (events_.empty()) return std::nullopt;
    TerminalSize size = events_.front();
    events_.pop_front();
    return size;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  static constexpr size_t kMaxPending = 16;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TerminalSize> events_;
  bool closed_ = false;
};

// What the client asked for, as validated by the Exec/Attach RPC.
struct StreamFlags {
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  bool tty = false;
};

struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  StreamFlags flags;
};

struct AttachRequest {
  std::string container_id;
  StreamFlags flags;
};

struct PortForwardRequest {
  std::string pod_id;
  std::vector<int32_t> ports;  // empty: any port the client names is allowed
};

// The backend's ends of one exec/attach session. Data the client sends on stdin can be read
// from `stdin_fd` (EOF when the client closes stdin); what the backend writes to `stdout_fd`
// and `stderr_fd` reaches the client. An fd the client did not ask for is invalid (-1); with a
// tty there is no stderr. The fds are blocking pipes or socketpairs; a slow client makes the
// backend's writes block (backpressure), it never grows a buffer.
struct Session {
  UniqueFd stdin_fd;
  UniqueFd stdout_fd;
  UniqueFd stderr_fd;
  bool tty = false;
  std::shared_ptr<ResizeQueue> resize;  // set when tty
  // Becomes readable (POLLIN) when the client has gone away; the backend should then end the
  // session (for exec: kill the process) instead of waiting forever.
  UniqueFd client_gone;
};

// Implemented by the daemon.
class Backend {
 public:
  virtual ~Backend() = default;
  // Runs request.cmd in the container, connected to `session`, until it exits. Returns its
  // exit code (128+N when killed by signal N). An error means it could not be run at all.
  virtual absl::StatusOr<int> Exec(const ExecRequest& request, Session& session) = 0;
  // Connects `session` to the container's main process until the container exits or the
  // client goes away.
  virtual absl::Status Attach(const AttachRequest& request, Session& session) = 0;
  // A connected stream socket to `port` on localhost inside the pod's network namespace.
  virtual absl::StatusOr<UniqueFd> DialPod(const std::string& pod_id, int32_t port) = 0;
};

}  // namespace crio::streaming
