#include "token_cache.h"

#include <openssl/rand.h>

#include <string_view>

#include "absl/status/status.h"

namespace crio::streaming {
namespace {

// 16 bytes: guessing a live token is hopeless even with many in flight.
constexpr size_t kTokenBytes = 16;

}  // namespace

absl::StatusOr<std::string> RandomToken(size_t size) {
  std::string bytes(size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size)) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  uint32_t bits = 0;
  int nbits = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out.push_back(kAlphabet[(bits >> nbits) & 0x3f]);
    }
  }
  if (nbits > 0) out.push_back(kAlphabet[(bits << (6 - nbits)) & 0x3f]);
  return out;
}

absl::StatusOr<std::string> TokenCache::Insert(CachedRequest request, absl::Time now) {
  absl::StatusOr<std::string> token = RandomToken(kTokenBytes);
  if (!token.ok()) return token.status();
  absl::MutexLock lock(&mu_);
  DropExpired(now);
  if (entries_.size() >= max_in_flight_) {
    return absl::ResourceExhaustedError(
        "too many streaming requests waiting to be used; try again later");
  }
  entries_.emplace(*token, Entry{std::move(request), now + ttl_});
  order_.push_back(*token);
  return token;
}

std::optional<CachedRequest> TokenCache::Take(const std::string& token, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  entries_.erase(it);
  if (now >= entry.expires) return std::nullopt;
  return std::move(entry.request);
}

size_t TokenCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

void TokenCache::DropExpired(absl::Time now) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it != entries_.end()) {
      if (it->second.expires > now) break;
      entries_.erase(it);
    }
    order_.pop_front();
  }
  // Taken tokens leave their names in order_; keep it from growing past the live entries when
  // tokens are used faster than they expire.
  if (order_.size() > 2 * max_in_flight_ + 16) {
    std::deque<std::string> live;
    for (std::string& name : order_) {
      if (entries_.count(name)) live.push_back(std::move(name));
    }
    order_ = std::move(live);
  }
}

}  // namespace crio::streaming
