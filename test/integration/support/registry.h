#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loopback_server.h"
#include "process.h"

namespace crio::testing {

// docker-registry's token authentication (`auth: token:`): clients are sent to `realm`, and
// tokens are trusted when `issuer` signed them for `service` with a certificate that
// `root_certificates` holds (see TokenServer).
struct RegistryTokenAuth {
  std::string realm;
  std::string service;
  std::string issuer;
  std::filesystem::path root_certificates;
};

struct RegistryOptions {
  // Serve HTTPS with a certificate from a CA generated for this registry (openssl CLI).
  bool tls = false;
  // Require HTTP Basic authentication (htpasswd, bcrypt) with this user and password.
  std::string user;
  std::string password;
  // With `tls`: require a client certificate signed by the registry's CA; one is generated and
  // placed in the certs.d directory as client.cert + client.key.
  bool client_certificates = false;
  // Token authentication instead of htpasswd; `user` and `password` then only push fixtures.
  std::optional<RegistryTokenAuth> token_auth;
};

// Debian's docker-registry on 127.0.0.1 and a free port, storing in a temporary directory;
// plain HTTP unless `tls`; stopped with the object.
class LocalRegistry {
 public:
  explicit LocalRegistry(RegistryOptions options = {});
  // "127.0.0.1:PORT"
  const std::string& host() const { return host_; }
  // With `tls`: a certs.d directory holding <host>/ca.crt (the CA of the registry's certificate),
  // and the CA certificate itself.
  std::filesystem::path certs_dir() const { return dir_.path() / "certs.d"; }
  std::filesystem::path ca_certificate() const { return dir_.path() / "ca.crt"; }
  // Pushes the busybox OCI fixture as `repository:tag` with skopeo; returns the manifest digest.
  std::string PushBusybox(const std::string& repository, const std::string& tag);
  // Pushes the pause image fixture (our static pause program) the same way.
  std::string PushPause(const std::string& repository, const std::string& tag);
  // Pushes the OCI layout `layout` (its "latest" tag).
  std::string PushLayout(const std::string& layout, const std::string& repository,
                         const std::string& tag);

 private:
  RegistryOptions options_;
  TempDir dir_;
  std::string host_;
  std::unique_ptr<Process> process_;
};

// A reverse proxy on 127.0.0.1 in front of a plain-HTTP registry, one request per connection,
// that counts requests and misbehaves on demand: the tests' stand-in for a flaky network.
class RegistryProxy {
 public:
  enum class Action {
    kPass,         // relay the request and the answer
    kUnavailable,  // answer 503 with Retry-After: 1
    kTooMany,      // answer 429 without Retry-After
    kReset,        // relay the head and half the body, then reset the connection
    kStall,        // relay the head and a little of the body, then send nothing more
    kCorrupt,      // relay, with the last byte of a body over 64 KiB changed
    kGated,        // relay a body over 64 KiB in thirds, each after OpenGate() let it through
  };
  // Decides per request; `seen` counts earlier requests of the same method and path.
  using Rule = std::function<Action(const std::string& method, const std::string& path, int seen)>;

  RegistryProxy(std::string upstream, Rule rule = nullptr);
  ~RegistryProxy();
  RegistryProxy(const RegistryProxy&) = delete;
  RegistryProxy& operator=(const RegistryProxy&) = delete;

  // "127.0.0.1:PORT"
  const std::string& host() const { return server_->host(); }
  void SetRule(Rule rule);
  // Requests seen whose method is `method` and whose path contains `part`.
  int Count(const std::string& method, const std::string& part) const;
  // Lets every kGated body on to its next third.
  void OpenGate();

 private:
  void Serve(int client);
  std::string upstream_;
  mutable std::mutex mu_;
  std::condition_variable gate_changed_;
  int gate_ = 0;           // thirds let through after the first
  bool stopping_ = false;  // wakes gated bodies at the end
  Rule rule_;
  std::vector<std::pair<std::string, std::string>> seen_;  // method, path
  std::unique_ptr<LoopbackServer> server_;                 // last: its handlers use the rest
};

// A bcrypt htpasswd line "user:$2b$..." (through libcrypt), as docker-registry's htpasswd auth
// reads it.
std::string HtpasswdLine(const std::string& user, const std::string& password);

}  // namespace crio::testing
