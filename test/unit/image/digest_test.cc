#include "crio/image/digest.h"

#include <gtest/gtest.h>

namespace crio::image {
namespace {

// Digests of "hello" (sha256sum / sha512sum).
constexpr char kSha256[] =
    "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr char kSha512[] =
    "sha512:"
    "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e"
    "14b8c5da0c4663475c2e5c3adef46f73bcdec043";

TEST(DigestVerifierTest, AcceptsSha256AndSha512InPieces) {
  for (const char* digest : {kSha256, kSha512}) {
    absl::StatusOr<DigestVerifier> verifier = DigestVerifier::Create(digest, 5);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    EXPECT_TRUE(verifier->Update("he"));
    EXPECT_FALSE(verifier->complete());
    EXPECT_TRUE(verifier->Update("llo"));
    EXPECT_TRUE(verifier->complete());
    EXPECT_TRUE(verifier->Finish().ok()) << digest;
  }
  EXPECT_EQ(DigestLike(kSha512, "hello"), kSha512);
  EXPECT_EQ(DigestLike(kSha256, "hello"), kSha256);
}

TEST(DigestVerifierTest, RefusesOtherContentSizesAndAlgorithms) {
  absl::StatusOr<DigestVerifier> other = DigestVerifier::Create(kSha512, 5);
  other->Update("hellp");
  EXPECT_TRUE(absl::IsDataLoss(other->Finish()));
  absl::StatusOr<DigestVerifier> longer = DigestVerifier::Create(kSha256, 4);
  EXPECT_FALSE(longer->Update("hello"));
  absl::StatusOr<DigestVerifier> shorter = DigestVerifier::Create(kSha256, 6);
  shorter->Update("hello");
  EXPECT_TRUE(absl::IsDataLoss(shorter->Finish()));
  EXPECT_TRUE(absl::IsUnimplemented(DigestVerifier::Create("md5:abcd").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DigestVerifier::Create("sha256:ABC").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DigestVerifier::Create("nodigest").status()));
}

}  // namespace
}  // namespace crio::image
