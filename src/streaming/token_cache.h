#pragma once

// Single-use tokens for the streaming URLs. The RPC stores the validated request and gets a
// token; the HTTP handler takes the request back out exactly once. Tokens expire, and the
// number waiting to be used is capped so a client that asks for URLs and never uses them
// cannot grow memory.

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crio/streaming/backend.h"

namespace crio::streaming {

using CachedRequest = std::variant<ExecRequest, AttachRequest, PortForwardRequest>;

class TokenCache {
 public:
  static constexpr size_t kDefaultMaxInFlight = 1000;  // what the kubelet's cache allows

  explicit TokenCache(absl::Duration ttl, size_t max_in_flight = kDefaultMaxInFlight)
      : ttl_(ttl), max_in_flight_(max_in_flight) {}

  // A new random, URL-safe token for `request`. ResourceExhausted when `max_in_flight` unused,
  // unexpired tokens exist already; Internal when the random generator fails.
  absl::StatusOr<std::string> Insert(CachedRequest request, absl::Time now = absl::Now());

  // The request stored under `token`, removed so the token cannot be used again; nullopt when
  // the token is unknown, already used or expired.
  std::optional<CachedRequest> Take(const std::string& token, absl::Time now = absl::Now());

  size_t size() const;

 private:
  struct Entry {
    CachedRequest request;
    absl::Time expires;
  };
  void DropExpired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration ttl_;
  const size_t max_in_flight_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_ ABSL_GUARDED_BY(mu_);
  // Tokens in insertion order (= expiry order, the ttl being fixed); may name tokens already
  // taken, which DropExpired skips.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

// `size` random bytes from OpenSSL, base64url-encoded without padding.
absl::StatusOr<std::string> RandomToken(size_t size);

}  // namespace crio::streaming
