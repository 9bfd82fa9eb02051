#include "websocket_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/streaming/remotecommand.h"
#include "websocket_conn.h"

namespace crio::streaming {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

// After the session's process has ended, output still in the pipes is sent on; a pipe that
// stays silent this long afterwards (a leftover child holding it open) is given up.
constexpr auto kDrainTimeout = std::chrono::seconds(2);

absl::Status MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError(StrCat("pipe: ", strerror(errno)));
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return absl::OkStatus();
}

// Answers the upgrade with the chosen subprotocol (none when the client offered none).
void SetProtocolDecorator(WsStream& ws, std::string_view protocol) {
  ws.set_option(websocket::stream_base::decorator(
      [name = std::string(protocol)](websocket::response_type& response) {
        if (!name.empty()) response.set(http::field::sec_websocket_protocol, name);
      }));
}

class RemoteCommandSession : public WsConnection {
 public:
  RemoteCommandSession(const WsChannelProtocol& protocol, const StreamFlags& flags,
                       const SessionRunner& run)
      : WsConnection(protocol.base64),
        protocol_(protocol),
        flags_(flags),
        run_(run),
        drain_timer_(ioc()) {}

  ~RemoteCommandSession() override {
    if (runner_.joinable()) runner_.join();
  }

  void Serve(UniqueFd conn, const HttpRequest& upgrade, absl::Duration idle_timeout) {
    if (absl::Status status = Adopt(std::move(conn)); !status.ok()) {
      spdlog::warn("websocket session: {}", status.message());
      return;
    }
    if (absl::Status status = SetUp(); !status.ok()) {
      spdlog::warn("websocket session: {}", status.message());
      return;
    }
    SetProtocolDecorator(ws(), protocol_.name);
    ws().async_accept(upgrade, [this](beast::error_code ec) { OnAccepted(ec); });
    StartIdleTimer(idle_timeout);
    ioc().run();
    if (runner_.joinable()) runner_.join();
  }

 private:
  struct Pipe {
    uint8_t channel = 0;
    std::optional<asio::posix::stream_descriptor> fd;
    std::vector<char> buffer;
    bool stop = false;
  };

  // The backend's ends go into session_, ours into descriptors on our io_context.
  absl::Status SetUp() {
    UniqueFd ours;
    if (flags_.stdin) {
      if (auto s = MakePipe(&session_.stdin_fd, &ours); !s.ok()) return s;
      stdin_.emplace(ioc(), ours.Release());
    }
    auto add_output = [&](uint8_t channel, UniqueFd* backend_end) -> absl::Status {
      if (auto s = MakePipe(&ours, backend_end); !s.ok()) return s;
      Pipe& pipe = pipes_.emplace_back();
      pipe.channel = channel;
      pipe.fd.emplace(ioc(), ours.Release());
      pipe.buffer.resize(kWsChunk);
      return absl::OkStatus();
    };
    pipes_.reserve(2);
    if (flags_.stdout) {
      if (auto s = add_output(kStdoutChannel, &session_.stdout_fd); !s.ok()) return s;
    }
    // With a terminal, stdout and stderr are one stream.
    if (flags_.stderr && !flags_.tty) {
      if (auto s = add_output(kStderrChannel, &session_.stderr_fd); !s.ok()) return s;
    }
    if (auto s = MakePipe(&session_.client_gone, &client_gone_); !s.ok()) return s;
    session_.tty = flags_.tty;
    if (flags_.tty) {
      resize_ = std::make_shared<ResizeQueue>();
      session_.resize = resize_;
    }
    return absl::OkStatus();
  }

  void OnAccepted(beast::error_code ec) {
    if (ec) {
      Abort();
      return;
    }
    // The kubelet announces the session with an empty message on the lowest channel it
    // writes to; clients wait for it.
    if (flags_.stdout) {
      Send(kStdoutChannel, "");
    } else if (flags_.stderr && !flags_.tty) {
      Send(kStderrChannel, "");
    } else {
      Send(kErrorChannel, "");
    }
    for (Pipe& pipe : pipes_) {
      ++running_pumps_;
      PumpRead(pipe);
    }
    ReadNext();
    work_.emplace(ioc().get_executor());
    runner_ = std::thread([this] {
      absl::StatusOr<int> result = run_(session_);
      // Our read ends see EOF once the backend's ends are closed (and no child holds them).
      session_.stdin_fd.Reset();
      session_.stdout_fd.Reset();
      session_.stderr_fd.Reset();
      asio::post(ioc(), [this, result = std::move(result)] { OnRunnerDone(result); });
    });
  }

  void PumpRead(Pipe& pipe) {
    if (pipe.stop) {
      EndPump(pipe);
      return;
    }
    pipe.fd->async_read_some(
        asio::buffer(pipe.buffer), [this, &pipe](beast::error_code ec, size_t n) {
          if (ec) {
            EndPump(pipe);
            return;
          }
          last_output_ = std::chrono::steady_clock::now();
          // Read again only once this piece is written: a slow client slows the process down
          // (its writes block on the full pipe) instead of growing a buffer here.
          Send(pipe.channel, std::string_view(pipe.buffer.data(), n), [this, &pipe] {
            last_output_ = std::chrono::steady_clock::now();
            PumpRead(pipe);
          });
        });
  }

  void EndPump(Pipe& pipe) {
    beast::error_code ignored;
    pipe.fd->close(ignored);
    --running_pumps_;
    MaybeFinish();
  }

  void OnMessage(std::string_view payload) override {
    ChannelMessage message = DecodeChannelMessage(payload, base64(), protocol_.version >= 5);
    switch (message.kind) {
      case ChannelMessage::Kind::kInvalid:
        ClientGone();
        return;
      case ChannelMessage::Kind::kIgnore:
        break;
      case ChannelMessage::Kind::kClose:
        if (message.channel == kStdinChannel) CloseStdin();
        break;
      case ChannelMessage::Kind::kData:
        if (message.channel == kStdinChannel && stdin_ && stdin_->is_open() &&
            !message.data.empty()) {
          stdin_data_ = std::move(message.data);
          // The next message is read only after this one is in the pipe (backpressure).
          asio::async_write(*stdin_, asio::buffer(stdin_data_),
                            [this](beast::error_code ec, size_t) {
                              if (ec) CloseStdin();  // the process closed its stdin
                              ReadNext();
                            });
          return;
        }
        if (message.channel == kResizeChannel && resize_) {
          std::vector<TerminalSize> sizes;
          resize_decoder_.Feed(message.data, &sizes);
          for (TerminalSize size : sizes) resize_->Push(size);
        }
        break;
    }
    ReadNext();
  }

  void OnReadError(beast::error_code) override { ClientGone(); }

  void CloseStdin() {
    if (!stdin_) return;
    beast::error_code ignored;
    stdin_->close(ignored);
  }

  // The client closed the connection or broke the protocol: tell the backend, which ends the
  // session; output is drained and dropped until then.
  void ClientGone() {
    if (client_gone_signalled_) return;
    client_gone_signalled_ = true;
    if (client_gone_.valid() && !result_) {
      char byte = 1;
      (void)!write(client_gone_.get(), &byte, 1);
    }
    client_gone_.Reset();
    CloseStdin();
    if (resize_) resize_->Close();
    Abort();
    MaybeFinish();
  }

  void OnRunnerDone(absl::StatusOr<int> result) {
    result_ = std::move(result);
    work_.reset();
    client_gone_.Reset();
    CloseStdin();
    if (resize_) resize_->Close();
    last_output_ = std::chrono::steady_clock::now();
    ArmDrainTimer();
    MaybeFinish();
  }

  void ArmDrainTimer() {
    if (finished_) return;
    drain_timer_.expires_at(last_output_ + kDrainTimeout);
    drain_timer_.async_wait([this](beast::error_code ec) {
      if (ec || finished_) return;
      if (std::chrono::steady_clock::now() < last_output_ + kDrainTimeout) {
        ArmDrainTimer();
        return;
      }
      for (Pipe& pipe : pipes_) {
        pipe.stop = true;
        beast::error_code ignored;
        if (pipe.fd->is_open()) pipe.fd->cancel(ignored);
      }
    });
  }

  void MaybeFinish() {
    if (finished_ || !result_ || running_pumps_ > 0) return;
    finished_ = true;
    drain_timer_.cancel();
    if (broken()) {
      Abort();
      return;
    }
    std::string status = StatusText();
    if (!status.empty()) Send(kErrorChannel, status);
    CloseWhenFlushed();
  }

  // What goes on the error channel at the end: v4 and v5 always send a Status; older
  // protocols only a failure message.
  std::string StatusText() const {
    const absl::StatusOr<int>& result = *result_;
    if (protocol_.version >= 4) {
      return result.ok() ? ExitStatusJson(*result)
                         : ErrorStatusJson(View(result.status().message()));
    }
    if (!result.ok()) return std::string(View(result.status().message()));
    if (*result == 0) return "";
    return StrCat("command terminated with non-zero exit code: exit status ", *result);
  }

  const WsChannelProtocol protocol_;
  const StreamFlags flags_;
  const SessionRunner& run_;
  Session session_;
  std::optional<asio::posix::stream_descriptor> stdin_;
  std::string stdin_data_;
  std::vector<Pipe> pipes_;
  int running_pumps_ = 0;
  UniqueFd client_gone_;  // our end; a byte and EOF on it tell the backend
  bool client_gone_signalled_ = false;
  std::shared_ptr<ResizeQueue> resize_;
  ResizeDecoder resize_decoder_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread runner_;
  std::optional<absl::StatusOr<int>> result_;
  bool finished_ = false;
  asio::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point last_output_ = std::chrono::steady_clock::now();
};

class PortForwardSession : public WsConnection {
 public:
  PortForwardSession(const WsChannelProtocol& protocol, std::vector<int32_t> ports,
                     const PodDialer& dial)
      : WsConnection(protocol.base64), protocol_(protocol), dial_(dial) {
    for (int32_t number : ports) {
      auto port = std::make_unique<Port>();
      port->number = number;
      ports_.push_back(std::move(port));
    }
  }

  void Serve(UniqueFd conn, const HttpRequest& upgrade, absl::Duration idle_timeout) {
    if (absl::Status status = Adopt(std::move(conn)); !status.ok()) {
      spdlog::warn("websocket port-forward: {}", status.message());
      return;
    }
    SetProtocolDecorator(ws(), protocol_.name);
    ws().async_accept(upgrade, [this](beast::error_code ec) { OnAccepted(ec); });
    StartIdleTimer(idle_timeout);
    ioc().run();
  }

 private:
  struct Port {
    int32_t number = 0;
    uint8_t data_channel = 0;
    std::optional<asio::posix::stream_descriptor> pod;
    std::vector<char> buffer;
    std::string to_pod;
    bool done = true;
  };

  void OnAccepted(beast::error_code ec) {
    if (ec) {
      Abort();
      return;
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
      Port& port = *ports_[i];
      port.data_channel = static_cast<uint8_t>(2 * i);
      uint8_t error_channel = static_cast<uint8_t>(2 * i + 1);
      // Every channel starts with the port it belongs to.
      std::string prefix = PortPrefix(static_cast<uint16_t>(port.number));
      Send(port.data_channel, prefix);
      Send(error_channel, prefix);
      absl::StatusOr<UniqueFd> conn = dial_(port.number);
      if (!conn.ok()) {
        Send(error_channel, StrCat("error forwarding port ", port.number,
                                   " to pod: ", View(conn.status().message())));
        continue;
      }
      port.pod.emplace(ioc());
      beast::error_code assign_error;
      port.pod->assign(conn->Release(), assign_error);
      if (assign_error) {
        Send(error_channel,
             StrCat("error forwarding port ", port.number, ": ", assign_error.message()));
        continue;
      }
      port.buffer.resize(kWsChunk);
      port.done = false;
      ++open_ports_;
      PumpFromPod(port);
    }
    ReadNext();
    if (open_ports_ == 0) CloseWhenFlushed();
  }

  void PumpFromPod(Port& port) {
    if (port.done) return;
    port.pod->async_read_some(asio::buffer(port.buffer),
                              [this, &port](beast::error_code ec, size_t n) {
                                if (ec) {
                                  EndPort(port);
                                  return;
                                }
                                Send(port.data_channel, std::string_view(port.buffer.data(), n),
                                     [this, &port] { PumpFromPod(port); });
                              });
  }

  // The pod side of a port ended; the WebSocket closes once every port has.
  void EndPort(Port& port) {
    if (port.done) return;
    port.done = true;
    beast::error_code ignored;
    port.pod->close(ignored);
    if (--open_ports_ == 0) CloseWhenFlushed();
  }

  void OnMessage(std::string_view payload) override {
    ChannelMessage message = DecodeChannelMessage(payload, base64(), /*v5=*/false);
    if (message.kind == ChannelMessage::Kind::kData && message.channel % 2 == 0 &&
        message.channel / 2 < ports_.size() && !message.data.empty()) {
      Port& port = *ports_[message.channel / 2];
      if (!port.done) {
        port.to_pod = std::move(message.data);
        asio::async_write(*port.pod, asio::buffer(port.to_pod),
                          [this, &port](beast::error_code ec, size_t) {
                            if (ec) EndPort(port);
                            ReadNext();
                          });
        return;
      }
    }
    ReadNext();
  }

  void OnReadError(beast::error_code) override {
    for (auto& port : ports_) EndPort(*port);
    Abort();
  }

  const WsChannelProtocol protocol_;
  const PodDialer& dial_;
  std::vector<std::unique_ptr<Port>> ports_;
  int open_ports_ = 0;
};

}  // namespace

void ServeWebSocketRemoteCommand(UniqueFd conn, const HttpRequest& upgrade,
                                 const WsChannelProtocol& protocol, const StreamFlags& flags,
                                 absl::Duration idle_timeout, const SessionRunner& run) {
  try {
    auto session = std::make_unique<RemoteCommandSession>(protocol, flags, run);
    session->Serve(std::move(conn), upgrade, idle_timeout);
  } catch (const std::exception& e) {
    // Boost and std::thread report resource exhaustion by throwing; end only this session.
    spdlog::error("websocket session failed: {}", e.what());
  }
}

void ServeWebSocketPortForward(UniqueFd conn, const HttpRequest& upgrade,
                               const WsChannelProtocol& protocol, std::vector<int32_t> ports,
                               absl::Duration idle_timeout, const PodDialer& dial) {
  try {
    auto session = std::make_unique<PortForwardSession>(protocol, std::move(ports), dial);
    session->Serve(std::move(conn), upgrade, idle_timeout);
  } catch (const std::exception& e) {
    spdlog::error("websocket port-forward failed: {}", e.what());
  }
}

}  // namespace crio::streaming
