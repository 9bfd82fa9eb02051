#include "crio/image/auth_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "crio/common/encoding.h"

#include "scratch_dir.h"

namespace crio::image {
namespace {

class AuthFileTest : public ::testing::Test {
 protected:
  std::filesystem::path Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return dir_ / name;
  }
  static Reference Ref(const std::string& text) { return *ParseNormalizedReference(text); }
  static std::string Auth(const std::string& user_password) {
    return "{\"auth\":\"" + Base64Encode(user_password) + "\"}";
  }

  ::crio::testing::ScratchDir scratch_{"crio-auth"};
  const std::filesystem::path dir_ = scratch_.path();
};

TEST_F(AuthFileTest, MostSpecificKeyFirst) {
  std::filesystem::path file =
      Write("auth.json", "{\"auths\":{\"quay.io\":" + Auth("host:h") + ",\"quay.io/team\":" +
                             Auth("team:t") + ",\"quay.io/team/app\":" + Auth("app:a") + "}}");
  auto app = CredentialsFromFile(file, Ref("quay.io/team/app:1"));
  ASSERT_TRUE(app.ok() && app->has_value());
  EXPECT_EQ((*app)->username, "app");
  EXPECT_EQ((*app)->source, file.string());
  EXPECT_EQ((**CredentialsFromFile(file, Ref("quay.io/team/other:1"))).username, "team");
  EXPECT_EQ((**CredentialsFromFile(file, Ref("quay.io/else/x"))).password, "h");
  EXPECT_FALSE(CredentialsFromFile(file, Ref("ghcr.io/team/app"))->has_value());
}

TEST_F(AuthFileTest, DockerStyleKeysAndDockerHub) {
  std::filesystem::path file = Write(
      "config.json", "{\"auths\":{\"https://index.docker.io/v1/\":" + Auth("hub:p:with:colons") +
                         ",\"http://127.0.0.1:5000\":" + Auth("local:l") + "}}");
  auto hub = CredentialsFromFile(file, Ref("busybox"));
  ASSERT_TRUE(hub.ok() && hub->has_value());
  EXPECT_EQ((*hub)->username, "hub");
  EXPECT_EQ((*hub)->password, "p:with:colons");
  EXPECT_EQ((**CredentialsFromFile(file, Ref("127.0.0.1:5000/a/b:1"))).username, "local");
}

TEST_F(AuthFileTest, ProblemsNameTheFileAndNotTheSecret) {
  EXPECT_FALSE(CredentialsFromFile(dir_ / "missing.json", Ref("quay.io/a"))->has_value());
  auto bad = CredentialsFromFile(Write("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"!!\"}}}"),
                                 Ref("quay.io/a"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.json"), std::string::npos);
  // A credHelpers entry runs the helper: one that is not installed is an error naming it.
  auto helper = CredentialsFromFile(
      Write("helper.json", "{\"credHelpers\":{\"quay.io\":\"crio-no-such-helper\"}}"),
      Ref("quay.io/a"));
  EXPECT_TRUE(absl::IsFailedPrecondition(helper.status())) << helper.status();
  EXPECT_NE(helper.status().message().find("docker-credential-crio-no-such-helper"),
            std::string::npos);
  EXPECT_NE(helper.status().message().find("helper.json"), std::string::npos);
  auto not_a_name = CredentialsFromFile(Write("helper2.json", "{\"credHelpers\":{\"quay.io\":7}}"),
                                        Ref("quay.io/a"));
  EXPECT_TRUE(absl::IsInvalidArgument(not_a_name.status()));
  // Helpers for other hosts are not run.
  EXPECT_FALSE(CredentialsFromFile(dir_ / "helper.json", Ref("ghcr.io/a"))->has_value());
  EXPECT_FALSE(CredentialsFromFile(Write("notjson.json", "{"), Ref("quay.io/a")).ok());
  // docker's global credential store: no credentials from it, not an error.
  auto store =
      CredentialsFromFile(Write("store.json", "{\"credsStore\":\"desktop\"}"), Ref("quay.io/a"));
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(store->has_value());
}

TEST_F(AuthFileTest, SearchOrder) {
  EXPECT_EQ(AuthFilePaths("/etc/crio/auth.json"),
            std::vector<std::filesystem::path>{"/etc/crio/auth.json"});
  ::setenv("REGISTRY_AUTH_FILE", "/env/auth.json", 1);
  EXPECT_EQ(AuthFilePaths(""), std::vector<std::filesystem::path>{"/env/auth.json"});
  ::unsetenv("REGISTRY_AUTH_FILE");
  std::vector<std::filesystem::path> defaults = AuthFilePaths("");
  ASSERT_GE(defaults.size(), 3u);
  if (::geteuid() == 0) EXPECT_EQ(defaults[0], "/run/containers/0/auth.json");
  EXPECT_EQ(defaults[defaults.size() - 2].filename(), "config.json");
}

TEST_F(AuthFileTest, IdentityTokenComesWithItsAuth) {
  std::filesystem::path file =
      Write("token.json", "{\"auths\":{\"quay.io\":{\"auth\":\"" + Base64Encode("me:") +
                              "\",\"identitytoken\":\"refresh-1\"},\"ghcr.io\":{"
                              "\"identitytoken\":\"bare\"}}}");
  auto found = CredentialsFromFile(file, Ref("quay.io/a"));
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->username, "me");
  EXPECT_EQ((*found)->password, "");
  EXPECT_EQ((*found)->identity_token, "refresh-1");
  // Without "auth", containers/image ignores the token: so do we (with a warning).
  auto bare = CredentialsFromFile(file, Ref("ghcr.io/a"));
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->has_value());
}

}  // namespace
}  // namespace crio::image
