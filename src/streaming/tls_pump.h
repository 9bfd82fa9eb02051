#pragma once

// TLS termination for the streaming sessions. The SPDY and WebSocket code only ever work on a
// plain connected socket; with TLS they get one end of a socketpair, and a pump moves the bytes
// between the other end and the TLS connection, encrypting and decrypting. This keeps the
// session code free of TLS and lets the SPDY side stay blocking.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"

namespace crio::streaming {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// Both ends of a new AF_UNIX stream socketpair (close-on-exec, blocking).
absl::Status MakeSocketPair(UniqueFd* first, UniqueFd* second);

// Moves bytes between `tls` (handshake done, bound to `ioc`) and `plain` until both directions
// are over: EOF from the session closes the TLS connection (close_notify, then the socket), EOF
// or an error from the peer shuts down the session's read side. Runs `ioc` on the calling
// thread; returns when done.
void RunTlsPump(boost::asio::io_context& ioc, TlsStream& tls, UniqueFd plain);

}  // namespace crio::streaming
