#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace crio::image {

struct Credentials {
  std::string username;
  std::string password;
  // A bearer token for the registry itself (AuthConfig.registry_token), sent as is.
  std::string registry_token;
  // An OAuth2 refresh token for the registry's token service (AuthConfig.identity_token, an
  // "identitytoken" in a credentials file, a credential helper's "<token>" answer): bearer
  // tokens are then obtained with grant_type=refresh_token instead of the username/password.
  std::string identity_token;
  // Where they came from ("AuthConfig", a file's path), for error messages; never the secret.
  std::string source;

  bool empty() const {
    return username.empty() && password.empty() && registry_token.empty() && identity_token.empty();
  }
};

// How pulls reach registries: the parts of containers/image's SystemContext we honour.
struct SystemContext {
  // Directories with one <host[:port]>/ subdirectory per registry (containers-certs.d(5)):
  // "*.crt" files are CAs trusted in addition to the system's, "*.cert" + "*.key" pairs are
  // client certificates. The first directory that has the host's subdirectory is used.
  std::vector<std::filesystem::path> certs_dirs = {"/etc/containers/certs.d",
                                                   "/etc/docker/certs.d"};
  // global_auth_file: when set, the only credentials file consulted.
  std::filesystem::path auth_file;
  // pull_progress_timeout: a pull that receives nothing for this long is cancelled; zero
  // disables the watch.
  absl::Duration progress_timeout = absl::ZeroDuration();
  // Layers of one image downloaded at the same time.
  int max_parallel_downloads = 6;
  // big_files_temporary_dir: where layers downloaded ahead of their turn wait; empty is
  // /var/tmp.
  std::filesystem::path temporary_dir;
  // Attempts per request when the registry answers 429 or 5xx, or the connection breaks; the
  // wait doubles from `retry_delay` unless the registry sends Retry-After (capped at
  // `max_retry_delay`).
  int max_attempts = 4;
  absl::Duration retry_delay = absl::Milliseconds(500);
  absl::Duration max_retry_delay = absl::Seconds(60);
};

// The progress of one pull, shared by all its transfers: bytes received, the stall watch
// (pull_progress_timeout) and the progress log every tenth of that timeout, as CRI-O does.
class PullProgress {
 public:
  PullProgress(std::string image, absl::Duration timeout);
  // `bytes` more arrived (zero: work went on without the network, e.g. extracting a layer).
  void Add(size_t bytes);
  // Whether nothing happened for the whole timeout.
  bool Stalled() const;
  absl::Duration timeout() const { return timeout_; }
  uint64_t bytes() const { return bytes_.load(); }

  // The layers this pull fetches itself, for the info endpoint's live view.
  struct Layer {
    std::string digest;  // compressed, as in the manifest
    int64_t size = -1;   // from the manifest
    uint64_t done = 0;   // bytes received so far
  };
  // Replaces the list (a pull that moves on to another source starts over).
  void SetLayers(std::vector<Layer> layers);
  // `bytes` more of layer `digest` arrived.
  void AddLayerBytes(std::string_view digest, size_t bytes);
  std::vector<Layer> Layers() const;
  // The image as the pull was asked for it.
  const std::string& image() const { return image_; }

 private:
  static int64_t Now();
  mutable std::mutex layers_mu_;
  std::vector<Layer> layers_ ABSL_GUARDED_BY(layers_mu_);
  std::string image_;
  absl::Duration timeout_;
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int64_t> last_progress_;  // steady clock, nanoseconds
  std::atomic<int64_t> last_log_;
};

struct Manifest {
  std::string media_type;
  std::string digest;  // "sha256:..." of `body`
  std::string body;
};

// The media types a pull accepts, in preference order.
extern const std::vector<std::string> kManifestMediaTypes;

// A client for one registry host speaking the distribution API v2 (through libcurl). TLS is
// verified against the system CAs plus the host's certs.d directory; a registry marked insecure
// is tried over HTTPS without verification and then over plain HTTP. Bearer token and Basic
// authentication follow the WWW-Authenticate challenge: a bearer token comes from the realm by
// GET (anonymous, or Basic with the username and password) or, with an identity token, by the
// OAuth2 refresh_token POST, and is replaced when the registry answers 401 to it. Transient
// failures (429, 5xx, a broken connection) are retried with backoff; an interrupted blob resumes
// with a Range request. Credentials never appear in errors or logs. One client is used by one
// thread at a time; Clone gives another thread its own connection with the same authentication.
class RegistryClient {
 public:
  // `host` as in a reference ("127.0.0.1:5000", "quay.io"); docker.io goes to
  // registry-1.docker.io.
  RegistryClient(std::string host, bool insecure, Credentials credentials = {},
                 SystemContext context = {}, std::shared_ptr<PullProgress> progress = nullptr);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  std::unique_ptr<RegistryClient> Clone() const;

  // GET /v2/<repository>/manifests/<tag-or-digest>, with every manifest type accepted. A
  // manifest fetched by digest is checked against it.
  absl::StatusOr<Manifest> GetManifest(const std::string& repository, const std::string& reference);

  // GET /v2/<repository>/blobs/<digest>, handing the body to `sink` as it arrives (following
  // redirects to storage backends). `sink` returns false to abort.
  absl::Status FetchBlob(const std::string& repository, const std::string& digest,
                         const std::function<bool(std::string_view)>& sink);

 private:
  struct Response {
    long code = 0;
    std::string body;
    std::string content_type;
    std::string docker_digest;
    std::string www_authenticate;
    std::string retry_after;
  };
  struct Tls {
    std::string extra_cas;  // PEM of the certs.d *.crt files
    std::string client_cert, client_key;
    std::filesystem::path dir;  // the certs.d directory used, for messages
  };
  absl::StatusOr<Response> Get(const std::string& path, const std::vector<std::string>& headers,
                               const std::function<bool(std::string_view)>* sink,
                               const std::string& scope);
  absl::StatusOr<Response> Perform(const std::string& url, const std::vector<std::string>& headers,
                                   const std::function<bool(std::string_view)>* sink, uint64_t skip,
                                   uint64_t* delivered);
  absl::Status Connect();
  absl::Status Authenticate(const std::string& challenge, const std::string& scope);
  // Asks the token service at `realm` for a bearer token covering `scope`.
  absl::Status FetchBearerToken(const std::string& realm, const std::string& service,
                                const std::string& scope);
  // Where the credentials came from, for messages.
  std::string Source() const;
  absl::Status CurlError(int code, const std::string& url, const char* detail) const;
  void SetTlsOptions(void* curl) const;

  std::string host_;
  bool insecure_;
  Credentials credentials_;
  SystemContext context_;
  std::shared_ptr<PullProgress> progress_;
  std::shared_ptr<const Tls> tls_;  // loaded once, shared with clones
  absl::Status tls_status_;
  std::string scheme_;         // "https" or "http" once connected
  std::string authorization_;  // the header value once authenticated
  void* curl_;                 // one easy handle, so connections are reused
};

}  // namespace crio::image
