#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/image/policy.h"

namespace crio::image {
namespace {

using ::testing::HasSubstr;

Policy Make(std::string_view json) {
  absl::StatusOr<Policy> policy = Policy::Parse(json, "policy.json");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

Reference Ref(std::string_view text) { return *ParseNormalizedReference(text); }

TEST(PolicyTest, AcceptAnythingByDefault) {
  Policy policy = Make(R"({"default":[{"type":"insecureAcceptAnything"}]})");
  EXPECT_TRUE(policy.Check(Ref("busybox")).ok());
  EXPECT_EQ(policy.ScopeFor(Ref("busybox")), "default");
}

TEST(PolicyTest, MostSpecificScopeWins) {
  Policy policy = Make(R"({
    "default": [{"type": "reject"}],
    "transports": {"docker": {
      "": [{"type": "insecureAcceptAnything"}],
      "quay.io": [{"type": "reject"}],
      "quay.io/trusted": [{"type": "insecureAcceptAnything"}],
      "quay.io/trusted/app:bad": [{"type": "reject"}],
      "*.corp.example": [{"type": "reject"}],
      "sig.io": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg"}]
    }}})");
  EXPECT_EQ(policy.ScopeFor(Ref("docker.io/library/busybox:1")), "");
  EXPECT_TRUE(policy.Check(Ref("docker.io/library/busybox:1")).ok());
  EXPECT_EQ(policy.ScopeFor(Ref("quay.io/other/app:1")), "quay.io");
  absl::Status rejected = policy.Check(Ref("quay.io/other/app:1"));
  EXPECT_TRUE(absl::IsPermissionDenied(rejected));
  EXPECT_THAT(std::string(rejected.message()),
              HasSubstr("rejected by the policy for \"quay.io\" in policy.json"));
  EXPECT_EQ(policy.ScopeFor(Ref("quay.io/trusted/team/app:1")), "quay.io/trusted");
  EXPECT_TRUE(policy.Check(Ref("quay.io/trusted/team/app:1")).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(policy.Check(Ref("quay.io/trusted/app:bad"))));
  EXPECT_EQ(policy.ScopeFor(Ref("reg.corp.example/a")), "*.corp.example");
  absl::Status unsigned_pull = policy.Check(Ref("sig.io/a:1"));
  EXPECT_TRUE(absl::IsUnimplemented(unsigned_pull));
  EXPECT_THAT(std::string(unsigned_pull.message()), HasSubstr("signedBy signatures"));
  EXPECT_THAT(std::string(unsigned_pull.message()), HasSubstr("not supported yet"));
}

TEST(PolicyTest, RejectsMalformedPolicies) {
  EXPECT_FALSE(Policy::Parse("{}", "p.json").ok());
  EXPECT_FALSE(Policy::Parse(R"({"default":[]})", "p.json").ok());
  EXPECT_THAT(
      std::string(
          Policy::Parse(R"({"default":[{"type":"trustMe"}]})", "p.json").status().message()),
      HasSubstr("unknown requirement type \"trustMe\""));
  EXPECT_FALSE(Policy::Parse("not json", "p.json").ok());
}

}  // namespace
}  // namespace crio::image
