#include "streaming/token_cache.h"

#include <gtest/gtest.h>

#include <set>

namespace crio::streaming {
namespace {

ExecRequest Exec(std::string id) { return ExecRequest{std::move(id), {"true"}, {}}; }

TEST(TokenCacheTest, TakeReturnsTheRequestOnce) {
  TokenCache cache(absl::Minutes(1));
  absl::StatusOr<std::string> token = cache.Insert(Exec("a"));
  ASSERT_TRUE(token.ok()) << token.status();
  std::optional<CachedRequest> request = cache.Take(*token);
  ASSERT_TRUE(request.has_value());
  ASSERT_TRUE(std::holds_alternative<ExecRequest>(*request));
  EXPECT_EQ(std::get<ExecRequest>(*request).container_id, "a");
  EXPECT_FALSE(cache.Take(*token).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCacheTest, UnknownTokenIsNotFound) {
  TokenCache cache(absl::Minutes(1));
  ASSERT_TRUE(cache.Insert(Exec("a")).ok());
  EXPECT_FALSE(cache.Take("nosuchtoken").has_value());
  EXPECT_FALSE(cache.Take("").has_value());
}

TEST(TokenCacheTest, TokensExpire) {
  absl::Time now = absl::FromUnixSeconds(1000);
  TokenCache cache(absl::Seconds(60));
  absl::StatusOr<std::string> early = cache.Insert(Exec("a"), now);
  absl::StatusOr<std::string> late = cache.Insert(Exec("b"), now + absl::Seconds(30));
  ASSERT_TRUE(early.ok() && late.ok());
  EXPECT_FALSE(cache.Take(*early, now + absl::Seconds(60)).has_value());
  EXPECT_TRUE(cache.Take(*late, now + absl::Seconds(89)).has_value());
}

TEST(TokenCacheTest, InFlightTokensAreBounded) {
  absl::Time now = absl::FromUnixSeconds(1000);
  TokenCache cache(absl::Seconds(60), /*max_in_flight=*/3);
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) tokens.push_back(*cache.Insert(Exec("a"), now));
  absl::StatusOr<std::string> refused = cache.Insert(Exec("a"), now);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  // Using a token makes room.
  ASSERT_TRUE(cache.Take(tokens[0], now).has_value());
  EXPECT_TRUE(cache.Insert(Exec("a"), now).ok());
  // So does expiry.
  EXPECT_FALSE(cache.Insert(Exec("a"), now).ok());
  EXPECT_TRUE(cache.Insert(Exec("a"), now + absl::Seconds(61)).ok());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(TokenCacheTest, ManyInsertsAndTakesKeepMemoryBounded) {
  absl::Time now = absl::FromUnixSeconds(1000);
  TokenCache cache(absl::Seconds(60), /*max_in_flight=*/4);
  for (int i = 0; i < 10000; ++i) {
    absl::StatusOr<std::string> token = cache.Insert(Exec("a"), now);
    ASSERT_TRUE(token.ok()) << i << ": " << token.status();
    ASSERT_TRUE(cache.Take(*token, now).has_value());
  }
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCacheTest, TokensAreRandomAndUrlSafe) {
  TokenCache cache(absl::Minutes(1));
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string token = *cache.Insert(Exec("a"));
    EXPECT_EQ(token.size(), 22u);  // 16 bytes, base64url without padding
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST(TokenCacheTest, KeepsTheKindOfRequest) {
  TokenCache cache(absl::Minutes(1));
  std::string a = *cache.Insert(AttachRequest{"c", {}});
  std::string p = *cache.Insert(PortForwardRequest{"pod", {80, 443}});
  EXPECT_TRUE(std::holds_alternative<AttachRequest>(*cache.Take(a)));
  std::optional<CachedRequest> forward = cache.Take(p);
  ASSERT_TRUE(std::holds_alternative<PortForwardRequest>(*forward));
  EXPECT_EQ(std::get<PortForwardRequest>(*forward).ports, (std::vector<int32_t>{80, 443}));
}

}  // namespace
}  // namespace crio::streaming
