#pragma once

// The client side of the Kubernetes streaming protocols over SPDY/3.1, for crioctl: the
// HTTP/1.1 upgrade on a plain TCP socket, then remote command (exec/attach) or port
// forwarding, creating the streams the way kubectl does.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"
#include "crio/streaming/backend.h"

namespace crio::streaming {

class SpdyConnection;

// An upgraded connection: the socket, the protocol the server chose (empty if it named
// none) and any bytes read past the server's 101 answer.
struct SpdyUpgrade {
  UniqueFd fd;
  std::string protocol;
  std::string leftover;
};

// Connects to `url` (http://host:port/path; https is not supported here) and performs the
// SPDY/3.1 upgrade offering `protocols` (one X-Stream-Protocol-Version header each, in order).
// A non-101 answer is an error carrying the HTTP status and body (404 -> NotFound).
absl::StatusOr<SpdyUpgrade> DialSpdy(const std::string& url,
                                     const std::vector<std::string_view>& protocols);

// Runs an exec/attach session at `url` (http://host:port/exec/<token> or /attach/<token>):
// creates the error stream and, as `flags` ask, stdin, stdout, stderr (not with a tty) and
// resize (tty, protocol v3 and newer); copies in_fd -> stdin (EOF half-closes it), stdout ->
// out_fd, stderr -> err_fd (-1: the data is dropped) and every size `resize` yields to the
// resize stream, until the server ends the output streams. Returns the remote exit code
// (from the v4 Status JSON; 0 when the server reports nothing) or an error. `resize` may be
// null; it is closed before returning.
absl::StatusOr<int> RunRemoteCommandSpdy(const std::string& url, const StreamFlags& flags,
                                         int in_fd, int out_fd, int err_fd,
                                         std::shared_ptr<ResizeQueue> resize);

// One port-forward connection to the streaming server, carrying any number of forwarded
// connections at once (a data and an error stream each). Thread-safe.
class SpdyPortForwardClient {
 public:
  // Connects and upgrades to portforward.k8s.io.
  static absl::StatusOr<std::unique_ptr<SpdyPortForwardClient>> Connect(const std::string& url);
  ~SpdyPortForwardClient();

  // Forwards `local` (a connected socket) to `port` in the pod until the remote side ends,
  // then closes `local`. Blocks for that time; call it from one thread per connection. An
  // error if the streams could not be created or the server reported one (e.g. the dial
  // failed).
  absl::Status Forward(UniqueFd local, int32_t port);

 private:
  explicit SpdyPortForwardClient(std::unique_ptr<SpdyConnection> conn);
  std::unique_ptr<SpdyConnection> conn_;
  std::atomic<uint64_t> next_request_id_{0};
};

}  // namespace crio::streaming
