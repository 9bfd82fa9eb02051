#include "token_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "crio/common/subprocess.h"

namespace crio::testing {
namespace {

constexpr const char* kService = "crio-test-registry";
constexpr const char* kIssuer = "crio-test-token-server";
// docker-registry accepts a token up to this long past its "exp" (clock skew leeway).
constexpr int kRegistryLeeway = 60;

std::string Base64Url(std::string_view data) {
  std::string text = Base64Encode(data);
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::string Base64Decode(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return "";
  out.resize(static_cast<size_t>(n));
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(out.size() - std::min(padding, out.size()));
  return out;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  return HexEncode(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// key=value&... (a query string or a form body); repeated keys joined by ' '.
std::map<std::string, std::string> ParseParameters(std::string_view text) {
  std::map<std::string, std::string> parameters;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = UrlDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
    std::string& slot = parameters[key];
    slot += (slot.empty() ? "" : " ") + value;
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return parameters;
}

std::string Rfc3339(std::time_t when) {
  char text[32];
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

TokenServer::TokenServer() {
  // A P-256 key and a self-signed certificate for it: the registry's root bundle and the x5c.
  std::string d = dir_.path().string();
  absl::StatusOr<CommandResult> made =
      RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", d + "/signing.key", "-out",
                  d + "/signing.crt", "-days", "2", "-subj", "/CN=crio-test-token-server"},
                 {}, absl::Seconds(60));
  EXPECT_TRUE(made.ok() && made->exit_code == 0) << (made.ok() ? made->err : "");
  std::unique_ptr<BIO, decltype(&BIO_free)> key_file(
      BIO_new_file((d + "/signing.key").c_str(), "r"), BIO_free);
  key_ = key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr) : nullptr;
  EXPECT_NE(key_, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_file(
      BIO_new_file((d + "/signing.crt").c_str(), "r"), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      cert_file ? PEM_read_bio_X509(cert_file.get(), nullptr, nullptr, nullptr) : nullptr,
      X509_free);
  EXPECT_NE(cert, nullptr);
  if (cert) {
    unsigned char* der = nullptr;
    int length = i2d_X509(cert.get(), &der);
    certificate_der_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(length));
    OPENSSL_free(der);
  }

  server_ = std::make_unique<LoopbackServer>([this](int client) { Serve(client); });
  realm_ = "http://" + server_->host() + "/token";
}

TokenServer::~TokenServer() {
  server_->Stop();
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
}

RegistryTokenAuth TokenServer::registry_auth() const {
  return RegistryTokenAuth{.realm = realm_,
                           .service = kService,
                           .issuer = kIssuer,
                           .root_certificates = dir_.path() / "signing.crt"};
}

void TokenServer::AddUser(const std::string& user, const std::string& password,
                          std::vector<std::string> repositories) {
  std::lock_guard lock(mu_);
  users_[user] = {password, std::move(repositories)};
}

void TokenServer::AddRefreshToken(const std::string& token, const std::string& user) {
  std::lock_guard lock(mu_);
  refresh_tokens_[token] = user;
}

void TokenServer::SetPublic(const std::string& repository) {
  std::lock_guard lock(mu_);
  public_.insert(repository);
}

void TokenServer::SetLifetime(int seconds) {
  std::lock_guard lock(mu_);
  lifetime_ = seconds;
}

std::vector<TokenServer::Request> TokenServer::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int TokenServer::Count(const std::string& method) const {
  std::lock_guard lock(mu_);
  int count = 0;
  for (const Request& request : requests_) count += request.method == method;
  return count;
}

std::string TokenServer::Issue(const std::string& user, const std::string& scope) {
  std::lock_guard lock(mu_);
  return Token(user, scope);
}

std::string TokenServer::Sign(const std::string& input) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t length = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(key_)) !=
          1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ADD_FAILURE() << "cannot sign a token";
    return "";
  }
  std::string der(length, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  // OpenSSL gives a DER ECDSA-Sig-Value; JWS (ES256) wants r and s, 32 bytes each.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)), ECDSA_SIG_free);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  unsigned char raw[64];
  BN_bn2binpad(r, raw, 32);
  BN_bn2binpad(s, raw + 32, 32);
  return std::string(reinterpret_cast<char*>(raw), sizeof(raw));
}

std::string TokenServer::Token(const std::string& user, const std::string& scope) {
  nlohmann::json access = nlohmann::json::array();
  std::string_view scopes = scope;
  while (!scopes.empty()) {
    size_t space = scopes.find(' ');
    std::string one(scopes.substr(0, space));
    scopes.remove_prefix(space == std::string_view::npos ? scopes.size() : space + 1);
    // repository:NAME:ACTIONS (the name may hold ':' only in the host, which it has not here).
    size_t first = one.find(':'), last = one.rfind(':');
    if (first == std::string::npos || first == last || one.substr(0, first) != "repository")
      continue;
    std::string name = one.substr(first + 1, last - first - 1);
    std::set<std::string> allowed;
    if (public_.contains(name)) allowed.insert("pull");
    if (auto it = users_.find(user); !user.empty() && it != users_.end()) {
      for (const std::string& repository : it->second.second) {
        if (repository == "*" || repository == name) allowed.insert({"pull", "push"});
      }
    }
    nlohmann::json actions = nlohmann::json::array();
    std::string_view requested = std::string_view(one).substr(last + 1);
    while (!requested.empty()) {
      size_t comma = requested.find(',');
      std::string action(requested.substr(0, comma));
      if (allowed.contains(action)) actions.push_back(action);
      requested.remove_prefix(comma == std::string_view::npos ? requested.size() : comma + 1);
    }
    if (!actions.empty())
      access.push_back({{"type", "repository"}, {"name", name}, {"actions", actions}});
  }
  std::time_t now = std::time(nullptr);
  nlohmann::json header = {{"typ", "JWT"},
                           {"alg", "ES256"},
                           {"x5c", nlohmann::json::array({Base64Encode(certificate_der_)})}};
  nlohmann::json claims = {{"iss", kIssuer},       {"sub", user},
                           {"aud", kService},      {"exp", now + lifetime_ - kRegistryLeeway},
                           {"nbf", now},           {"iat", now},
                           {"jti", RandomHex(16)}, {"access", access}};
  std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
  return input + "." + Base64Url(Sign(input));
}

TokenServer::Answer TokenServer::Handle(const Request& request, const std::string& basic_password) {
  std::lock_guard lock(mu_);
  requests_.push_back(request);
  auto parameter = [&](const char* key) {
    auto it = request.parameters.find(key);
    return it == request.parameters.end() ? std::string() : it->second;
  };
  std::time_t now = std::time(nullptr);
  nlohmann::json answer = {{"expires_in", lifetime_}, {"issued_at", Rfc3339(now)}};
  if (request.method == "GET") {
    std::string user = request.basic_user;
    if (!user.empty()) {
      auto it = users_.find(user);
      if (it == users_.end() || it->second.first != basic_password) {
        return {401, R"({"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]})"};
      }
    }
    std::string token = Token(user, parameter("scope"));
    answer["token"] = token;
    answer["access_token"] = token;
    return {200, answer.dump()};
  }
  // The OAuth2 form (docs/spec/auth/oauth.md of distribution).
  if (parameter("client_id").empty() || parameter("service").empty())
    return {400, R"({"error":"invalid_request"})"};
  std::string user;
  std::string grant = parameter("grant_type");
  if (grant == "refresh_token") {
    auto it = refresh_tokens_.find(parameter("refresh_token"));
    if (it == refresh_tokens_.end()) return {400, R"({"error":"invalid_grant"})"};
    user = it->second;
  } else if (grant == "password") {
    auto it = users_.find(parameter("username"));
    if (it == users_.end() || it->second.first != parameter("password"))
      return {400, R"({"error":"invalid_grant"})"};
    user = it->first;
    if (parameter("access_type") == "offline") {
      std::string refresh = RandomHex(16);
      refresh_tokens_[refresh] = user;
      answer["refresh_token"] = refresh;
    }
  } else {
    return {400, R"({"error":"unsupported_grant_type"})"};
  }
  answer["access_token"] = Token(user, parameter("scope"));
  answer["scope"] = parameter("scope");
  return {200, answer.dump()};
}

void TokenServer::Serve(int client) {
  timeval timeout{10, 0};  // a client that stops talking does not hold the destructor up
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string data;
  char buffer[16384];
  size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0 || data.size() > 65536) return;
    data.append(buffer, static_cast<size_t>(n));
  }
  std::string head = data.substr(0, head_end);
  std::string body = data.substr(head_end + 4);
  Request request;
  request.method = head.substr(0, head.find(' '));
  size_t target_start = request.method.size() + 1;
  std::string target = head.substr(target_start, head.find(' ', target_start) - target_start);
  size_t content_length = 0;
  std::string password;
  for (size_t at = head.find("\r\n"); at != std::string::npos;) {
    size_t end = head.find("\r\n", at + 2);
    std::string line =
        head.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
    at = end;
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("content-length:")) content_length = std::stoul(line.substr(15));
    if (lower.starts_with("authorization: basic ")) {
      std::string decoded = Base64Decode(line.substr(21));
      size_t colon = decoded.find(':');
      request.basic_user = decoded.substr(0, colon);
      if (colon != std::string::npos) password = decoded.substr(colon + 1);
    }
  }
  while (body.size() < content_length) {
    ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    body.append(buffer, static_cast<size_t>(n));
  }
  size_t question = target.find('?');
  if (target.substr(0, question) != "/token") {
    SendAll(client, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  request.parameters = ParseParameters(request.method == "POST" ? std::string_view(body)
                                       : question == std::string::npos
                                           ? std::string_view()
                                           : std::string_view(target).substr(question + 1));
  Answer answer = Handle(request, password);
  std::string reason = answer.code == 200   ? "OK"
                       : answer.code == 401 ? "Unauthorized"
                                            : "Bad Request";
  SendAll(client, "HTTP/1.1 " + std::to_string(answer.code) + " " + reason +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(answer.body.size()) + "\r\nConnection: close\r\n\r\n" +
                      answer.body);
}

}  // namespace crio::testing
