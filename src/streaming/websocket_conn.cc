#include "websocket_conn.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>

#include "crio/common/strings.h"
#include "websocket_channel.h"

namespace crio::streaming {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {
// How long an orderly close waits for the peer's close frame.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
}  // namespace

WsConnection::WsConnection(bool base64)
    : ws_(ioc_), base64_(base64), idle_timer_(ioc_), close_timer_(ioc_), step_timer_(ioc_) {
  ws_.read_message_max(kMaxWsMessage);
  ws_.auto_fragment(false);
  // Bounds the closing handshake, including the one Beast starts itself when the peer breaks
  // the protocol: a peer that never answers must not hold the session. Idleness is ours.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = kCloseTimeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  set_base64(base64);
}

WsConnection::~WsConnection() = default;

void WsConnection::set_base64(bool base64) {
  base64_ = base64;
  // The kubelet sends base64 as text frames and everything else as binary frames.
  if (base64) {
    ws_.text(true);
  } else {
    ws_.binary(true);
  }
}

absl::Status WsConnection::Adopt(UniqueFd fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(StrCat("getsockname: ", strerror(errno)));
  }
  int family = addr.ss_family;
  int protocol = (family == AF_INET || family == AF_INET6) ? IPPROTO_TCP : 0;
  beast::error_code ec;
  ws_.next_layer().assign(asio::generic::stream_protocol(family, protocol), fd.get(), ec);
  if (ec) return absl::InternalError(StrCat("adopting socket: ", ec.message()));
  fd.Release();  // the socket owns it now
  return absl::OkStatus();
}

void WsConnection::Send(uint8_t channel, std::string_view data, std::function<void()> done) {
  SendPayload(EncodeChannelMessage(channel, data, base64_), std::move(done));
}

void WsConnection::SendPayload(std::string payload, std::function<void()> done) {
  if (broken_ || close_requested_) {
    if (done) asio::post(ioc_, std::move(done));
    return;
  }
  queue_.push_back(Outgoing{std::move(payload), std::move(done)});
  WriteNext();
}

void WsConnection::WriteNext() {
  if (writing_ || closing_ || broken_) return;
  if (queue_.empty()) {
    if (close_requested_) StartClose();
    return;
  }
  writing_ = true;
  ws_.async_write(asio::buffer(queue_.front().payload), [this](beast::error_code ec, size_t) {
    writing_ = false;
    Outgoing sent = std::move(queue_.front());
    queue_.pop_front();
    if (sent.done) asio::post(ioc_, std::move(sent.done));
    if (ec) {
      Abort();
      return;
    }
    Touch();
    WriteNext();
  });
}

void WsConnection::ReadNext() {
  if (broken_) {
    asio::post(ioc_, [this] { OnReadError(asio::error::operation_aborted); });
    return;
  }
  read_buffer_.clear();
  ws_.async_read(read_buffer_, [this](beast::error_code ec, size_t) {
    if (ec) {
      // The peer closed or broke the connection: nothing we write can arrive any more either.
      if (!broken_ && !closing_) Abort();
      OnReadError(ec);
      return;
    }
    Touch();
    auto data = read_buffer_.data();
    OnMessage(std::string_view(static_cast<const char*>(data.data()), data.size()));
  });
}

void WsConnection::CloseWhenFlushed() {
  if (close_requested_ || broken_) return;
  close_requested_ = true;
  WriteNext();
}

void WsConnection::StartClose() {
  closing_ = true;
  close_timer_.expires_after(kCloseTimeout);
  close_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) Abort();
  });
  ws_.async_close(websocket::close_code::normal, [this](beast::error_code) {
    close_timer_.cancel();
    Abort();
  });
}

void WsConnection::Abort() {
  if (!broken_) {
    broken_ = true;
    beast::error_code ignored;
    ws_.next_layer().shutdown(asio::socket_base::shutdown_both, ignored);
    ws_.next_layer().close(ignored);
  }
  idle_timer_.cancel();
  // The message being written stays until its handler runs; the rest are dropped now.
  size_t keep = writing_ ? 1 : 0;
  while (queue_.size() > keep) {
    if (queue_.back().done) asio::post(ioc_, std::move(queue_.back().done));
    queue_.pop_back();
  }
}

void WsConnection::StartIdleTimer(absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) return;
  idle_timeout_ = absl::ToChronoNanoseconds(timeout);
  Touch();
  idle_timer_.expires_after(idle_timeout_);
  idle_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) OnIdleTimer();
  });
}

void WsConnection::OnIdleTimer() {
  if (broken_) return;
  auto deadline = last_activity_ + idle_timeout_;
  if (std::chrono::steady_clock::now() >= deadline) {
    Abort();
    return;
  }
  idle_timer_.expires_at(deadline);
  idle_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) OnIdleTimer();
  });
}

bool WsConnection::RunUntil(const bool* done, absl::Duration timeout) {
  ioc_.restart();
  step_expired_ = false;
  step_timer_.expires_after(absl::ToChronoNanoseconds(timeout));
  step_timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    step_expired_ = true;
    Abort();
  });
  while (!*done && !step_expired_ && ioc_.run_one() > 0) {
  }
  step_timer_.cancel();  // its handler runs later and does nothing
  ioc_.restart();
  return *done && !step_expired_;
}

}  // namespace crio::streaming
