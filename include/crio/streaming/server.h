#pragma once

// The streaming server: the HTTP endpoint the Exec, Attach and PortForward RPCs hand out URLs
// for. Each URL carries a single-use token naming a cached request; the client connects to it
// and upgrades to SPDY/3.1 or WebSocket, and the session runs against the Backend.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/streaming/backend.h"

namespace crio::streaming {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: any free port; port() tells which
  bool enable_tls = false;
  // PEM files. The certificate and key are required with TLS; with a CA, clients must present
  // a certificate it signed. The files are checked for changes on every new connection and
  // reloaded when they changed (a failed reload keeps the previous ones).
  std::string tls_cert, tls_key, tls_ca;
  // A session with no traffic in either direction for this long is closed; zero: never.
  absl::Duration idle_timeout = absl::ZeroDuration();
  // How long a URL stays valid before its first (and only) use.
  absl::Duration token_ttl = absl::Minutes(1);
};

class Server {
 public:
  // Binds, listens and starts accepting. Errors: the address cannot be bound, or the TLS files
  // cannot be loaded.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       Backend& backend);
  // Stops accepting, ends every session (the backend sees client_gone) and joins all threads.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // A URL for one session running `request`: <BaseUrl()>/exec/<token> (attach, portforward
  // likewise). ResourceExhausted when too many URLs are waiting to be used.
  absl::StatusOr<std::string> ExecUrl(const ExecRequest& request);
  absl::StatusOr<std::string> AttachUrl(const AttachRequest& request);
  absl::StatusOr<std::string> PortForwardUrl(const PortForwardRequest& request);

  // "http://127.0.0.1:<port>" ("https://..." with TLS).
  std::string BaseUrl() const;
  int port() const;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crio::streaming
