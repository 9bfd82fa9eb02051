#include "crio/image/auth_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "crio/common/encoding.h"

namespace crio::image {
namespace {

class AuthFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/crio-auth-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return dir_ / name;
  }
  static Reference Ref(const std::string& text) { return *ParseNormalizedReference(text); }
  static std::string Auth(const std::string& user_password) {
    return "{\"auth\":\"" + Base64Encode(user_password) + "\"}";
  }

  std::filesystem::path dir_;
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
  auto token = CredentialsFromFile(
      Write("token.json", "{\"auths\":{\"quay.io\":{\"identitytoken\":\"secret-token\"}}}"),
      Ref("quay.io/a"));
  EXPECT_TRUE(absl::IsUnimplemented(token.status()));
  EXPECT_EQ(token.status().message().find("secret-token"), std::string::npos);
  auto helper = CredentialsFromFile(
      Write("helper.json", "{\"credHelpers\":{\"quay.io\":\"secretservice\"}}"), Ref("quay.io/a"));
  EXPECT_TRUE(absl::IsUnimplemented(helper.status()));
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

}  // namespace
}  // namespace crio::image
