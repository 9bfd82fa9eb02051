#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "loopback_server.h"
#include "process.h"
#include "registry.h"

namespace crio::testing {

// A token service of the distribution token authentication spec on 127.0.0.1, for a
// docker-registry started with RegistryOptions::token_auth = registry_auth(). It answers
// GET <realm>?service=&scope=&account= (anonymous, or with Basic credentials) and the OAuth2
// POST <realm> (grant_type=password or refresh_token) with JWTs the registry accepts: ES256,
// signed by a key and self-signed certificate generated for this server (sent in the x5c
// header), granting per account what AddUser and SetPublic allow. It records every request.
class TokenServer {
 public:
  TokenServer();
  ~TokenServer();
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  // "http://127.0.0.1:PORT/token"
  const std::string& realm() const { return realm_; }
  RegistryTokenAuth registry_auth() const;

  // `user` with `password` may pull and push `repositories` ("*": every one).
  void AddUser(const std::string& user, const std::string& password,
               std::vector<std::string> repositories);
  // An OAuth2 refresh token (a docker "identity token") that stands for `user`.
  void AddRefreshToken(const std::string& token, const std::string& user);
  // Anyone may pull `repository`, credentials or not.
  void SetPublic(const std::string& repository);
  // Tokens issued from now on are accepted by the registry for this long (default 300).
  void SetLifetime(int seconds);
  // A token for `user` (empty: anonymous) with what it may do within `scope`
  // ("repository:NAME:pull"), as the GET would give it.
  std::string Issue(const std::string& user, const std::string& scope);

  struct Request {
    std::string method;                             // "GET" or "POST"
    std::map<std::string, std::string> parameters;  // query or form; repeated scopes joined by ' '
    std::string basic_user;                         // from an Authorization: Basic header
  };
  std::vector<Request> Requests() const;
  int Count(const std::string& method) const;

 private:
  struct Answer {
    int code;
    std::string body;
  };
  Answer Handle(const Request& request, const std::string& basic_password);
  // The access claim entries `user` (empty: anonymous) is granted within `scope`.
  std::string Token(const std::string& user, const std::string& scope);
  std::string Sign(const std::string& input) const;
  void Serve(int client);

  TempDir dir_;
  std::string realm_;
  std::string certificate_der_;  // for x5c
  void* key_ = nullptr;          // EVP_PKEY
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> users_;
  std::map<std::string, std::string> refresh_tokens_;
  std::set<std::string> public_;
  int lifetime_ = 300;
  std::vector<Request> requests_;
  std::unique_ptr<LoopbackServer> server_;  // last: its handlers use the rest
};

}  // namespace crio::testing
