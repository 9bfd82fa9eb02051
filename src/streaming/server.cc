#include "crio/streaming/server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <list>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/synchronization/mutex.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/streaming/remotecommand.h"
#include "http_util.h"
#include "spdy_session.h"
#include "tls_config.h"
#include "tls_pump.h"
#include "token_cache.h"
#include "websocket_server.h"

namespace crio::streaming {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// How long a client has to complete the TLS handshake and send its request.
constexpr auto kRequestTimeout = std::chrono::seconds(30);
// Connections served at once; more are closed right away. Each costs a thread or three.
constexpr size_t kMaxConnections = 1024;
constexpr size_t kMaxRequestBody = 64 * 1024;

StreamKind KindOf(const CachedRequest& request) {
  if (std::holds_alternative<ExecRequest>(request)) return StreamKind::kExec;
  if (std::holds_alternative<AttachRequest>(request)) return StreamKind::kAttach;
  return StreamKind::kPortForward;
}

bool HeaderHasToken(std::string_view value, std::string_view token) {
  for (std::string_view part : StrSplit(value, ',')) {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (beast::iequals(beast::string_view(part.data(), part.size()),
                       beast::string_view(token.data(), token.size()))) {
      return true;
    }
  }
  return false;
}

bool IsSpdyUpgrade(const HttpRequest& request) {
  auto connection = request.find(http::field::connection);
  auto upgrade = request.find(http::field::upgrade);
  if (connection == request.end() || upgrade == request.end()) return false;
  return HeaderHasToken(std::string_view(connection->value().data(), connection->value().size()),
                        "upgrade") &&
         beast::iequals(upgrade->value(), "SPDY/3.1");
}

// Runs one asynchronous step on `ioc` (started by `start(done)`), giving up after
// kRequestTimeout by closing the socket. Returns the step's error.
template <class Start>
error_code RunStep(asio::io_context& ioc, tcp::socket& raw, Start start) {
  error_code result = asio::error::timed_out;
  bool finished = false;
  asio::steady_timer timer(ioc, kRequestTimeout);
  timer.async_wait([&](error_code ec) {
    if (ec || finished) return;
    error_code ignored;
    raw.close(ignored);
  });
  start([&](error_code ec) {
    finished = true;
    result = ec;
    timer.cancel();
  });
  ioc.restart();
  ioc.run();
  return result;
}

}  // namespace

class Server::Impl {
 public:
  Impl(const ServerOptions& options, Backend& backend)
      : options_(options),
        backend_(backend),
        tokens_(options.token_ttl),
        acceptor_(accept_ioc_),
        retry_timer_(accept_ioc_) {}

  ~Impl() { Stop(); }

  absl::Status Listen() {
    if (options_.enable_tls) {
      absl::StatusOr<std::unique_ptr<TlsConfig>> tls =
          TlsConfig::Load(options_.tls_cert, options_.tls_key, options_.tls_ca);
      if (!tls.ok()) return tls.status();
      tls_ = *std::move(tls);
    }
    error_code ec;
    asio::ip::address address = asio::ip::make_address(options_.address, ec);
    if (ec) return absl::InvalidArgumentError(StrCat("bad stream address ", options_.address));
    if (options_.port < 0 || options_.port > 65535) {
      return absl::InvalidArgumentError(StrCat("bad stream port ", options_.port));
    }
    tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          StrCat("listening on ", options_.address, ":", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    std::string host = address.is_v6() ? StrCat("[", options_.address, "]") : options_.address;
    base_url_ = StrCat(tls_ ? "https://" : "http://", host, ":", port_);
    Accept();
    accept_thread_ = std::thread([this] { accept_ioc_.run(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (!accept_thread_.joinable()) return;
    asio::post(accept_ioc_, [this] {
      stopping_ = true;
      error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    });
    accept_thread_.join();
    std::list<std::unique_ptr<Connection>> connections;
    {
      absl::MutexLock lock(&mu_);
      connections.swap(connections_);
    }
    // Every blocking read and write of a session fails once its socket is shut down; the
    // sessions then end and tell their backends that the client is gone.
    for (auto& connection : connections) shutdown(connection->control.get(), SHUT_RDWR);
    for (auto& connection : connections) connection->thread.join();
  }

  absl::StatusOr<std::string> Url(std::string_view path, CachedRequest request) {
    absl::StatusOr<std::string> token = tokens_.Insert(std::move(request));
    if (!token.ok()) return token.status();
    return StrCat(base_url_, "/", path, "/", *token);
  }

  const std::string& base_url() const { return base_url_; }
  int port() const { return port_; }

 private:
  struct Connection {
    std::thread thread;
    UniqueFd control;  // a duplicate of the client socket, to shut it down on Stop()
    std::atomic<bool> done{false};
  };

  // Waits for a connection and accepts it with accept4(SOCK_CLOEXEC): Asio's accept leaves the
  // socket inheritable, and the daemon forks runtimes and monitors all the time; a socket
  // leaked into one of them would keep the client's connection open after we closed it.
  void Accept() {
    acceptor_.async_wait(tcp::acceptor::wait_read, [this](error_code ec) {
      if (stopping_ || ec == asio::error::operation_aborted) return;
      int fd = ec ? -1 : accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0 && !ec && (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)) {
        Accept();
        return;
      }
      if (fd < 0) {
        // Out of fds or similar: wait a little instead of spinning.
        spdlog::warn("streaming server: accept: {}", ec ? ec.message() : strerror(errno));
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([this](error_code ec) {
          if (!ec) Accept();
        });
        return;
      }
      // Sessions are request/response shaped (a keystroke, its echo; a small frame, its window
      // update): Nagle's delay against delayed ACKs would add ~40 ms to each.
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Spawn(UniqueFd(fd));
      Accept();
    });
  }

  void Spawn(UniqueFd fd) {
    Reap();
    absl::MutexLock lock(&mu_);
    if (connections_.size() >= kMaxConnections) {
      spdlog::warn("streaming server: {} connections open, refusing another", kMaxConnections);
      return;  // the socket closes
    }
    auto connection = std::make_unique<Connection>();
    connection->control.Reset(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!connection->control.valid()) return;
    bool v6 = acceptor_.local_endpoint().address().is_v6();
    Connection* raw = connection.get();
    try {
      connection->thread = std::thread([this, raw, v6, fd = std::move(fd)]() mutable {
        try {
          ServeConnection(std::move(fd), v6);
        } catch (const std::exception& e) {
          spdlog::error("streaming connection failed: {}", e.what());
        }
        raw->done = true;
      });
    } catch (const std::system_error& e) {
      spdlog::error("streaming server: cannot start a thread: {}", e.what());
      return;
    }
    connections_.push_back(std::move(connection));
  }

  // Joins the threads of connections that are over.
  void Reap() {
    std::list<std::unique_ptr<Connection>> finished;
    {
      absl::MutexLock lock(&mu_);
      for (auto it = connections_.begin(); it != connections_.end();) {
        auto next = std::next(it);
        if ((*it)->done) finished.splice(finished.end(), connections_, it);
        it = next;
      }
    }
    for (auto& connection : finished) connection->thread.join();
  }

  void ServeConnection(UniqueFd fd, bool v6) {
    asio::io_context ioc(1);
    tcp::socket socket(ioc);
    error_code ec;
    socket.assign(v6 ? tcp::v6() : tcp::v4(), fd.get(), ec);
    if (ec) return;
    fd.Release();
    if (!tls_) {
      ServeHttp(ioc, socket, socket, nullptr);
      return;
    }
    std::shared_ptr<ssl::context> context = tls_->Current();
    TlsStream tls(std::move(socket), *context);
    ec = RunStep(ioc, tls.next_layer(), [&](auto done) {
      tls.async_handshake(ssl::stream_base::server, [done](error_code ec) { done(ec); });
    });
    if (ec) return;
    ServeHttp(ioc, tls, tls.next_layer(), &tls);
  }

  // Reads the request on `stream` (the socket, or TLS over it) and serves it.
  template <class Stream>
  void ServeHttp(asio::io_context& ioc, Stream& stream, tcp::socket& raw, TlsStream* tls) {
    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBody);
    error_code ec = RunStep(ioc, raw, [&](auto done) {
      http::async_read(stream, buffer, parser, [done](error_code ec, size_t) { done(ec); });
    });
    if (ec) {
      // A request that is not HTTP gets an answer; a vanished or silent client does not.
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        Respond(ioc, stream, raw, http::status::bad_request, "malformed request\n");
      }
      return;
    }
    HttpRequest request = parser.release();
    std::string leftover = beast::buffers_to_string(buffer.data());

    std::optional<StreamTarget> target =
        ParseStreamTarget(std::string_view(request.target().data(), request.target().size()));
    std::optional<CachedRequest> cached;
    if (target) cached = tokens_.Take(target->token);
    if (!cached || KindOf(*cached) != target->kind) {
      Respond(ioc, stream, raw, http::status::not_found, "unknown or expired token\n");
      return;
    }
    bool websocket = beast::websocket::is_upgrade(request);
    if (!websocket && !IsSpdyUpgrade(request)) {
      Respond(ioc, stream, raw, http::status::bad_request,
              "expected an upgrade to SPDY/3.1 or websocket\n");
      return;
    }

    StreamFlags flags;
    SessionRunner runner;
    PodDialer dialer;
    std::vector<int32_t> allowed_ports;
    std::string pod_id;
    if (auto* exec = std::get_if<ExecRequest>(&*cached)) {
      flags = exec->flags;
      runner = [this, request = *exec](Session& session) {
        return backend_.Exec(request, session);
      };
    } else if (auto* attach = std::get_if<AttachRequest>(&*cached)) {
      flags = attach->flags;
      runner = [this, request = *attach](Session& session) -> absl::StatusOr<int> {
        absl::Status status = backend_.Attach(request, session);
        if (!status.ok()) return status;
        return 0;
      };
    } else {
      auto& forward = std::get<PortForwardRequest>(*cached);
      allowed_ports = forward.ports;
      pod_id = forward.pod_id;
      dialer = [this, pod_id, allowed_ports](int32_t port) -> absl::StatusOr<UniqueFd> {
        if (!allowed_ports.empty() &&
            std::find(allowed_ports.begin(), allowed_ports.end(), port) == allowed_ports.end()) {
          return absl::PermissionDeniedError(StrCat("port ", port, " was not requested"));
        }
        return backend_.DialPod(pod_id, port);
      };
    }
    bool port_forward = target->kind == StreamKind::kPortForward;
    absl::Duration idle = options_.idle_timeout;

    if (websocket) {
      std::vector<std::string> offered;
      for (const auto& field : request) {
        if (field.name() == http::field::sec_websocket_protocol) {
          offered.emplace_back(field.value().data(), field.value().size());
        }
      }
      std::optional<WsChannelProtocol> protocol = NegotiateWsProtocol(offered, port_forward);
      if (!protocol) {
        Respond(ioc, stream, raw, http::status::bad_request,
                "requested protocol(s) are not supported\n");
        return;
      }
      if (!port_forward) {
        HandOver(ioc, raw, tls, /*blocking=*/false, [&](UniqueFd conn) {
          ServeWebSocketRemoteCommand(std::move(conn), request, *protocol, flags, idle, runner);
        });
        return;
      }
      absl::StatusOr<std::vector<int32_t>> ports = ParsePortParams(target->port_params);
      if (ports.ok() && ports->empty()) ports = allowed_ports;
      if (ports.ok() && ports->empty()) {
        ports = absl::InvalidArgumentError("query parameter \"port\" is required");
      }
      if (!ports.ok()) {
        Respond(ioc, stream, raw, http::status::bad_request,
                StrCat(View(ports.status().message()), "\n"));
        return;
      }
      HandOver(ioc, raw, tls, /*blocking=*/false, [&](UniqueFd conn) {
        ServeWebSocketPortForward(std::move(conn), request, *protocol, *ports, idle, dialer);
      });
      return;
    }

    // SPDY/3.1.
    std::vector<std::string_view> supported =
        port_forward ? std::vector<std::string_view>{kPortForwardV1} : SpdyRemoteCommandProtocols();
    std::vector<std::string> offered;
    for (const auto& field : request) {
      if (beast::iequals(field.name_string(), "X-Stream-Protocol-Version")) {
        offered.emplace_back(field.value().data(), field.value().size());
      }
    }
    std::optional<std::string> chosen = NegotiateSpdyProtocol(offered, supported);
    if (!chosen) {
      std::vector<std::pair<std::string, std::string>> headers;
      for (std::string_view name : supported) {
        headers.emplace_back("X-Accepted-Stream-Protocol-Versions", std::string(name));
      }
      Respond(ioc, stream, raw, http::status::forbidden,
              StrCat("unable to upgrade: unable to negotiate protocol: client supports ",
                     StrJoin(offered, ","), ", server supports ", StrJoin(supported, ","), "\n"),
              headers);
      return;
    }
    std::string switching =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
    if (!chosen->empty()) StrAppend(&switching, "X-Stream-Protocol-Version: ", *chosen, "\r\n");
    switching += "\r\n";
    ec = RunStep(ioc, raw, [&](auto done) {
      asio::async_write(stream, asio::buffer(switching),
                        [done](error_code ec, size_t) { done(ec); });
    });
    if (ec) return;
    // Clients that sent no version get the oldest protocol, as with the kubelet.
    std::string protocol =
        !chosen->empty() ? *chosen : std::string(port_forward ? kPortForwardV1 : kRemoteCommandV1);
    // The SPDY side spells "no idle timeout" as InfiniteDuration, ServerOptions as zero.
    absl::Duration spdy_idle = idle > absl::ZeroDuration() ? idle : absl::InfiniteDuration();
    if (port_forward) {
      HandOver(ioc, raw, tls, /*blocking=*/true, [&](UniqueFd conn) {
        ServeSpdyPortForward(std::move(conn), std::move(leftover), spdy_idle, dialer);
      });
    } else {
      HandOver(ioc, raw, tls, /*blocking=*/true, [&](UniqueFd conn) {
        ServeSpdyRemoteCommand(std::move(conn), std::move(leftover), protocol, flags, spdy_idle,
                               runner);
      });
    }
  }

  // Gives the session a plain socket: the client's own, or with TLS one end of a socketpair
  // whose other end this thread pumps through TLS while the session runs on a second thread.
  void HandOver(asio::io_context& ioc, tcp::socket& raw, TlsStream* tls, bool blocking,
                const std::function<void(UniqueFd)>& serve) {
    if (tls == nullptr) {
      error_code ec;
      UniqueFd fd(raw.release(ec));
      if (ec) return;
      if (blocking) {
        // Asio made the socket non-blocking; the SPDY code wants it blocking.
        int fl = fcntl(fd.get(), F_GETFL);
        if (fl >= 0) fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
      }
      serve(std::move(fd));
      return;
    }
    UniqueFd ours, theirs;
    if (!MakeSocketPair(&ours, &theirs).ok()) return;
    std::thread session([&serve, fd = std::move(theirs)]() mutable { serve(std::move(fd)); });
    RunTlsPump(ioc, *tls, std::move(ours));
    session.join();
  }

  template <class Stream>
  void Respond(asio::io_context& ioc, Stream& stream, tcp::socket& raw, http::status status,
               std::string body,
               const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::response<http::string_body> response(status, 11);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    for (const auto& [name, value] : headers) response.insert(name, value);
    response.keep_alive(false);
    response.body() = std::move(body);
    response.prepare_payload();
    RunStep(ioc, raw, [&](auto done) {
      http::async_write(stream, response, [done](error_code ec, size_t) { done(ec); });
    });
    error_code ignored;
    raw.shutdown(asio::socket_base::shutdown_both, ignored);
  }

  const ServerOptions options_;
  Backend& backend_;
  TokenCache tokens_;
  std::unique_ptr<TlsConfig> tls_;
  asio::io_context accept_ioc_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::thread accept_thread_;
  bool stopping_ = false;  // accept thread only
  int port_ = 0;
  std::string base_url_;
  absl::Mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      Backend& backend) {
  auto impl = std::make_unique<Impl>(options, backend);
  try {
    if (absl::Status status = impl->Listen(); !status.ok()) return status;
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("starting the streaming server: ", e.what()));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

absl::StatusOr<std::string> Server::ExecUrl(const ExecRequest& request) {
  return impl_->Url("exec", request);
}
absl::StatusOr<std::string> Server::AttachUrl(const AttachRequest& request) {
  return impl_->Url("attach", request);
}
absl::StatusOr<std::string> Server::PortForwardUrl(const PortForwardRequest& request) {
  return impl_->Url("portforward", request);
}
std::string Server::BaseUrl() const { return impl_->base_url(); }
int Server::port() const { return impl_->port(); }

}  // namespace crio::streaming
