#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/image/reference.h"

namespace crio::image {
namespace {

using ::testing::HasSubstr;

std::string Normalized(std::string_view text) {
  absl::StatusOr<Reference> reference = ParseNormalizedReference(text);
  return reference.ok() ? reference->String()
                        : "error: " + std::string(reference.status().message());
}

TEST(ReferenceTest, NormalizesLikeDocker) {
  EXPECT_EQ(Normalized("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Normalized("busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(Normalized("user/app"), "docker.io/user/app:latest");
  EXPECT_EQ(Normalized("index.docker.io/library/nginx:1"), "docker.io/library/nginx:1");
  EXPECT_EQ(Normalized("registry.k8s.io/pause:3.10.1"), "registry.k8s.io/pause:3.10.1");
  EXPECT_EQ(Normalized("localhost/app"), "localhost/app:latest");
  EXPECT_EQ(Normalized("localhost:5000/a/b/c:v1"), "localhost:5000/a/b/c:v1");
  EXPECT_EQ(Normalized("127.0.0.1:5000/busybox"), "127.0.0.1:5000/busybox:latest");
  EXPECT_EQ(Normalized("[::1]:5000/busybox:x"), "[::1]:5000/busybox:x");
  std::string digest = "sha256:" + std::string(64, 'a');
  // A digest alone gets no tag; a tag and a digest are both kept.
  EXPECT_EQ(Normalized("busybox@" + digest), "docker.io/library/busybox@" + digest);
  EXPECT_EQ(Normalized("quay.io/x/y:t@" + digest), "quay.io/x/y:t@" + digest);
}

TEST(ReferenceTest, KeepsShortNamesShortWhenNotNormalized) {
  absl::StatusOr<Reference> reference = ParseReference("busybox");
  ASSERT_TRUE(reference.ok());
  EXPECT_FALSE(reference->qualified());
  EXPECT_EQ(reference->path, "busybox");
  EXPECT_TRUE(reference->tag.empty());
  // A first component without '.' or ':' and not "localhost" is a path, not a registry.
  reference = ParseReference("myregistry/app:1");
  EXPECT_FALSE(reference->qualified());
  EXPECT_EQ(reference->path, "myregistry/app");
  reference = ParseReference("example.com:443/team/app");
  EXPECT_EQ(reference->domain, "example.com:443");
  EXPECT_EQ(reference->path, "team/app");
}

TEST(ReferenceTest, AcceptsEverySeparatorOfThePathGrammar) {
  for (const char* ok :
       {"a", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b-c_d__e", "0/1/2", "a/b/c/d/e"}) {
    EXPECT_TRUE(ParseReference(ok).ok()) << ok;
  }
}

TEST(ReferenceTest, RejectsWhatTheGrammarDoesNotAllow) {
  struct Case {
    std::string text;
    std::string why;
  };
  std::string hex64(64, 'f');
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"Busybox", "must be lowercase"},
           {"docker.io/Library/busybox", "must be lowercase"},
           {"a___b", "not a valid repository path component"},
           {"a..b", "not a valid repository path component"},
           {"-a", "not a valid repository path component"},
           {"a/", "not a valid repository path component"},
           {"a//b", "not a valid repository path component"},
           {"busybox:", "not a valid tag"},
           {"busybox:.x", "not a valid tag"},
           {"busybox:" + std::string(129, 'x'), "not a valid tag"},
           {"busybox@sha256:abc", "not a valid digest"},
           {"busybox@sha256:" + hex64 + "0", "not a valid digest"},
           {"busybox@md5", "not a valid digest"},
           {"-bad.io/x", "not a valid registry host"},
           {"bad.io:port/x", "not a valid registry host"},
           {std::string(256, 'a'), "longer than 255"},
       }) {
    absl::StatusOr<Reference> reference = ParseReference(c.text);
    ASSERT_FALSE(reference.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(reference.status()));
    EXPECT_THAT(std::string(reference.status().message()), HasSubstr(c.why)) << c.text;
  }
}

}  // namespace
}  // namespace crio::image
