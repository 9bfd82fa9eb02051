#include "websocket_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <future>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "crio/common/strings.h"
#include "crio/streaming/remotecommand.h"
#include "http_util.h"
#include "tls_config.h"
#include "tls_pump.h"
#include "websocket_channel.h"
#include "websocket_conn.h"

namespace crio::streaming {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr absl::Duration kHandshakeTimeout = absl::Seconds(30);

// The connection to the server as a plain socket: the TCP socket itself, or for https one end
// of a socketpair whose other end a thread pumps through TLS.
class Transport {
 public:
  ~Transport() {
    // The session has closed its end by now, which ends the pump.
    if (pump_.joinable()) pump_.join();
  }

  static absl::StatusOr<std::unique_ptr<Transport>> Dial(const ParsedUrl& url,
                                                         const WebSocketClientOptions& options) {
    auto transport = std::unique_ptr<Transport>(new Transport());
    tcp::socket socket(transport->ioc_);
    tcp::resolver resolver(transport->ioc_);
    error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (!ec) {
      ec = asio::error::host_not_found;
      for (const auto& entry : endpoints) {
        // Opened close-on-exec ourselves (Asio does not), so no child process inherits it.
        tcp::endpoint endpoint = entry.endpoint();
        int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) continue;
        error_code attempt;
        socket = tcp::socket(transport->ioc_);
        socket.assign(endpoint.protocol(), fd, attempt);
        if (attempt) {
          ::close(fd);
          continue;
        }
        socket.connect(endpoint, attempt);
        ec = attempt;
        if (!attempt) {
          socket.set_option(tcp::no_delay(true), attempt);  // small messages both ways
          break;
        }
      }
    }
    if (ec) {
      return absl::UnavailableError(
          StrCat("connecting to ", url.host, ":", url.port, ": ", ec.message()));
    }
    if (!url.tls) {
      transport->fd_.Reset(socket.release(ec));
      if (ec) return absl::InternalError(ec.message());
      return transport;
    }
    absl::StatusOr<std::shared_ptr<asio::ssl::context>> context =
        TlsConfig::ClientContext(options.tls_ca, options.tls_cert, options.tls_key);
    if (!context.ok()) return context.status();
    transport->context_ = *std::move(context);
    transport->tls_ = std::make_unique<TlsStream>(std::move(socket), *transport->context_);
    SSL* ssl = transport->tls_->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    unsigned char ip[16];
    if (inet_pton(AF_INET, url.host.c_str(), ip) == 1 ||
        inet_pton(AF_INET6, url.host.c_str(), ip) == 1) {
      X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, url.host.c_str());
      X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
    }
    transport->tls_->handshake(asio::ssl::stream_base::client, ec);
    if (ec) return absl::UnavailableError(StrCat("TLS handshake: ", ec.message()));
    UniqueFd theirs;
    if (absl::Status s = MakeSocketPair(&transport->fd_, &theirs); !s.ok()) return s;
    Transport* raw = transport.get();
    transport->pump_ = std::thread([raw, fd = std::move(theirs)]() mutable {
      RunTlsPump(raw->ioc_, *raw->tls_, std::move(fd));
    });
    return transport;
  }

  UniqueFd TakeFd() { return std::move(fd_); }

 private:
  Transport() = default;
  asio::io_context ioc_{1};
  std::shared_ptr<asio::ssl::context> context_;
  std::unique_ptr<TlsStream> tls_;
  std::thread pump_;
  UniqueFd fd_;
};

absl::Status StatusForHttp(unsigned code, std::string_view body) {
  std::string message = StrCat("server answered HTTP ", code);
  if (!body.empty()) StrAppend(&message, ": ", body);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  switch (code) {
    case 404:
      return absl::NotFoundError(message);
    case 400:
      return absl::InvalidArgumentError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// Writes all of `data` to `fd` (blocking; waits out a non-blocking fd). Output to a closed
// pipe is dropped: the session goes on as the kubelet's client does.
void WriteAll(int fd, std::string_view data) {
  while (fd >= 0 && !data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

class ClientConnection : public WsConnection {
 public:
  ClientConnection() : WsConnection(false) {}

 protected:
  // The WebSocket handshake; the chosen subprotocol ("" when the server named none).
  absl::StatusOr<WsChannelProtocol> Handshake(const ParsedUrl& url, const std::string& target,
                                              const std::vector<std::string>& offer,
                                              bool port_forward) {
    std::string offered = StrJoin(offer, ", ");
    ws().set_option(websocket::stream_base::decorator([offered](websocket::request_type& request) {
      if (!offered.empty()) request.set(http::field::sec_websocket_protocol, offered);
    }));
    bool v6 = url.host.find(':') != std::string::npos;
    std::string host = v6 ? StrCat("[", url.host, "]:", url.port) : StrCat(url.host, ":", url.port);
    bool done = false;
    error_code result;
    ws().async_handshake(response_, host, target, [&](error_code ec) {
      result = ec;
      done = true;
    });
    if (!RunUntil(&done, kHandshakeTimeout)) {
      return absl::DeadlineExceededError("WebSocket handshake timed out");
    }
    if (result) {
      if (response_.result_int() != 0 && response_.result_int() != 101) {
        return StatusForHttp(response_.result_int(), response_.body());
      }
      return absl::UnavailableError(StrCat("WebSocket handshake: ", result.message()));
    }
    auto chosen = response_.find(http::field::sec_websocket_protocol);
    std::vector<std::string> answered;
    if (chosen != response_.end()) answered.emplace_back(chosen->value());
    std::optional<WsChannelProtocol> protocol = NegotiateWsProtocol(answered, port_forward);
    if (!protocol) return absl::UnavailableError("server chose an unknown subprotocol");
    set_base64(protocol->base64);
    return *protocol;
  }

 private:
  websocket::response_type response_;
};

class RemoteCommandClient : public ClientConnection {
 public:
  RemoteCommandClient(int in_fd, int out_fd, int err_fd, std::shared_ptr<ResizeQueue> resize)
      : in_fd_(in_fd), out_fd_(out_fd), err_fd_(err_fd), resize_(std::move(resize)) {}

  ~RemoteCommandClient() override {
    stop_write_.Reset();
    if (stdin_thread_.joinable()) stdin_thread_.join();
    if (resize_) resize_->Close();
    if (resize_thread_.joinable()) resize_thread_.join();
  }

  absl::StatusOr<int> Run(UniqueFd conn, const ParsedUrl& url, const StreamFlags& flags,
                          const WebSocketClientOptions& options) {
    if (absl::Status s = Adopt(std::move(conn)); !s.ok()) return s;
    std::vector<std::string> offer = options.protocols;
    if (offer.empty()) {
      offer = {std::string(kRemoteCommandV5), std::string(kRemoteCommandV4),
               std::string(kRemoteCommandV1)};
    }
    absl::StatusOr<WsChannelProtocol> protocol = Handshake(url, url.target, offer, false);
    if (!protocol.ok()) return protocol.status();
    protocol_ = *protocol;

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
    stop_read_.Reset(fds[0]);
    stop_write_.Reset(fds[1]);
    ReadNext();
    if (flags.stdin && in_fd_ >= 0) {
      stdin_thread_ = std::thread([this, guard = asio::make_work_guard(ioc())] { PumpStdin(); });
    }
    if (flags.tty && resize_) {
      resize_thread_ = std::thread([this, guard = asio::make_work_guard(ioc())] { PumpResize(); });
    }
    ioc().restart();
    ioc().run();
    if (stdin_thread_.joinable()) stdin_thread_.join();
    if (resize_thread_.joinable()) resize_thread_.join();
    return Result();
  }

 private:
  void OnMessage(std::string_view payload) override {
    ChannelMessage message = DecodeChannelMessage(payload, base64(), false);
    if (message.kind == ChannelMessage::Kind::kData) {
      switch (message.channel) {
        case kStdoutChannel:
          WriteAll(out_fd_, message.data);
          break;
        case kStderrChannel:
          WriteAll(err_fd_, message.data);
          break;
        case kErrorChannel:
          if (status_.size() < 64 * 1024) status_ += message.data;
          break;
        default:
          break;
      }
    }
    ReadNext();
  }

  void OnReadError(beast::error_code ec) override {
    if (ended_) return;
    ended_ = true;
    closed_normally_ = ec == websocket::error::closed;
    read_error_ = ec.message();
    stop_write_.Reset();  // wakes the stdin thread
    if (resize_) resize_->Close();
    Abort();
  }

  // Sends one message from another thread and waits until it is written (or dropped).
  void SendAndWait(uint8_t channel, std::string data) {
    std::promise<void> sent;
    asio::post(ioc(), [&] { Send(channel, data, [&] { sent.set_value(); }); });
    sent.get_future().wait();
  }

  void PumpStdin() {
    std::string buffer(kWsChunk, '\0');
    while (true) {
      pollfd fds[2] = {{in_fd_, POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      ssize_t n = read(in_fd_, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      SendAndWait(kStdinChannel, buffer.substr(0, static_cast<size_t>(n)));
    }
    // End of input: v5 can close the remote stdin; older protocols have no way to say so.
    if (protocol_.version >= 5) {
      std::promise<void> sent;
      asio::post(ioc(), [&] {
        SendPayload(std::string{static_cast<char>(kCloseChannel), static_cast<char>(kStdinChannel)},
                    [&] { sent.set_value(); });
      });
      sent.get_future().wait();
    }
  }

  void PumpResize() {
    while (std::optional<TerminalSize> size = resize_->Next()) {
      SendAndWait(kResizeChannel,
                  StrCat("{\"Width\":", size->width, ",\"Height\":", size->height, "}"));
    }
  }

  absl::StatusOr<int> Result() const {
    if (protocol_.version >= 4) {
      if (status_.empty()) {
        return absl::UnavailableError(
            StrCat("connection closed before the exit status arrived: ", read_error_));
      }
      std::string message;
      std::optional<int> code = ParseExitStatusJson(status_, &message);
      if (code) return *code;
      return absl::UnknownError(message);
    }
    if (!status_.empty()) return absl::UnknownError(status_);
    if (!closed_normally_) {
      return absl::UnavailableError(StrCat("connection broke: ", read_error_));
    }
    return 0;
  }

  const int in_fd_, out_fd_, err_fd_;
  std::shared_ptr<ResizeQueue> resize_;
  WsChannelProtocol protocol_;
  UniqueFd stop_read_, stop_write_;
  std::thread stdin_thread_, resize_thread_;
  std::string status_;
  bool ended_ = false;
  bool closed_normally_ = false;
  std::string read_error_;
};

class PortForwardClient : public ClientConnection {
 public:
  absl::Status Run(UniqueFd conn, const ParsedUrl& url, int32_t port, UniqueFd local,
                   const WebSocketClientOptions& options) {
    if (absl::Status s = Adopt(std::move(conn)); !s.ok()) return s;
    std::vector<std::string> offer = options.protocols;
    if (offer.empty()) offer = {std::string(kRemoteCommandV4)};
    std::string target = url.target;
    StrAppend(&target, target.find('?') == std::string::npos ? "?" : "&", "port=", port);
    absl::StatusOr<WsChannelProtocol> protocol = Handshake(url, target, offer, true);
    if (!protocol.ok()) return protocol.status();
    local_.emplace(ioc());
    error_code ec;
    local_->assign(local.get(), ec);
    if (ec) return absl::InternalError(StrCat("local connection: ", ec.message()));
    local.Release();
    buffer_.resize(kWsChunk);
    ReadNext();
    PumpLocal();
    ioc().restart();
    ioc().run();
    if (!error_.empty()) return absl::UnavailableError(error_);
    return absl::OkStatus();
  }

 private:
  // Drops the port number each channel starts with.
  std::string_view SkipPrefix(uint8_t channel, std::string_view data) {
    size_t& remaining = prefix_left_[channel & 1];
    size_t skip = std::min(remaining, data.size());
    remaining -= skip;
    return data.substr(skip);
  }

  void PumpLocal() {
    local_->async_read_some(asio::buffer(buffer_), [this](error_code ec, size_t n) {
      if (ec) {
        // No half-close exists in this protocol: the local side is done, so is the session.
        CloseWhenFlushed();
        return;
      }
      Send(0, std::string_view(buffer_.data(), n), [this] { PumpLocal(); });
    });
  }

  void OnMessage(std::string_view payload) override {
    ChannelMessage message = DecodeChannelMessage(payload, base64(), false);
    if (message.kind != ChannelMessage::Kind::kData || message.channel > 1) {
      ReadNext();
      return;
    }
    std::string_view data = SkipPrefix(message.channel, message.data);
    if (message.channel == 1) {
      if (error_.size() < 64 * 1024) error_.append(data);
      ReadNext();
      return;
    }
    if (data.empty() || !local_->is_open()) {
      ReadNext();
      return;
    }
    to_local_.assign(data);
    asio::async_write(*local_, asio::buffer(to_local_), [this](error_code ec, size_t) {
      if (ec) {
        error_code ignored;
        local_->close(ignored);
      }
      ReadNext();
    });
  }

  void OnReadError(beast::error_code) override {
    error_code ignored;
    if (local_) local_->close(ignored);
    Abort();
  }

  std::optional<asio::posix::stream_descriptor> local_;
  std::vector<char> buffer_;
  std::string to_local_;
  size_t prefix_left_[2] = {2, 2};
  std::string error_;
};

}  // namespace

absl::StatusOr<int> RunRemoteCommandWebSocket(const std::string& url, const StreamFlags& flags,
                                              int in_fd, int out_fd, int err_fd,
                                              std::shared_ptr<ResizeQueue> resize,
                                              const WebSocketClientOptions& options) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  try {
    absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Dial(*parsed, options);
    if (!transport.ok()) return transport.status();
    absl::StatusOr<int> result;
    {
      RemoteCommandClient client(in_fd, out_fd, err_fd, std::move(resize));
      result = client.Run((*transport)->TakeFd(), *parsed, flags, options);
    }
    return result;
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("websocket session: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<WebSocketPortForwardClient>> WebSocketPortForwardClient::Connect(
    const std::string& url, const WebSocketClientOptions& options) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  return std::unique_ptr<WebSocketPortForwardClient>(new WebSocketPortForwardClient(url, options));
}

absl::Status WebSocketPortForwardClient::Forward(UniqueFd local, int32_t port) {
  if (used_.exchange(true)) {
    return absl::FailedPreconditionError(
        "a WebSocket port-forward URL carries one connection; ask for a new URL");
  }
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url_);
  if (!parsed.ok()) return parsed.status();
  try {
    absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Dial(*parsed, options_);
    if (!transport.ok()) return transport.status();
    PortForwardClient client;
    return client.Run((*transport)->TakeFd(), *parsed, port, std::move(local), options_);
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("websocket port-forward: ", e.what()));
  }
}

}  // namespace crio::streaming
