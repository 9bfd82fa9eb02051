#include "crio/image/registry_client.h"

#include <curl/curl.h>

#include <map>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "crio/common/strings.h"

namespace crio::image {
namespace {

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

struct Transfer {
  void* curl;
  std::string* body;
  const std::function<bool(std::string_view)>* sink;
  std::map<std::string, std::string>* headers;
};

size_t OnBody(char* data, size_t size, size_t count, void* opaque) {
  auto* transfer = static_cast<Transfer*>(opaque);
  std::string_view chunk(data, size * count);
  long code = 0;
  curl_easy_getinfo(static_cast<CURL*>(transfer->curl), CURLINFO_RESPONSE_CODE, &code);
  // Only the body of a success is content; an error's body is kept for the message.
  if (transfer->sink != nullptr && code == 200) return (*transfer->sink)(chunk) ? chunk.size() : 0;
  transfer->body->append(chunk);
  return chunk.size();
}

size_t OnHeader(char* data, size_t size, size_t count, void* opaque) {
  auto* transfer = static_cast<Transfer*>(opaque);
  std::string_view line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string key(line.substr(0, colon));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    (*transfer->headers)[key] = std::string(value);
  }
  return size * count;
}

}  // namespace

const std::vector<std::string> kManifestMediaTypes = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};

RegistryClient::RegistryClient(std::string host, bool insecure, Credentials credentials)
    : host_(host == "docker.io" ? "registry-1.docker.io" : std::move(host)),
      insecure_(insecure),
      credentials_(std::move(credentials)),
      curl_(curl_easy_init()) {}

RegistryClient::~RegistryClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string RegistryClient::BaseUrl() const {
  return StrCat(insecure_ ? "http://" : "https://", host_);
}

absl::StatusOr<RegistryClient::Response> RegistryClient::Get(
    const std::string& path, const std::vector<std::string>& extra_headers,
    const std::function<bool(std::string_view)>* sink, const std::string& scope) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    CURL* curl = static_cast<CURL*>(curl_);
    curl_easy_reset(curl);
    Response response;
    std::map<std::string, std::string> headers;
    Transfer transfer{curl, &response.body, sink, &headers};
    std::string url = BaseUrl() + path;
    struct curl_slist* list = nullptr;
    for (const std::string& header : extra_headers) list = curl_slist_append(list, header.c_str());
    if (!authorization_.empty()) {
      list = curl_slist_append(list, StrCat("Authorization: ", authorization_).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
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
    // Only a successful response's body goes to the sink.
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 0L);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(list);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.code);
    if (rc != CURLE_OK) {
      return absl::UnavailableError(StrCat("GET ", url, ": ", curl_easy_strerror(rc)));
    }
    response.content_type = headers["content-type"];
    response.docker_digest = headers["docker-content-digest"];
    response.www_authenticate = headers["www-authenticate"];
    if (response.code == 401 && attempt == 0 && !response.www_authenticate.empty()) {
      if (auto status = Authenticate(response.www_authenticate, scope); !status.ok()) return status;
      continue;
    }
    return response;
  }
  return absl::UnauthenticatedError(StrCat("registry ", host_, " refused our credentials"));
}

absl::Status RegistryClient::Authenticate(const std::string& challenge, const std::string& scope) {
  std::string scheme = challenge.substr(0, challenge.find(' '));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "basic") {
    if (credentials_.username.empty()) {
      return absl::UnauthenticatedError(StrCat("registry ", host_, " requires credentials"));
    }
    authorization_ = "Basic " + Base64Encode(credentials_.username + ":" + credentials_.password);
    return absl::OkStatus();
  }
  if (scheme != "bearer") {
    return absl::UnimplementedError(
        StrCat("registry ", host_, ": authentication scheme ", scheme, " is not supported"));
  }
  std::map<std::string, std::string> parameters = ChallengeParameters(challenge);
  std::string realm = parameters["realm"];
  if (realm.empty())
    return absl::UnauthenticatedError(
        StrCat("registry ", host_, ": token challenge without realm"));
  CURL* curl = curl_easy_init();
  std::string url = realm + "?";
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    char* escaped = curl_easy_escape(curl, value.c_str(), static_cast<int>(value.size()));
    StrAppend(&url, url.back() == '?' ? "" : "&", key, "=", escaped);
    curl_free(escaped);
  };
  add("service", parameters["service"]);
  add("scope", !scope.empty() ? scope : parameters["scope"]);
  std::string body;
  std::map<std::string, std::string> headers;
  Transfer transfer{curl, &body, nullptr, &headers};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  std::string user_password = credentials_.username + ":" + credentials_.password;
  if (!credentials_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, user_password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return absl::UnavailableError(StrCat("token from ", realm, ": ", curl_easy_strerror(rc)));
  if (code == 401 || code == 403) {
    return absl::UnauthenticatedError(
        StrCat("registry ", host_, ": the token service refused our credentials"));
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  std::string token = json.is_object() ? json.value("token", json.value("access_token", "")) : "";
  if (token.empty())
    return absl::UnauthenticatedError(StrCat("token from ", realm, " has no token"));
  authorization_ = "Bearer " + token;
  return absl::OkStatus();
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
    return absl::UnauthenticatedError(StrCat("registry ", host_, " denied access to ", repository));
  }
  if (response->code != 200) {
    return absl::UnavailableError(StrCat("manifest ", repository, ":", reference, " from ", host_,
                                         ": HTTP ", response->code));
  }
  Manifest manifest;
  manifest.body = std::move(response->body);
  manifest.digest = Sha256Digest(manifest.body);
  manifest.media_type = response->content_type.substr(0, response->content_type.find(';'));
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
  if (response->code != 200) {
    return absl::UnavailableError(
        StrCat("blob ", digest, " of ", repository, " from ", host_, ": HTTP ", response->code));
  }
  return absl::OkStatus();
}

}  // namespace crio::image
