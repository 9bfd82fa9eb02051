#include "crio/image/cred_helper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace crio::image {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kHelper = "docker-credential-test";

TEST(ParseHelperAnswerTest, UsernameAndSecret) {
  auto found = ParseHelperAnswer(kHelper, 0,
                                 R"({"ServerURL":"quay.io","Username":"u","Secret":"p"})"
                                 "\n",
                                 "source");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->username, "u");
  EXPECT_EQ((*found)->password, "p");
  EXPECT_EQ((*found)->identity_token, "");
  EXPECT_EQ((*found)->source, "source");
}

TEST(ParseHelperAnswerTest, TokenUsernameMakesAnIdentityToken) {
  auto found = ParseHelperAnswer(kHelper, 0, R"({"Username":"<token>","Secret":"refresh"})", "s");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->identity_token, "refresh");
  EXPECT_EQ((*found)->username, "");
  EXPECT_EQ((*found)->password, "");
}

TEST(ParseHelperAnswerTest, NothingForTheRegistry) {
  auto not_found = ParseHelperAnswer(kHelper, 1, "credentials not found in native keychain\n", "s");
  ASSERT_TRUE(not_found.ok());
  EXPECT_FALSE(not_found->has_value());
  auto empty = ParseHelperAnswer(kHelper, 0, R"({"ServerURL":"x","Username":"","Secret":""})", "s");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

TEST(ParseHelperAnswerTest, FailuresAndGarbage) {
  auto failed = ParseHelperAnswer(kHelper, 2, "cannot unlock the keyring\n", "s");
  ASSERT_TRUE(absl::IsUnavailable(failed.status()));
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("docker-credential-test failed (exit code 2): cannot unlock the keyring"));
  auto long_failure = ParseHelperAnswer(kHelper, 1, std::string(5000, 'x'), "s");
  EXPECT_LT(long_failure.status().message().size(), 400u);

  for (const char* garbage : {"", "not json", "[1,2]", R"({"Username":1,"Secret":"s3cret"})",
                              R"({"Username":"u","Secret":["s3cret"]})"}) {
    auto bad = ParseHelperAnswer(kHelper, 0, garbage, "s");
    EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << garbage;
    EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("s3cret")));
  }
}

// The real thing: a helper program found in $PATH, fed the host on stdin.
TEST(CredentialsFromHelperTest, RunsTheProgramFromPath) {
  char dir[] = "/tmp/crio-helper-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::filesystem::path helper = std::filesystem::path(dir) / "docker-credential-unit";
  std::ofstream(helper) << "#!/bin/sh\n[ \"$1\" = get ] || exit 9\nhost=$(cat)\n"
                           "printf '{\"Username\":\"%s-user\",\"Secret\":\"pw\"}' \"$host\"\n";
  ::chmod(helper.c_str(), 0755);
  std::string old_path = std::getenv("PATH");
  ::setenv("PATH", (std::string(dir) + ":" + old_path).c_str(), 1);

  auto found = CredentialsFromHelper("unit", "quay.io", "the test");
  auto missing = CredentialsFromHelper("absent", "quay.io", "the test");
  // A helper that never answers is killed after the timeout.
  std::ofstream(std::filesystem::path(dir) / "docker-credential-slow") << "#!/bin/sh\nsleep 30\n";
  ::chmod((std::filesystem::path(dir) / "docker-credential-slow").c_str(), 0755);
  auto slow = CredentialsFromHelper("slow", "quay.io", "the test", absl::Milliseconds(300));

  ::setenv("PATH", old_path.c_str(), 1);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->username, "quay.io-user");
  EXPECT_EQ((*found)->source, "credential helper docker-credential-unit (the test)");
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status())) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("docker-credential-absent"));
  EXPECT_FALSE(slow.ok());
  EXPECT_THAT(std::string(slow.status().message()), HasSubstr("docker-credential-slow"));
}

}  // namespace
}  // namespace crio::image
