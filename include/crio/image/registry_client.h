#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::image {

struct Credentials {
  std::string username;
  std::string password;
};

struct Manifest {
  std::string media_type;
  std::string digest;  // "sha256:..." of `body`
  std::string body;
};

// The media types a pull accepts, in preference order.
extern const std::vector<std::string> kManifestMediaTypes;

// A client for one registry host speaking the distribution API v2 (through libcurl): plain HTTP
// when the registry is insecure, otherwise HTTPS; Bearer token and Basic authentication from the
// WWW-Authenticate challenge. Credentials never appear in errors or logs.
class RegistryClient {
 public:
  // `host` as in a reference ("127.0.0.1:5000", "quay.io"); docker.io goes to
  // registry-1.docker.io.
  RegistryClient(std::string host, bool insecure, Credentials credentials = {});
  ~RegistryClient();

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
  };
  absl::StatusOr<Response> Get(const std::string& path, const std::vector<std::string>& headers,
                               const std::function<bool(std::string_view)>* sink,
                               const std::string& scope);
  absl::Status Authenticate(const std::string& challenge, const std::string& scope);
  std::string BaseUrl() const;

  std::string host_;
  bool insecure_;
  Credentials credentials_;
  std::string authorization_;  // the header value once authenticated
  void* curl_;                 // one easy handle, so connections are reused
};

}  // namespace crio::image
