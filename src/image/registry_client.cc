#include "crio/image/registry_client.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/image/digest.h"

namespace crio::image {
namespace {

// Bodies we keep in memory (manifests, configs, error pages) are bounded.
constexpr size_t kMaxBodySize = size_t{16} << 20;

// key="value" pairs of a WWW-Authenticate challenge after its scheme.
std::map<std::string, std::string> ChallengeParameters(std::string_view text) {
  std::map<std::string, std::string> parameters;
  size_t space = text.find(' ');
  if (space == std::string_view::npos) return parameters;
  text.remove_prefix(space + 1);
  while (!text.empty()) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) break;
    std::string key(text.substr(0, eq));
    while (!key.empty() && (key.front() == ' ' || key.front() == ',')) key.erase(key.begin());
    text.remove_prefix(eq + 1);
    std::string value;
    if (!text.empty() && text.front() == '"') {
      size_t close = text.find('"', 1);
      value = std::string(text.substr(1, close - 1));
      text.remove_prefix(close == std::string_view::npos ? text.size() : close + 1);
    } else {
      size_t comma = text.find(',');
      value = std::string(text.substr(0, comma));
      text.remove_prefix(comma == std::string_view::npos ? text.size() : comma);
    }
    parameters[key] = value;
    while (!text.empty() && (text.front() == ',' || text.front() == ' ')) text.remove_prefix(1);
  }
  return parameters;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The state of one curl transfer, seen by its callbacks.
struct Transfer {
  CURL* curl;
  std::string* body;
  const std::function<bool(std::string_view)>* sink;
  std::map<std::string, std::string>* headers;
  PullProgress* progress;
  uint64_t skip = 0;  // bytes of a 200 answer already delivered by an earlier attempt
  uint64_t* delivered = nullptr;
  bool sink_refused = false;
  bool stalled = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* opaque) {
  auto* transfer = static_cast<Transfer*>(opaque);
  std::string_view chunk(data, size * count);
  if (transfer->progress != nullptr) transfer->progress->Add(chunk.size());
  long code = 0;
  curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &code);
  // Only the body of a success is content; an error's body is kept for the message.
  if (transfer->sink != nullptr && (code == 200 || code == 206)) {
    if (code == 200 && transfer->skip > 0) {
      // The server ignored our Range: drop what the sink already has.
      size_t drop = static_cast<size_t>(std::min<uint64_t>(transfer->skip, chunk.size()));
      transfer->skip -= drop;
      chunk.remove_prefix(drop);
      if (chunk.empty()) return size * count;
    }
    if (!(*transfer->sink)(chunk)) {
      transfer->sink_refused = true;
      return 0;
    }
    *transfer->delivered += chunk.size();
    return size * count;
  }
  if (transfer->body->size() + chunk.size() > kMaxBodySize) return 0;
  transfer->body->append(chunk);
  return chunk.size();
}

size_t OnHeader(char* data, size_t size, size_t count, void* opaque) {
  auto* transfer = static_cast<Transfer*>(opaque);
  std::string_view line(data, size * count);
  // A new status line starts the headers of a new response (after a redirect or a 100).
  if (line.starts_with("HTTP/")) transfer->headers->clear();
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string key = Lower(std::string(line.substr(0, colon)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    (*transfer->headers)[key] = std::string(value);
  }
  return size * count;
}

int OnProgress(void* opaque, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(opaque);
  if (transfer->progress != nullptr && transfer->progress->Stalled()) {
    transfer->stalled = true;
    return 1;  // aborts the transfer
  }
  return 0;
}

// Adds the certs.d CAs to the trust store curl set up from the system's.
CURLcode AddCertificateAuthorities(CURL*, void* ssl_ctx, void* opaque) {
  const std::string& pem = *static_cast<const std::string*>(opaque);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);  // a duplicate is refused, harmlessly
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the PEM data reads as an error
  return CURLE_OK;
}

// Failures worth another attempt: the connection broke, or the server answered nothing.
bool IsTransient(CURLcode code) {
  return code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
         code == CURLE_PARTIAL_FILE || code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM;
}

bool IsTransient(long http_code) {
  return http_code == 429 || http_code == 500 || http_code == 502 || http_code == 503 ||
         http_code == 504;
}

// Retry-After: delay-seconds or an HTTP date.
std::optional<absl::Duration> ParseRetryAfter(const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::Seconds(std::stoll(value.substr(0, 9)));
  }
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return std::max(absl::ZeroDuration(), absl::FromTimeT(when) - absl::Now());
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

const std::vector<std::string> kManifestMediaTypes = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};

PullProgress::PullProgress(std::string image, absl::Duration timeout)
    : image_(std::move(image)), timeout_(timeout), last_progress_(Now()), last_log_(Now()) {}

int64_t PullProgress::Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void PullProgress::Add(size_t bytes) {
  uint64_t total = bytes_ += bytes;
  int64_t now = Now();
  last_progress_.store(now);
  if (timeout_ <= absl::ZeroDuration()) return;
  int64_t interval = absl::ToInt64Nanoseconds(timeout_) / 10;
  int64_t last = last_log_.load();
  if (now - last >= interval && last_log_.compare_exchange_strong(last, now)) {
    spdlog::info("Pulling image {}: {} bytes received", image_, total);
  }
}

void PullProgress::SetLayers(std::vector<Layer> layers) {
  std::lock_guard lock(layers_mu_);
  layers_ = std::move(layers);
}

void PullProgress::AddLayerBytes(std::string_view digest, size_t bytes) {
  std::lock_guard lock(layers_mu_);
  for (Layer& layer : layers_) {
    if (layer.digest == digest) {
      layer.done += bytes;
      return;
    }
  }
}

std::vector<PullProgress::Layer> PullProgress::Layers() const {
  std::lock_guard lock(layers_mu_);
  return layers_;
}

bool PullProgress::Stalled() const {
  if (timeout_ <= absl::ZeroDuration()) return false;
  return Now() - last_progress_.load() > absl::ToInt64Nanoseconds(timeout_);
}

RegistryClient::RegistryClient(std::string host, bool insecure, Credentials credentials,
                               SystemContext context, std::shared_ptr<PullProgress> progress)
    : host_(host == "docker.io" ? "registry-1.docker.io" : host),
      insecure_(insecure),
      credentials_(std::move(credentials)),
      context_(std::move(context)),
      progress_(std::move(progress)),
      curl_(curl_easy_init()) {
  if (!credentials_.registry_token.empty())
    authorization_ = "Bearer " + credentials_.registry_token;
  // containers-certs.d(5): the first certs directory that has this host's subdirectory.
  auto tls = std::make_shared<Tls>();
  for (const std::filesystem::path& base : context_.certs_dirs) {
    std::error_code error;
    if (!std::filesystem::is_directory(base / host, error)) continue;
    tls->dir = base / host;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(tls->dir, error)) {
      files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& file : files) {
      std::filesystem::path pair = file;
      if (file.extension() == ".crt") {
        StrAppend(&tls->extra_cas, ReadFile(file), "\n");
      } else if (file.extension() == ".cert") {
        if (!std::filesystem::exists(pair.replace_extension(".key"))) {
          tls_status_ = absl::FailedPreconditionError(
              StrCat("client certificate ", file.string(), " has no key ", pair.string()));
        } else if (tls->client_cert.empty()) {
          tls->client_cert = file.string();
          tls->client_key = pair.string();
        }
      } else if (file.extension() == ".key") {
        if (!std::filesystem::exists(pair.replace_extension(".cert"))) {
          tls_status_ = absl::FailedPreconditionError(
              StrCat("client key ", file.string(), " has no certificate ", pair.string()));
        }
      }
    }
    break;
  }
  tls_ = std::move(tls);
}

RegistryClient::~RegistryClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::unique_ptr<RegistryClient> RegistryClient::Clone() const {
  SystemContext without_certs = context_;
  without_certs.certs_dirs.clear();  // the TLS files are shared, not read again
  auto clone = std::make_unique<RegistryClient>(host_, insecure_, credentials_,
                                                std::move(without_certs), progress_);
  clone->context_ = context_;
  clone->tls_ = tls_;
  clone->tls_status_ = tls_status_;
  clone->scheme_ = scheme_;
  clone->authorization_ = authorization_;
  return clone;
}

void RegistryClient::SetTlsOptions(void* handle) const {
  CURL* curl = static_cast<CURL*>(handle);
  if (insecure_) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls_->extra_cas.empty()) {
#if LIBCURL_VERSION_NUM >= 0x075700
    // A cached trust store would carry our additions to the next connection's checks.
    curl_easy_setopt(curl, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, AddCertificateAuthorities);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &tls_->extra_cas);
  }
  if (!tls_->client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls_->client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls_->client_key.c_str());
  }
}

absl::Status RegistryClient::CurlError(int code, const std::string& url, const char* detail) const {
  std::string reason = detail != nullptr && detail[0] != '\0'
                           ? std::string(detail)
                           : std::string(curl_easy_strerror(static_cast<CURLcode>(code)));
  if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE) {
    std::string where = tls_->dir.empty() ? StrCat(context_.certs_dirs.empty()
                                                       ? std::string("a certs.d directory")
                                                       : context_.certs_dirs.front().string(),
                                                   "/", host_, "/")
                                          : tls_->dir.string() + "/";
    return absl::UnavailableError(
        StrCat("TLS certificate of registry ", host_, " is not trusted (", reason,
               "): put the CA that signed it in ", where,
               "ca.crt, or mark the registry insecure in registries.conf"));
  }
  if (reason.find("alert bad certificate") != std::string::npos ||
      reason.find("alert certificate required") != std::string::npos) {
    std::string dir = tls_->dir.empty() ? std::string("its certs.d directory") : tls_->dir.string();
    if (tls_->client_cert.empty()) {
      return absl::UnavailableError(
          StrCat("registry ", host_, " wants a TLS client certificate and none is configured (",
                 reason, "): put client.cert and client.key in ", dir));
    }
    return absl::UnavailableError(StrCat("registry ", host_, " refused our TLS client certificate ",
                                         tls_->client_cert, " (", reason, ")"));
  }
  if (code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CONNECT_ERROR) {
    return absl::UnavailableError(StrCat("TLS with registry ", host_, " failed: ", reason));
  }
  return absl::UnavailableError(StrCat("GET ", url, ": ", reason));
}

absl::StatusOr<RegistryClient::Response> RegistryClient::Perform(
    const std::string& url, const std::vector<std::string>& extra_headers,
    const std::function<bool(std::string_view)>* sink, uint64_t skip, uint64_t* delivered) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  Response response;
  std::map<std::string, std::string> headers;
  uint64_t ignored = 0;
  Transfer transfer{curl,
                    &response.body,
                    sink,
                    &headers,
                    progress_.get(),
                    skip,
                    delivered != nullptr ? delivered : &ignored};
  struct curl_slist* list = nullptr;
  for (const std::string& header : extra_headers) list = curl_slist_append(list, header.c_str());
  if (!authorization_.empty()) {
    list = curl_slist_append(list, StrCat("Authorization: ", authorization_).c_str());
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  // HTTP/2 where a TLS registry offers it (ALPN), HTTP/1.1 otherwise; libcurl's default since
  // 7.62, stated so that an older libcurl does the same.
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // A redirect to blob storage must not carry our credentials to another host.
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (progress_ != nullptr && progress_->timeout() > absl::ZeroDuration()) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  SetTlsOptions(curl);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.code);
  if (transfer.stalled) {
    return absl::DeadlineExceededError(
        StrCat("no progress for ", absl::FormatDuration(progress_->timeout()),
               " (pull_progress_timeout): cancelled while fetching ", url));
  }
  if (transfer.sink_refused) return absl::AbortedError(StrCat("GET ", url, ": stopped by reader"));
  if (rc != CURLE_OK) {
    absl::Status status = CurlError(rc, url, error);
    // Transient failures are told apart by the code Get looks at.
    if (IsTransient(rc)) return absl::ResourceExhaustedError(status.message());
    return status;
  }
  response.content_type = headers["content-type"];
  response.docker_digest = headers["docker-content-digest"];
  response.www_authenticate = headers["www-authenticate"];
  response.retry_after = headers["retry-after"];
  return response;
}

absl::Status RegistryClient::Connect() {
  if (!scheme_.empty()) return absl::OkStatus();
  if (!tls_status_.ok()) return tls_status_;
  // Any HTTP answer to /v2/ (401 included) shows the scheme works.
  scheme_ = "https";
  absl::StatusOr<Response> ping =
      Perform(StrCat("https://", host_, "/v2/"), {}, nullptr, 0, nullptr);
  if (ping.ok()) return absl::OkStatus();
  if (!insecure_ || absl::IsDeadlineExceeded(ping.status())) {
    scheme_.clear();
    // A broken first exchange is not retried here: the registry is unreachable as configured.
    if (absl::IsResourceExhausted(ping.status()))
      return absl::UnavailableError(ping.status().message());
    return ping.status();
  }
  scheme_ = "http";
  absl::StatusOr<Response> plain =
      Perform(StrCat("http://", host_, "/v2/"), {}, nullptr, 0, nullptr);
  if (plain.ok()) return absl::OkStatus();
  scheme_.clear();
  return absl::UnavailableError(StrCat("registry ", host_, " (insecure) answers neither HTTPS (",
                                       View(ping.status().message()), ") nor HTTP (",
                                       View(plain.status().message()), ")"));
}

absl::StatusOr<RegistryClient::Response> RegistryClient::Get(
    const std::string& path, const std::vector<std::string>& extra_headers,
    const std::function<bool(std::string_view)>* sink, const std::string& scope) {
  if (auto status = Connect(); !status.ok()) return status;
  std::string url = StrCat(scheme_, "://", host_, path);
  uint64_t delivered = 0;
  bool authenticated = false;
  absl::Duration delay = context_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> headers = extra_headers;
    // An interrupted blob continues where it stopped.
    if (delivered > 0) headers.push_back(StrCat("Range: bytes=", delivered, "-"));
    absl::StatusOr<Response> response = Perform(url, headers, sink, delivered, &delivered);
    std::string problem;
    absl::Duration wait = delay;
    if (!response.ok()) {
      if (!absl::IsResourceExhausted(response.status())) return response.status();
      problem = std::string(response.status().message());
    } else if (response->code == 401 && !authenticated && !response->www_authenticate.empty()) {
      if (auto status = Authenticate(response->www_authenticate, scope); !status.ok())
        return status;
      authenticated = true;
      --attempt;  // answering a challenge is not a retry
      continue;
    } else if (IsTransient(response->code)) {
      problem = StrCat("HTTP ", response->code);
      if (auto after = ParseRetryAfter(response->retry_after)) wait = *after;
    } else {
      return response;
    }
    if (attempt >= context_.max_attempts || (progress_ != nullptr && progress_->Stalled())) {
      if (!response.ok()) return absl::UnavailableError(problem);
      return response;
    }
    wait = std::min(wait, context_.max_retry_delay);
    spdlog::warn("GET {}: {}; retrying in {} (attempt {} of {})", url, problem,
                 absl::FormatDuration(wait), attempt + 1, context_.max_attempts);
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(wait));
    delay *= 2;
  }
}

absl::Status RegistryClient::Authenticate(const std::string& challenge, const std::string& scope) {
  std::string scheme = Lower(challenge.substr(0, challenge.find(' ')));
  std::string whose = StrCat("the credentials from ", Source());
  if (scheme == "basic") {
    if (credentials_.empty()) {
      return absl::UnauthenticatedError(
          StrCat("registry ", host_,
                 " requires authentication and no credentials were given or found for it"));
    }
    if (!authorization_.empty() && authorization_.starts_with("Basic ")) {
      return absl::UnauthenticatedError(
          StrCat("registry ", host_, " rejected ", whose, " (HTTP 401)"));
    }
    authorization_ = "Basic " + Base64Encode(credentials_.username + ":" + credentials_.password);
    return absl::OkStatus();
  }
  if (scheme != "bearer") {
    return absl::UnimplementedError(
        StrCat("registry ", host_, ": authentication scheme ", scheme, " is not supported yet"));
  }
  // A registry token from the request is all we have: the registry did not take it.
  if (!credentials_.registry_token.empty()) {
    return absl::UnauthenticatedError(
        StrCat("registry ", host_, " rejected the registry token from ", Source(), " (HTTP 401)"));
  }
  std::map<std::string, std::string> parameters = ChallengeParameters(challenge);
  std::string realm = parameters["realm"];
  if (realm.empty()) {
    return absl::UnauthenticatedError(
        StrCat("registry ", host_, ": token challenge without realm"));
  }
  return FetchBearerToken(realm, parameters["service"],
                          !scope.empty() ? scope : parameters["scope"]);
}

absl::Status RegistryClient::FetchBearerToken(const std::string& realm, const std::string& service,
                                              const std::string& scope) {
  CURL* curl = curl_easy_init();
  std::string fields;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    char* escaped = curl_easy_escape(curl, value.c_str(), static_cast<int>(value.size()));
    StrAppend(&fields, fields.empty() ? "" : "&", key, "=", escaped);
    curl_free(escaped);
  };
  // With an identity token, the OAuth2 form POST of the distribution token spec (the client_id
  // containers/image sends); otherwise a GET, anonymous or with Basic credentials.
  bool oauth = !credentials_.identity_token.empty();
  if (oauth) {
    add("grant_type", "refresh_token");
    add("refresh_token", credentials_.identity_token);
    add("client_id", "containers/image");
  } else {
    add("account", credentials_.username);
  }
  add("service", service);
  add("scope", scope);
  std::string url = realm;
  if (!oauth && !fields.empty())
    StrAppend(&url, realm.find('?') == std::string::npos ? "?" : "&", fields);
  std::string body;
  std::map<std::string, std::string> headers;
  uint64_t delivered = 0;
  Transfer transfer{curl, &body, nullptr, &headers, nullptr, 0, &delivered};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  SetTlsOptions(curl);
  std::string user_password = credentials_.username + ":" + credentials_.password;
  if (oauth) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, fields.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(fields.size()));
  } else if (!credentials_.username.empty() || !credentials_.password.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, user_password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  absl::Status failure = rc != CURLE_OK ? CurlError(rc, realm, error) : absl::OkStatus();
  curl_easy_cleanup(curl);
  if (!failure.ok()) return failure;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (oauth && code >= 400 && code < 500) {
    // The OAuth2 error code ("invalid_grant") says why; it never holds the token.
    std::string reason;
    if (json.is_object() && json.contains("error") && json["error"].is_string()) {
      std::string value = json["error"];
      if (value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || c == '_';
          })) {
        reason = ": " + value;
      }
    }
    return absl::UnauthenticatedError(StrCat("the token service of registry ", host_,
                                             " rejected the identity token from ", Source(),
                                             " (HTTP ", code, reason, ")"));
  }
  if (code == 401 || code == 403) {
    return absl::UnauthenticatedError(StrCat("the token service of registry ", host_, " rejected ",
                                             credentials_.empty()
                                                 ? std::string("anonymous access")
                                                 : StrCat("the credentials from ", Source()),
                                             " (HTTP ", code, ")"));
  }
  std::string token;
  if (json.is_object()) {
    if (json.contains("token") && json["token"].is_string()) token = json["token"];
    if (token.empty() && json.contains("access_token") && json["access_token"].is_string())
      token = json["access_token"];
  }
  if (token.empty()) {
    return absl::UnauthenticatedError(StrCat("the token service of registry ", host_,
                                             " answered HTTP ", code, " without a token"));
  }
  authorization_ = "Bearer " + token;
  return absl::OkStatus();
}

std::string RegistryClient::Source() const {
  return credentials_.source.empty() ? std::string("the request") : credentials_.source;
}

absl::StatusOr<Manifest> RegistryClient::GetManifest(const std::string& repository,
                                                     const std::string& reference) {
  std::vector<std::string> headers;
  std::string accept = "Accept: ";
  for (size_t i = 0; i < kManifestMediaTypes.size(); ++i) {
    StrAppend(&accept, i > 0 ? ", " : "", kManifestMediaTypes[i]);
  }
  headers.push_back(accept);
  absl::StatusOr<Response> response =
      Get(StrCat("/v2/", repository, "/manifests/", reference), headers, nullptr,
          StrCat("repository:", repository, ":pull"));
  if (!response.ok()) return response.status();
  if (response->code == 404) {
    return absl::NotFoundError(
        StrCat("manifest ", repository, ":", reference, " not found on ", host_));
  }
  if (response->code == 401 || response->code == 403) {
    if (credentials_.empty()) {
      return absl::UnauthenticatedError(StrCat("registry ", host_, " denied access to ", repository,
                                               " (HTTP ", response->code,
                                               "): no credentials were given or found for it"));
    }
    return absl::UnauthenticatedError(StrCat("registry ", host_, " rejected the credentials from ",
                                             Source(), " for ", repository, " (HTTP ",
                                             response->code, ")"));
  }
  if (response->code != 200) {
    return absl::UnavailableError(StrCat("manifest ", repository, ":", reference, " from ", host_,
                                         ": HTTP ", response->code));
  }
  Manifest manifest;
  manifest.body = std::move(response->body);
  manifest.media_type = response->content_type.substr(0, response->content_type.find(';'));
  manifest.digest = DigestLike(reference, manifest.body);
  if (reference.find(':') != std::string::npos && reference != manifest.digest) {
    return absl::DataLossError(StrCat("manifest ", repository, "@", reference, " from ", host_,
                                      " has digest ", manifest.digest));
  }
  if (manifest.media_type.find("distribution.manifest.v1") != std::string::npos) {
    return absl::UnimplementedError(StrCat("manifest ", repository, ":", reference,
                                           " is Docker schema 1, which is not supported"));
  }
  return manifest;
}

absl::Status RegistryClient::FetchBlob(const std::string& repository, const std::string& digest,
                                       const std::function<bool(std::string_view)>& sink) {
  absl::StatusOr<Response> response = Get(StrCat("/v2/", repository, "/blobs/", digest), {}, &sink,
                                          StrCat("repository:", repository, ":pull"));
  if (!response.ok()) return response.status();
  if (response->code == 401 || response->code == 403) {
    return absl::UnauthenticatedError(StrCat("registry ", host_, " denied access to blob ", digest,
                                             " of ", repository, " (HTTP ", response->code, ")"));
  }
  if (response->code != 200 && response->code != 206) {
    return absl::UnavailableError(
        StrCat("blob ", digest, " of ", repository, " from ", host_, ": HTTP ", response->code));
  }
  return absl::OkStatus();
}

}  // namespace crio::image
