#pragma once

// A SPDY/3.1 connection over one connected, blocking stream socket: a reader thread parses and
// dispatches frames, a writer thread owns the socket's sending side (so the reader never
// blocks on a slow peer), streams can be opened by either side and half-closed in each
// direction, PINGs are answered and GOAWAY honoured.
//
// Flow control, and what the peers we talk to actually do: moby/spdystream (the library under
// the kubelet, kubectl and crictl) never sends SETTINGS or WINDOW_UPDATE and ignores the ones
// it receives; it writes data regardless of windows. So:
//  - we always advertise our receive window (SETTINGS_INITIAL_WINDOW_SIZE) and send
//    WINDOW_UPDATE (per stream and, as SPDY/3.1 adds, for the connection) as the application
//    consumes data;
//  - we hold back our own sends by the peer's windows only once the peer has shown that it
//    does flow control (it sent SETTINGS or WINDOW_UPDATE); otherwise a spdystream peer would
//    stall us forever after 64 KiB;
//  - a peer that ignores our window is held back by the bounded receive buffer instead: when
//    a stream's buffer is full the reader thread stops reading the socket (TCP backpressure,
//    exactly what spdystream itself does), so memory stays bounded in every case.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/common/unique_fd.h"
#include "spdy_frame.h"

namespace crio::streaming {

struct SpdyConnectionOptions {
  bool server = true;  // server-opened streams are even, client-opened odd
  // Bytes already read from the socket past the HTTP upgrade.
  std::string leftover;
  // No frame read or written for this long closes the connection. Infinite: never.
  absl::Duration idle_timeout = absl::InfiniteDuration();
  // Our per-stream receive window, advertised with SETTINGS_INITIAL_WINDOW_SIZE. Larger than
  // SPDY's 64 KiB default: with windows enforced on both sides (two crio-cpp ends), a 64 KiB
  // window holds a bulk transfer (port-forward) to one window per round trip.
  uint32_t receive_window = 1024 * 1024;
  // Our connection-wide receive window, opened beyond the default 64 KiB with a WINDOW_UPDATE
  // on stream 0 once we speak.
  uint32_t session_window = 16 * 1024 * 1024;
  // Bytes a stream may hold unread before the reader stops reading the socket. Never below
  // receive_window, so a peer that honours our window never stalls the reader.
  size_t receive_buffer = 2 * 1024 * 1024;
  // Incoming streams not yet taken by AcceptStream, and streams alive at once; more are
  // refused (RST_STREAM REFUSED_STREAM).
  size_t max_pending_streams = 128;
  size_t max_streams = 1024;
  // How long a graceful Close waits for our queued frames to go out and the peer to close.
  absl::Duration close_linger = absl::Seconds(5);
  // Called once, from a connection thread, when the connection is gone (peer closed, error,
  // idle timeout or Close). Must not block or call back into the connection.
  std::function<void()> on_closed;
  spdy::Limits limits;
};

class SpdyConnection;

// One SPDY stream. Shared between the connection and its user; every method is thread-safe.
// A stream must not be used after its connection is destroyed.
class SpdyStream {
 public:
  uint32_t id() const { return id_; }
  // The headers of the SYN_STREAM that opened it.
  const spdy::HeaderBlock& headers() const { return headers_; }
  std::string_view header(std::string_view name) const { return spdy::FindHeader(headers_, name); }

  // Reads up to `size` bytes, blocking until some arrive. Returns 0 once no more data can
  // come: the peer half-closed (FIN), reset the stream, or the connection ended (buffered
  // data is always delivered first; was_reset() tells a reset apart).
  size_t Read(char* buf, size_t size);
  // Sends all of `data`, blocking while the peer's window or our send queue is full.
  absl::Status Write(std::string_view data);
  // Half-closes our direction (empty DATA frame with FLAG_FIN). Idempotent.
  absl::Status CloseWrite();
  // Resets the stream (RST_STREAM): both directions end at once. Idempotent.
  void Reset(uint32_t status = spdy::kRstCancel);

  // For a stream the peer opened: accepts it (SYN_REPLY). Write does this on demand too.
  absl::Status Reply();
  // For a stream we opened: waits for the peer's SYN_REPLY.
  absl::Status WaitReply(absl::Duration timeout);

  bool was_reset() const;
  // True once the peer half-closed cleanly (FIN), as opposed to a reset or a lost connection.
  bool fin_received() const;

  // Only the connection can make the key, so only it creates streams (with make_shared).
  class Key {
    friend class SpdyConnection;
    Key() = default;
  };
  SpdyStream(Key, SpdyConnection* conn, uint32_t id, spdy::HeaderBlock headers, bool local,
             int64_t send_window)
      : conn_(conn),
        id_(id),
        headers_(std::move(headers)),
        local_(local),
        send_window_(send_window) {}

 private:
  friend class SpdyConnection;
  size_t buffered() const { return recv_buffer_.size() - recv_offset_; }

  SpdyConnection* const conn_;
  const uint32_t id_;
  const spdy::HeaderBlock headers_;
  const bool local_;  // opened by us

  // Guarded by conn_->mu_.
  std::string recv_buffer_;
  size_t recv_offset_ = 0;
  uint32_t consumed_unacked_ = 0;  // read by the application, not yet in a WINDOW_UPDATE
  int64_t send_window_;
  bool remote_fin_ = false;
  bool local_fin_ = false;
  bool replied_ = false;  // SYN_REPLY sent (remote stream) or received (local stream)
  bool reset_ = false;
  bool removed_ = false;  // no longer in the connection's map
};

class SpdyConnection {
 public:
  // Takes the socket and starts the reader and writer threads.
  static std::unique_ptr<SpdyConnection> Start(UniqueFd fd, SpdyConnectionOptions options);
  // Closes gracefully (see Close) and joins the threads.
  ~SpdyConnection();
  SpdyConnection(const SpdyConnection&) = delete;
  SpdyConnection& operator=(const SpdyConnection&) = delete;

  // Opens a stream (SYN_STREAM). It does not wait for the reply: see SpdyStream::WaitReply.
  absl::StatusOr<std::shared_ptr<SpdyStream>> OpenStream(spdy::HeaderBlock headers,
                                                         bool fin = false);
  // The next stream the peer opened, not yet replied to; nullptr when none came before
  // `timeout` or, at once, when no more can come (connection over or GOAWAY received).
  std::shared_ptr<SpdyStream> AcceptStream(absl::Duration timeout);

  // Sends a PING and waits for its answer; the round-trip time.
  absl::StatusOr<absl::Duration> Ping(absl::Duration timeout);
  // Sends GOAWAY: the peer must open no more streams; existing ones go on.
  void GoAway(uint32_t status = spdy::kGoAwayOk);
  // Graceful end: GOAWAY, flush what is queued, half-close the socket, wait up to
  // close_linger for the peer to close, then close and join the threads. Idempotent.
  void Close();
  // Immediate end: the socket is shut down at once. Streams see the end of data.
  void Abort();

  // True once the connection is over (nothing more can be read or written).
  bool closed() const;
  // Waits until closed() or `timeout` passes; returns closed().
  bool WaitClosed(absl::Duration timeout);
  // Why the connection ended, if it ended on an error (empty otherwise).
  std::string error() const;
  bool goaway_received() const;

 private:
  friend class SpdyStream;
  using Clock = std::chrono::steady_clock;

  SpdyConnection(UniqueFd fd, SpdyConnectionOptions options);
  void ReaderLoop();
  void WriterLoop();
  void Dispatch(spdy::Frame& frame, std::unique_lock<std::mutex>& lock);
  void OnData(spdy::DataFrame& frame, std::unique_lock<std::mutex>& lock);
  // Marks the connection over, wakes everyone and shuts the socket down. Holds mu_.
  void FailLocked(std::string reason);
  void NotifyClosedOnce();
  // Queues a serialized frame. Control frames always go in (their count is capped by
  // FailLocked on abuse); data frames wait for queue space in Write. Holds mu_.
  void EnqueueLocked(spdy::Frame frame);
  void EnqueueDataLocked(uint32_t stream_id, uint8_t flags, std::string_view data);
  void RemoveStreamLocked(SpdyStream& stream);
  void MaybeRemoveLocked(SpdyStream& stream);
  void TouchActivity();
  void SendSettingsLocked();
  // Consumed bytes worth a connection WINDOW_UPDATE: half the window the peer believes we have.
  uint32_t SessionUpdateThreshold() const {
    uint32_t window = settings_sent_ && options_.session_window > spdy::kDefaultWindow
                          ? options_.session_window
                          : spdy::kDefaultWindow;
    return window / 2;
  }

  const UniqueFd fd_;
  SpdyConnectionOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;         // any state change: streams, windows, queue, closing
  std::condition_variable writer_cv_;  // the writer waits for frames here
  std::deque<std::string> out_;        // serialized frames, in wire order
  size_t out_data_bytes_ = 0;          // DATA payload bytes in out_
  size_t out_control_frames_ = 0;
  spdy::HeaderCompressor compressor_;  // used only under mu_, in out_ order
  std::map<uint32_t, std::shared_ptr<SpdyStream>> streams_;
  std::deque<std::shared_ptr<SpdyStream>> pending_accept_;
  uint32_t next_stream_id_;
  uint32_t last_peer_stream_id_ = 0;
  uint32_t next_ping_id_;
  std::map<uint32_t, bool> pings_;  // our outstanding pings: id -> answered
  bool settings_sent_ = false;
  bool peer_flow_control_ = false;
  int64_t peer_initial_window_ = spdy::kDefaultWindow;
  int64_t session_send_window_ = spdy::kDefaultWindow;
  uint32_t session_consumed_unacked_ = 0;
  bool goaway_sent_ = false;
  bool goaway_received_ = false;
  bool closing_ = false;  // Close() started: the writer exits once the queue is empty
  bool writer_done_ = false;
  bool closed_ = false;  // over: no more reads or writes
  bool close_notified_ = false;
  std::string error_;
  std::atomic<int64_t> last_activity_ns_{0};

  std::mutex close_mu_;  // serializes Close/Abort/destructor (joins)
  std::thread reader_;
  std::thread writer_;
};

}  // namespace crio::streaming
