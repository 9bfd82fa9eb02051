#pragma once

// The Kubernetes streaming protocols over SPDY/3.1, server side: remote command (exec and
// attach: v4/v3/v2/v1 channel.k8s.io, one SPDY stream per channel named by its `streamtype`
// header) and port forwarding (portforward.k8s.io: a data and an error stream per forwarded
// connection, paired by `requestID`). The HTTP/1.1 upgrade has already been answered by the
// caller; these take the raw socket and block until the session is over.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/common/unique_fd.h"
#include "crio/streaming/backend.h"

namespace crio::streaming {

// Runs the session's process (or attaches it) and returns its exit code.
using SessionRunner = std::function<absl::StatusOr<int>(Session&)>;

// Serves one exec/attach over `conn` with the negotiated `protocol` (one of
// SpdyRemoteCommandProtocols(); empty means channel.k8s.io, as the kubelet assumes). Waits up
// to 30 s for the client's streams: error, then stdin/stdout/stderr as `flags` ask (no stderr
// with a tty), and resize with a tty on v3 and newer; streams of other or repeated types are
// refused. Then builds a Session of pipes (and a ResizeQueue with a tty), calls `run` on this
// thread while pumping client <-> pipes, drains the output, writes the result on the error
// stream (v4: ExitStatusJson/ErrorStatusJson; older: the error text only, nothing on success)
// and closes the connection. `leftover` holds bytes read past the HTTP request.
void ServeSpdyRemoteCommand(UniqueFd conn, std::string leftover, std::string_view protocol,
                            const StreamFlags& flags, absl::Duration idle_timeout,
                            const SessionRunner& run);

// Dials `port` inside the pod; a connected stream socket.
using PodDialer = std::function<absl::StatusOr<UniqueFd>(int32_t port)>;

// Serves portforward.k8s.io over `conn` until the client closes it: every data/error stream
// pair (headers `streamtype`, `port`, `requestID`) gets its own dial and a two-way copy;
// dial and copy errors are written as text on the pair's error stream. Pairs are independent
// and concurrent; one whose partner does not arrive within 30 s is dropped.
void ServeSpdyPortForward(UniqueFd conn, std::string leftover, absl::Duration idle_timeout,
                          const PodDialer& dial);

// The remote command protocols spoken over SPDY, in preference order (v4, v3, v2, v1).
const std::vector<std::string_view>& SpdyRemoteCommandProtocols();

// Header names and stream types of the protocols (as on the wire: SPDY lowercases names).
inline constexpr std::string_view kStreamTypeHeader = "streamtype";
inline constexpr std::string_view kPortHeader = "port";
inline constexpr std::string_view kRequestIdHeader = "requestid";
inline constexpr std::string_view kStreamTypeError = "error";
inline constexpr std::string_view kStreamTypeStdin = "stdin";
inline constexpr std::string_view kStreamTypeStdout = "stdout";
inline constexpr std::string_view kStreamTypeStderr = "stderr";
inline constexpr std::string_view kStreamTypeResize = "resize";
inline constexpr std::string_view kStreamTypeData = "data";

// Splits the resize stream's bytes into terminal sizes: JSON objects {"Width":w,"Height":h},
// one after another (the client writes one per line). Malformed input ends the decoding.
class ResizeDecoder {
 public:
  // Feeds bytes; appends every complete size to `out`. False once the input is malformed
  // (or an object grows past a few KiB); later calls then do nothing.
  bool Feed(std::string_view bytes, std::vector<TerminalSize>* out);

 private:
  std::string pending_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool broken_ = false;
};

}  // namespace crio::streaming
