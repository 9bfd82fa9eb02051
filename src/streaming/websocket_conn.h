#pragma once

// The machinery shared by every WebSocket session, server or client: one connection driven by
// its own single-threaded io_context (so Beast's stream never sees two threads), one read at a
// time (the subclass asks for the next message once it has dealt with the last one, which is
// how backpressure reaches the client), a queue of outgoing messages that each producer feeds
// one message at a time (so the queue stays a few entries long), an idle timer and an orderly
// close. The socket is a plain connected stream socket of any family; TLS, when used, is
// terminated elsewhere (tls_pump.h).

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "crio/common/unique_fd.h"

namespace crio::streaming {

using WsSocket = boost::asio::generic::stream_protocol::socket;
using WsStream = boost::beast::websocket::stream<WsSocket>;

class WsConnection {
 public:
  // `base64`: messages are text frames carrying base64 (the base64.* protocols).
  explicit WsConnection(bool base64);
  virtual ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Takes over a connected stream socket.
  absl::Status Adopt(UniqueFd fd);

 protected:
  boost::asio::io_context& ioc() { return ioc_; }
  WsStream& ws() { return ws_; }
  bool base64() const { return base64_; }
  void set_base64(bool base64);

  // Queues `data` on `channel`. `done` runs (on the io thread, never inline) once the message
  // is written or dropped because the connection is gone.
  void Send(uint8_t channel, std::string_view data, std::function<void()> done = nullptr);
  // Queues a message payload as is.
  void SendPayload(std::string payload, std::function<void()> done = nullptr);
  // Reads the next message; OnMessage or OnReadError follows.
  void ReadNext();
  virtual void OnMessage(std::string_view payload) = 0;
  // The connection is unusable for reading: closed by the peer, broken, timed out or aborted.
  virtual void OnReadError(boost::beast::error_code ec) = 0;

  // Sends a normal close frame once everything queued is written, then closes the socket
  // (after the peer's answer or a few seconds).
  void CloseWhenFlushed();
  // Closes the socket now; pending operations fail.
  void Abort();
  bool broken() const { return broken_; }

  // Aborts the connection after `timeout` without traffic in either direction; zero or
  // infinite: never.
  void StartIdleTimer(absl::Duration timeout);
  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  // Runs ioc() until a handler calls `*done = true` or `timeout` passes (which aborts the
  // connection); for the blocking steps before a session (handshakes).
  bool RunUntil(const bool* done, absl::Duration timeout);

 private:
  struct Outgoing {
    std::string payload;
    std::function<void()> done;
  };
  void WriteNext();
  void OnIdleTimer();
  void StartClose();

  boost::asio::io_context ioc_{1};
  WsStream ws_;
  bool base64_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  bool broken_ = false;
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer close_timer_;
  boost::asio::steady_timer step_timer_;
  bool step_expired_ = false;
  std::chrono::steady_clock::duration idle_timeout_{};
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

// The largest message we accept; kubectl sends stdin in pieces of at most 32 KiB.
inline constexpr size_t kMaxWsMessage = 1 << 20;
// Size of the pieces we read from pipes and sockets and send as one message.
inline constexpr size_t kWsChunk = 32 * 1024;

}  // namespace crio::streaming
