#pragma once

// The server side of the Kubernetes channel protocols over WebSocket: remote command (exec and
// attach) and port-forward, as the kubelet's streaming server serves them. The HTTP layer has
// read the upgrade request and chosen the subprotocol; these answer the upgrade on `conn` and
// run the session until it is over (blocking).

#include <cstdint>
#include <functional>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/common/unique_fd.h"
#include "crio/streaming/backend.h"
#include "spdy_session.h"  // SessionRunner, PodDialer
#include "websocket_channel.h"

namespace crio::streaming {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Exec/attach. Channels 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize (and 255 close with v5).
// `run` runs on a thread of its own while this one moves data; the result goes on the error
// channel (v4/v5: Status JSON; older: the failure message only), then the connection closes.
// `conn` is a connected stream socket (blocking or not).
void ServeWebSocketRemoteCommand(UniqueFd conn, const HttpRequest& upgrade,
                                 const WsChannelProtocol& protocol, const StreamFlags& flags,
                                 absl::Duration idle_timeout, const SessionRunner& run);

// Port-forward: channels 2i (data) and 2i+1 (error) for ports[i], each starting with the port
// number; one connection into the pod per port, for the life of the WebSocket.
void ServeWebSocketPortForward(UniqueFd conn, const HttpRequest& upgrade,
                               const WsChannelProtocol& protocol, std::vector<int32_t> ports,
                               absl::Duration idle_timeout, const PodDialer& dial);

}  // namespace crio::streaming
