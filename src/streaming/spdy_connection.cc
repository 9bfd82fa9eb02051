#include "spdy_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "crio/common/strings.h"

namespace crio::streaming {
namespace {

// One DATA frame carries at most this much: small enough that streams sharing a connection
// take turns, large enough for throughput.
constexpr size_t kMaxDataChunk = 32 * 1024;
// DATA bytes queued for the writer; a writer past this waits (the peer reads too slowly).
constexpr size_t kMaxQueuedData = 256 * 1024;
// Control frames queued and not yet written. Only a peer that floods PINGs (or other frames
// we must answer) while not reading gets there; the connection is then dropped.
constexpr size_t kMaxQueuedControl = 4096;
// The writer sends up to this much in one send() when several frames are queued.
constexpr size_t kWriteBatch = 64 * 1024;
constexpr size_t kReadChunk = 64 * 1024;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// absl durations for std waits; "infinite" becomes a long but finite wait, since adding
// duration::max() to now() overflows.
std::chrono::nanoseconds Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365)));
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SpdyStream

size_t SpdyStream::Read(char* buf, size_t size) {
  if (size == 0) return 0;
  std::unique_lock lock(conn_->mu_);
  conn_->cv_.wait(lock, [&] { return buffered() > 0 || remote_fin_ || reset_ || conn_->closed_; });
  size_t n = std::min(size, buffered());
  if (n == 0) return 0;
  std::memcpy(buf, recv_buffer_.data() + recv_offset_, n);
  recv_offset_ += n;
  if (recv_offset_ == recv_buffer_.size()) {
    // Give the memory back: an idle stream should not keep its peak buffer.
    std::string().swap(recv_buffer_);
    recv_offset_ = 0;
  }
  // Window updates as the application consumes, half a window at a time, so a peer that
  // does flow control never has more than our window in flight.
  consumed_unacked_ += static_cast<uint32_t>(n);
  conn_->session_consumed_unacked_ += static_cast<uint32_t>(n);
  if (!remote_fin_ && !reset_ && !conn_->closed_ &&
      consumed_unacked_ >= conn_->options_.receive_window / 2) {
    conn_->EnqueueLocked(spdy::WindowUpdateFrame{id_, consumed_unacked_});
    consumed_unacked_ = 0;
  }
  if (!conn_->closed_ && conn_->session_consumed_unacked_ >= conn_->SessionUpdateThreshold()) {
    conn_->EnqueueLocked(spdy::WindowUpdateFrame{0, conn_->session_consumed_unacked_});
    conn_->session_consumed_unacked_ = 0;
  }
  conn_->cv_.notify_all();  // the reader may be waiting for room in this buffer
  return n;
}

absl::Status SpdyStream::Write(std::string_view data) {
  std::unique_lock lock(conn_->mu_);
  while (true) {
    if (reset_) return absl::AbortedError(StrCat("stream ", id_, " was reset"));
    if (conn_->closed_ || conn_->closing_) {
      return absl::UnavailableError("SPDY connection closed");
    }
    if (local_fin_) return absl::FailedPreconditionError("write after close");
    if (data.empty()) return absl::OkStatus();
    if (!local_ && !replied_) {
      conn_->EnqueueLocked(spdy::SynReplyFrame{id_, 0, {}});
      replied_ = true;
    }
    int64_t allowed = static_cast<int64_t>(std::min(data.size(), kMaxDataChunk));
    if (conn_->peer_flow_control_) {
      allowed = std::min({allowed, send_window_, conn_->session_send_window_});
    }
    if (allowed <= 0 || conn_->out_data_bytes_ >= kMaxQueuedData) {
      conn_->cv_.wait(lock);
      continue;
    }
    conn_->EnqueueDataLocked(id_, 0, data.substr(0, static_cast<size_t>(allowed)));
    send_window_ -= allowed;
    conn_->session_send_window_ -= allowed;
    data.remove_prefix(static_cast<size_t>(allowed));
  }
}

absl::Status SpdyStream::CloseWrite() {
  std::lock_guard lock(conn_->mu_);
  if (local_fin_) return absl::OkStatus();
  if (reset_) return absl::AbortedError(StrCat("stream ", id_, " was reset"));
  if (conn_->closed_) return absl::UnavailableError("SPDY connection closed");
  if (!local_ && !replied_) {
    conn_->EnqueueLocked(spdy::SynReplyFrame{id_, spdy::kFlagFin, {}});
    replied_ = true;
  } else {
    conn_->EnqueueDataLocked(id_, spdy::kFlagFin, {});
  }
  local_fin_ = true;
  conn_->MaybeRemoveLocked(*this);
  return absl::OkStatus();
}

void SpdyStream::Reset(uint32_t status) {
  std::lock_guard lock(conn_->mu_);
  if (reset_) return;
  // A stream closed in both directions is gone for the peer: nothing to reset.
  if (!(local_fin_ && remote_fin_) && !conn_->closed_) {
    conn_->EnqueueLocked(spdy::RstStreamFrame{id_, status});
  }
  reset_ = true;
  conn_->RemoveStreamLocked(*this);
  conn_->cv_.notify_all();
}

absl::Status SpdyStream::Reply() {
  std::lock_guard lock(conn_->mu_);
  if (local_) return absl::FailedPreconditionError("cannot reply to a stream we opened");
  if (replied_) return absl::OkStatus();
  if (reset_) return absl::AbortedError(StrCat("stream ", id_, " was reset"));
  if (conn_->closed_) return absl::UnavailableError("SPDY connection closed");
  conn_->EnqueueLocked(spdy::SynReplyFrame{id_, 0, {}});
  replied_ = true;
  return absl::OkStatus();
}

absl::Status SpdyStream::WaitReply(absl::Duration timeout) {
  std::unique_lock lock(conn_->mu_);
  if (!local_) return absl::FailedPreconditionError("the peer opened this stream");
  conn_->cv_.wait_for(lock, Chrono(timeout), [&] { return replied_ || reset_ || conn_->closed_; });
  if (replied_) return absl::OkStatus();
  if (reset_) return absl::AbortedError(StrCat("stream ", id_, " refused by the peer"));
  if (conn_->closed_) return absl::UnavailableError("SPDY connection closed");
  return absl::DeadlineExceededError(StrCat("no reply for stream ", id_));
}

bool SpdyStream::was_reset() const {
  std::lock_guard lock(conn_->mu_);
  return reset_;
}

bool SpdyStream::fin_received() const {
  std::lock_guard lock(conn_->mu_);
  return remote_fin_;
}

// ---------------------------------------------------------------------------------------------
// SpdyConnection

SpdyConnection::SpdyConnection(UniqueFd fd, SpdyConnectionOptions options)
    : fd_(std::move(fd)),
      options_(std::move(options)),
      next_stream_id_(options_.server ? 2 : 1),
      next_ping_id_(options_.server ? 2 : 1) {
  options_.receive_window = std::clamp<uint32_t>(options_.receive_window, 1024, spdy::kMaxWindow);
  options_.receive_buffer = std::max<size_t>(options_.receive_buffer, options_.receive_window);
}

std::unique_ptr<SpdyConnection> SpdyConnection::Start(UniqueFd fd, SpdyConnectionOptions options) {
  std::unique_ptr<SpdyConnection> conn(new SpdyConnection(std::move(fd), std::move(options)));
  conn->TouchActivity();
  if (!conn->options_.server) {
    // A server speaks only after the client's first frame (see SendSettingsLocked).
    std::lock_guard lock(conn->mu_);
    conn->SendSettingsLocked();
  }
  conn->writer_ = std::thread([c = conn.get()] { c->WriterLoop(); });
  conn->reader_ = std::thread([c = conn.get()] { c->ReaderLoop(); });
  return conn;
}

SpdyConnection::~SpdyConnection() { Close(); }

void SpdyConnection::SendSettingsLocked() {
  if (settings_sent_) return;
  settings_sent_ = true;
  // Announcing our window also tells a peer like ourselves that we do flow control. A server
  // sends it only once the client has spoken: some clients read the HTTP 101 through a
  // buffered reader and would lose SPDY bytes that arrive with it (the kubelet's spdystream
  // server never speaks first either).
  EnqueueLocked(spdy::SettingsFrame{
      0, {spdy::Setting{0, spdy::kSettingsInitialWindowSize, options_.receive_window}}});
  if (options_.session_window > spdy::kDefaultWindow) {
    EnqueueLocked(spdy::WindowUpdateFrame{0, options_.session_window - spdy::kDefaultWindow});
  }
}

void SpdyConnection::TouchActivity() {
  last_activity_ns_.store(NowNs(), std::memory_order_relaxed);
}

void SpdyConnection::NotifyClosedOnce() {
  if (close_notified_) return;
  close_notified_ = true;
  if (options_.on_closed) options_.on_closed();
}

void SpdyConnection::FailLocked(std::string reason) {
  if (closed_) return;
  closed_ = true;
  error_ = std::move(reason);
  // Wakes the reader (poll/recv return) and the writer (send fails) at once.
  ::shutdown(fd_.get(), SHUT_RDWR);
  cv_.notify_all();
  writer_cv_.notify_all();
  NotifyClosedOnce();
}

void SpdyConnection::EnqueueLocked(spdy::Frame frame) {
  if (closed_) return;
  std::string bytes = spdy::SerializeFrame(frame, compressor_);
  if (bytes.empty()) {
    FailLocked("header compression failed");
    return;
  }
  if (std::holds_alternative<spdy::DataFrame>(frame)) {
    out_data_bytes_ += bytes.size() - 8;
  } else if (++out_control_frames_ > kMaxQueuedControl) {
    FailLocked("peer does not read while sending frames that need an answer");
    return;
  }
  out_.push_back(std::move(bytes));
  writer_cv_.notify_one();
}

void SpdyConnection::EnqueueDataLocked(uint32_t stream_id, uint8_t flags, std::string_view data) {
  if (closed_) return;
  out_data_bytes_ += data.size();
  out_.push_back(spdy::SerializeData(stream_id, flags, data));
  writer_cv_.notify_one();
}

void SpdyConnection::RemoveStreamLocked(SpdyStream& stream) {
  if (stream.removed_) return;
  stream.removed_ = true;
  streams_.erase(stream.id_);
}

void SpdyConnection::MaybeRemoveLocked(SpdyStream& stream) {
  if (stream.reset_ || (stream.local_fin_ && stream.remote_fin_)) RemoveStreamLocked(stream);
}

void SpdyConnection::WriterLoop() {
  std::unique_lock lock(mu_);
  std::string batch;
  while (true) {
    writer_cv_.wait(lock, [&] { return !out_.empty() || closing_ || closed_; });
    if (closed_) break;
    if (out_.empty()) break;  // closing_ and everything is out
    batch.clear();
    while (!out_.empty() && (batch.empty() || batch.size() + out_.front().size() <= kWriteBatch)) {
      std::string& frame = out_.front();
      bool control = (static_cast<unsigned char>(frame[0]) & 0x80) != 0;
      if (control) {
        --out_control_frames_;
      } else {
        out_data_bytes_ -= frame.size() - 8;
      }
      batch.append(frame);
      out_.pop_front();
    }
    cv_.notify_all();  // room in the queue for blocked writers
    lock.unlock();
    bool ok = SendAll(fd_.get(), batch);
    lock.lock();
    if (!ok) {
      FailLocked(closing_ ? "" : StrCat("write: ", std::strerror(errno)));
      break;
    }
    TouchActivity();
  }
  writer_done_ = true;
  cv_.notify_all();
}

void SpdyConnection::ReaderLoop() {
  spdy::FrameParser parser(options_.limits);
  parser.Feed(options_.leftover);
  options_.leftover.clear();
  std::vector<char> buf(kReadChunk);
  while (true) {
    // Dispatch every whole frame we have.
    while (true) {
      spdy::Frame frame;
      spdy::FrameParser::Result result = parser.Next(&frame);
      if (result == spdy::FrameParser::Result::kNeedMore) break;
      std::unique_lock lock(mu_);
      if (closed_) return;
      if (result == spdy::FrameParser::Result::kError) {
        FailLocked(StrCat("SPDY protocol error: ", parser.error()));
        return;
      }
      SendSettingsLocked();
      Dispatch(frame, lock);
    }
    int timeout_ms = -1;
    if (options_.idle_timeout != absl::InfiniteDuration()) {
      int64_t idle_ns = absl::ToInt64Nanoseconds(options_.idle_timeout);
      int64_t left = last_activity_ns_.load(std::memory_order_relaxed) + idle_ns - NowNs();
      if (left <= 0) {
        std::lock_guard lock(mu_);
        FailLocked("idle timeout");
        return;
      }
      timeout_ms = static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 60 * 1000));
    }
    pollfd pfd{fd_.get(), POLLIN, 0};
    int rc = ::poll(&pfd, 1, timeout_ms);
    if (rc < 0 && errno != EINTR) {
      std::lock_guard lock(mu_);
      FailLocked(StrCat("poll: ", std::strerror(errno)));
      return;
    }
    if (rc <= 0) continue;
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::lock_guard lock(mu_);
      // The peer closing is the normal end of a connection, not an error.
      FailLocked(n == 0 || closing_ ? "" : StrCat("read: ", std::strerror(errno)));
      return;
    }
    TouchActivity();
    parser.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
}

void SpdyConnection::Dispatch(spdy::Frame& frame, std::unique_lock<std::mutex>& lock) {
  auto find = [&](uint32_t id) -> SpdyStream* {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  };
  if (auto* data = std::get_if<spdy::DataFrame>(&frame)) {
    OnData(*data, lock);
  } else if (auto* syn = std::get_if<spdy::SynStreamFrame>(&frame)) {
    uint32_t id = syn->stream_id;
    bool peer_parity = options_.server ? (id % 2 == 1) : (id % 2 == 0);
    if (closing_ || goaway_sent_) {
      EnqueueLocked(spdy::RstStreamFrame{id, spdy::kRstRefusedStream});
      return;
    }
    if (!peer_parity || id <= last_peer_stream_id_) {
      EnqueueLocked(spdy::RstStreamFrame{id, spdy::kRstProtocolError});
      return;
    }
    last_peer_stream_id_ = id;
    if (streams_.size() >= options_.max_streams ||
        pending_accept_.size() >= options_.max_pending_streams) {
      EnqueueLocked(spdy::RstStreamFrame{id, spdy::kRstRefusedStream});
      return;
    }
    auto stream = std::make_shared<SpdyStream>(SpdyStream::Key(), this, id, std::move(syn->headers),
                                               false, peer_initial_window_);
    stream->remote_fin_ = (syn->flags & spdy::kFlagFin) != 0;
    stream->local_fin_ = (syn->flags & spdy::kFlagUnidirectional) != 0;
    streams_[id] = stream;
    pending_accept_.push_back(std::move(stream));
    cv_.notify_all();
  } else if (auto* reply = std::get_if<spdy::SynReplyFrame>(&frame)) {
    SpdyStream* stream = find(reply->stream_id);
    if (stream == nullptr || !stream->local_ || stream->replied_) return;
    stream->replied_ = true;
    if (reply->flags & spdy::kFlagFin) stream->remote_fin_ = true;
    MaybeRemoveLocked(*stream);
    cv_.notify_all();
  } else if (auto* rst = std::get_if<spdy::RstStreamFrame>(&frame)) {
    SpdyStream* stream = find(rst->stream_id);
    if (stream == nullptr) return;
    stream->reset_ = true;
    RemoveStreamLocked(*stream);
    cv_.notify_all();
  } else if (auto* settings = std::get_if<spdy::SettingsFrame>(&frame)) {
    peer_flow_control_ = true;
    for (const spdy::Setting& s : settings->settings) {
      if (s.id != spdy::kSettingsInitialWindowSize || s.value > spdy::kMaxWindow) continue;
      // SPDY/3: a new initial window shifts the send window of every open stream.
      int64_t delta = int64_t{s.value} - peer_initial_window_;
      for (auto& [id, stream] : streams_) stream->send_window_ += delta;
      peer_initial_window_ = s.value;
    }
    cv_.notify_all();
  } else if (auto* ping = std::get_if<spdy::PingFrame>(&frame)) {
    if (ping->id % 2 != next_ping_id_ % 2) {
      EnqueueLocked(*ping);  // the peer's ping: echo it
    } else if (auto it = pings_.find(ping->id); it != pings_.end()) {
      it->second = true;
      cv_.notify_all();
    }
  } else if (auto* goaway = std::get_if<spdy::GoAwayFrame>(&frame)) {
    goaway_received_ = true;
    // Streams we opened past the peer's last good id were never seen: they are refused.
    std::vector<SpdyStream*> refused;
    for (auto& [id, stream] : streams_) {
      if (stream->local_ && id > goaway->last_good_stream_id && !stream->replied_) {
        refused.push_back(stream.get());
      }
    }
    for (SpdyStream* stream : refused) {
      stream->reset_ = true;
      RemoveStreamLocked(*stream);
    }
    cv_.notify_all();
  } else if (auto* headers = std::get_if<spdy::HeadersFrame>(&frame)) {
    SpdyStream* stream = find(headers->stream_id);
    if (stream == nullptr || !(headers->flags & spdy::kFlagFin)) return;
    stream->remote_fin_ = true;
    MaybeRemoveLocked(*stream);
    cv_.notify_all();
  } else if (auto* update = std::get_if<spdy::WindowUpdateFrame>(&frame)) {
    peer_flow_control_ = true;
    if (update->stream_id == 0) {
      session_send_window_ =
          std::min<int64_t>(session_send_window_ + update->delta, spdy::kMaxWindow);
    } else if (SpdyStream* stream = find(update->stream_id)) {
      stream->send_window_ =
          std::min<int64_t>(stream->send_window_ + update->delta, spdy::kMaxWindow);
    }
    cv_.notify_all();
  }
}

void SpdyConnection::OnData(spdy::DataFrame& frame, std::unique_lock<std::mutex>& lock) {
  auto it = streams_.find(frame.stream_id);
  std::shared_ptr<SpdyStream> stream = it == streams_.end() ? nullptr : it->second;
  if (stream == nullptr || stream->reset_ || stream->remote_fin_) {
    // Data for a stream that is gone: drop it, but keep the connection window open.
    session_consumed_unacked_ += static_cast<uint32_t>(frame.data.size());
    if (session_consumed_unacked_ >= SessionUpdateThreshold()) {
      EnqueueLocked(spdy::WindowUpdateFrame{0, session_consumed_unacked_});
      session_consumed_unacked_ = 0;
    }
    return;
  }
  // Backpressure for peers that ignore our window: stop reading the socket until the
  // application has made room.
  cv_.wait(lock, [&] {
    return closed_ || stream->reset_ || stream->buffered() < options_.receive_buffer;
  });
  if (closed_ || stream->reset_) return;
  if (stream->recv_offset_ > 0 && stream->recv_offset_ >= stream->recv_buffer_.size() / 2) {
    stream->recv_buffer_.erase(0, stream->recv_offset_);
    stream->recv_offset_ = 0;
  }
  stream->recv_buffer_.append(frame.data);
  if (frame.flags & spdy::kFlagFin) {
    stream->remote_fin_ = true;
    MaybeRemoveLocked(*stream);
  }
  cv_.notify_all();
}

absl::StatusOr<std::shared_ptr<SpdyStream>> SpdyConnection::OpenStream(spdy::HeaderBlock headers,
                                                                       bool fin) {
  std::lock_guard lock(mu_);
  if (closed_ || closing_) return absl::UnavailableError("SPDY connection closed");
  if (goaway_received_) return absl::UnavailableError("peer sent GOAWAY");
  if (next_stream_id_ > 0x7fffffff) return absl::ResourceExhaustedError("stream ids exhausted");
  uint32_t id = next_stream_id_;
  next_stream_id_ += 2;
  spdy::SynStreamFrame syn{id, 0, 0, 0, static_cast<uint8_t>(fin ? spdy::kFlagFin : 0), headers};
  auto stream = std::make_shared<SpdyStream>(SpdyStream::Key(), this, id, std::move(headers), true,
                                             peer_initial_window_);
  stream->local_fin_ = fin;
  streams_[id] = stream;
  EnqueueLocked(std::move(syn));
  return stream;
}

std::shared_ptr<SpdyStream> SpdyConnection::AcceptStream(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, Chrono(timeout),
               [&] { return !pending_accept_.empty() || closed_ || goaway_received_; });
  if (pending_accept_.empty()) return nullptr;
  std::shared_ptr<SpdyStream> stream = std::move(pending_accept_.front());
  pending_accept_.pop_front();
  return stream;
}

absl::StatusOr<absl::Duration> SpdyConnection::Ping(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  if (closed_) return absl::UnavailableError("SPDY connection closed");
  uint32_t id = next_ping_id_;
  next_ping_id_ += 2;
  pings_[id] = false;
  auto start = Clock::now();
  EnqueueLocked(spdy::PingFrame{id});
  cv_.wait_for(lock, Chrono(timeout), [&] { return pings_[id] || closed_; });
  bool answered = pings_[id];
  pings_.erase(id);
  if (answered) return absl::FromChrono(Clock::now() - start);
  if (closed_) return absl::UnavailableError("SPDY connection closed");
  return absl::DeadlineExceededError("no answer to PING");
}

void SpdyConnection::GoAway(uint32_t status) {
  std::lock_guard lock(mu_);
  if (goaway_sent_ || closed_) return;
  goaway_sent_ = true;
  EnqueueLocked(spdy::GoAwayFrame{last_peer_stream_id_, status});
}

void SpdyConnection::Close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::unique_lock lock(mu_);
    if (!closed_ && !closing_) {
      if (!goaway_sent_) {
        goaway_sent_ = true;
        EnqueueLocked(spdy::GoAwayFrame{last_peer_stream_id_, spdy::kGoAwayOk});
      }
      closing_ = true;
      writer_cv_.notify_all();
      cv_.notify_all();
    }
    auto deadline = Clock::now() + Chrono(options_.close_linger);
    cv_.wait_until(lock, deadline, [&] { return writer_done_ || closed_; });
    // Everything we had to say is out: half-close so the peer reads EOF after our GOAWAY,
    // then let it close its side, so neither end loses data to a TCP reset.
    if (!closed_) ::shutdown(fd_.get(), SHUT_WR);
    cv_.wait_until(lock, deadline, [&] { return closed_; });
    FailLocked(error_);
  }
  if (writer_.joinable()) writer_.join();
  if (reader_.joinable()) reader_.join();
}

void SpdyConnection::Abort() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    FailLocked("connection aborted");
  }
  if (writer_.joinable()) writer_.join();
  if (reader_.joinable()) reader_.join();
}

bool SpdyConnection::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

bool SpdyConnection::WaitClosed(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, Chrono(timeout), [&] { return closed_; });
}

std::string SpdyConnection::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

bool SpdyConnection::goaway_received() const {
  std::lock_guard lock(mu_);
  return goaway_received_;
}

}  // namespace crio::streaming
