#pragma once

// The client side of the Kubernetes channel protocols over WebSocket, for crioctl
// (`--transport websocket`) and the tests: exec/attach and port-forward against a streaming URL
// from the Exec, Attach or PortForward RPC.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"
#include "crio/streaming/backend.h"

namespace crio::streaming {

struct WebSocketClientOptions {
  // Subprotocols to offer, most wanted first. Empty: v5.channel.k8s.io, v4.channel.k8s.io,
  // channel.k8s.io for remote command; v4.channel.k8s.io for port-forward.
  std::vector<std::string> protocols;
  // For https:// (wss://) URLs: the CA to trust (the system's roots when empty) and a client
  // certificate and key to present (when the server asks for one).
  std::string tls_ca, tls_cert, tls_key;
};

// Runs an exec or attach session at `url` (http(s)://host:port/exec/<token> or /attach/...):
// what arrives on stdout/stderr is written to `out_fd`/`err_fd`; `in_fd` is read and sent as
// stdin, and its EOF closes the remote stdin (v5; older protocols cannot say so); sizes popped
// from `resize` (with a tty) are sent as resize events, and the queue is closed when the
// session ends. An fd of -1 is not used. Returns the remote exit code, or an error:
// NotFound for an unknown, used or expired URL, Unavailable when the connection broke,
// Unknown with the server's message when the session could not run.
absl::StatusOr<int> RunRemoteCommandWebSocket(const std::string& url, const StreamFlags& flags,
                                              int in_fd, int out_fd, int err_fd,
                                              std::shared_ptr<ResizeQueue> resize,
                                              const WebSocketClientOptions& options = {});

// Port-forward over WebSocket. The kubelet's WebSocket protocol carries one connection into
// the pod per port for the life of the WebSocket, and a URL can be used once, so one client
// forwards one local connection; forwarding several needs a URL each (or SPDY).
class WebSocketPortForwardClient {
 public:
  // Checks the URL (http(s)://host:port/portforward/<token>); connecting waits for Forward.
  static absl::StatusOr<std::unique_ptr<WebSocketPortForwardClient>> Connect(
      const std::string& url, const WebSocketClientOptions& options = {});

  // Connects `local` to `port` in the pod until either side closes (blocks). An error when the
  // server refused, the pod side could not be reached (the server's message), or this client
  // was used already (FailedPrecondition). Safe to call from several threads.
  absl::Status Forward(UniqueFd local, int32_t port);

 private:
  WebSocketPortForwardClient(std::string url, WebSocketClientOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}
  std::string url_;
  WebSocketClientOptions options_;
  std::atomic<bool> used_{false};
};

}  // namespace crio::streaming
