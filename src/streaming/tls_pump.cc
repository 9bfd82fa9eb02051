#include "tls_pump.h"

#include <sys/socket.h>

#include <array>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "crio/common/strings.h"

namespace crio::streaming {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kPumpChunk = 16 * 1024;  // one TLS record
constexpr auto kShutdownTimeout = std::chrono::seconds(5);

class Pump {
 public:
  Pump(asio::io_context& ioc, TlsStream& tls) : tls_(tls), plain_(ioc), timer_(ioc) {}

  void Run(asio::io_context& ioc, UniqueFd plain) {
    error_code ec;
    plain_.assign(asio::local::stream_protocol(), plain.get(), ec);
    if (ec) return;
    plain.Release();
    FromTls();
    FromPlain();
    ioc.restart();
    ioc.run();
  }

 private:
  void FromTls() {
    tls_.async_read_some(asio::buffer(from_tls_), [this](error_code ec, size_t n) {
      if (ec) {
        // The peer is gone or finished: the session reads EOF.
        error_code ignored;
        plain_.shutdown(asio::socket_base::shutdown_send, ignored);
        return;
      }
      asio::async_write(plain_, asio::buffer(from_tls_.data(), n), [this](error_code ec, size_t) {
        if (ec) {
          CloseTcp();
          return;
        }
        FromTls();
      });
    });
  }

  void FromPlain() {
    plain_.async_read_some(asio::buffer(from_plain_), [this](error_code ec, size_t n) {
      if (ec) {
        // The session is over: say so in TLS, then close (without waiting long for the peer).
        timer_.expires_after(kShutdownTimeout);
        timer_.async_wait([this](error_code ec) {
          if (!ec) CloseTcp();
        });
        tls_.async_shutdown([this](error_code) {
          timer_.cancel();
          CloseTcp();
        });
        return;
      }
      asio::async_write(tls_, asio::buffer(from_plain_.data(), n), [this](error_code ec, size_t) {
        if (ec) {
          CloseTcp();
          error_code ignored;
          plain_.shutdown(asio::socket_base::shutdown_both, ignored);
          return;
        }
        FromPlain();
      });
    });
  }

  void CloseTcp() {
    error_code ignored;
    tls_.lowest_layer().shutdown(asio::socket_base::shutdown_both, ignored);
    tls_.lowest_layer().close(ignored);
  }

  TlsStream& tls_;
  asio::local::stream_protocol::socket plain_;
  asio::steady_timer timer_;
  std::array<char, kPumpChunk> from_tls_;
  std::array<char, kPumpChunk> from_plain_;
};

}  // namespace

absl::Status MakeSocketPair(UniqueFd* first, UniqueFd* second) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return absl::InternalError(StrCat("socketpair: ", strerror(errno)));
  }
  first->Reset(fds[0]);
  second->Reset(fds[1]);
  return absl::OkStatus();
}

void RunTlsPump(asio::io_context& ioc, TlsStream& tls, UniqueFd plain) {
  auto pump = std::make_unique<Pump>(ioc, tls);
  pump->Run(ioc, std::move(plain));
}

}  // namespace crio::streaming
