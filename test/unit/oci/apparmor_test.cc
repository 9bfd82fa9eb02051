// The default AppArmor profile compiled by the real apparmor_parser (-Q: everything but the kernel
// load, which needs an AppArmor host), and the decisions around loading it.
#include "crio/oci/apparmor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const AppArmorParser kCompileOnly{.binary = "apparmor_parser", .extra_args = {"-Q"}};
const AppArmorParser kMissingParser{.binary = "/nonexistent/apparmor_parser"};

class AppArmorTest : public ::testing::Test {
 protected:
  // A stand-in for /sys/kernel/security/apparmor/profiles listing `content`.
  fs::path Profiles(const std::string& content) {
    fs::path path = dir_ / "profiles";
    std::ofstream(path) << content;
    return path;
  }

  ::crio::testing::ScratchDir scratch_{"crio-apparmor"};
  const fs::path dir_ = scratch_.path();
};

TEST_F(AppArmorTest, DefaultProfileCompiles) {
  std::string text = RenderDefaultAppArmorProfile(kDefaultAppArmorProfile);
  EXPECT_THAT(text, HasSubstr("profile crio-default flags=(attach_disconnected,mediate_deleted)"));
  EXPECT_THAT(text, HasSubstr("deny mount,"));
  EXPECT_THAT(text, HasSubstr("deny /sys/kernel/security/** rwklx,"));
  absl::Status compiled = LoadAppArmorProfile(text, kCompileOnly);
  EXPECT_TRUE(compiled.ok()) << compiled;
}

TEST_F(AppArmorTest, ProfileNameIsUsedForItsPeers) {
  std::string text = RenderDefaultAppArmorProfile("site-default");
  EXPECT_THAT(text, HasSubstr("profile site-default "));
  EXPECT_THAT(text, HasSubstr("signal (send,receive) peer=site-default,"));
  EXPECT_THAT(text, HasSubstr("ptrace (trace,read,tracedby,readby) peer=site-default,"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("crio-default")));
  EXPECT_TRUE(LoadAppArmorProfile(text, kCompileOnly).ok());
}

TEST_F(AppArmorTest, ParserErrorsComeBackInTheStatus) {
  absl::Status status = LoadAppArmorProfile("profile broken { no such rule, }\n", kCompileOnly);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("apparmor_parser failed"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("syntax error"));
  EXPECT_FALSE(LoadAppArmorProfile("profile x {}\n", kMissingParser).ok());
}

TEST_F(AppArmorTest, LoadedProfilesAreReadByName) {
  fs::path profiles =
      Profiles("crio-default (enforce)\nnvidia tools (complain)\n/usr/bin/man (enforce)\n");
  EXPECT_TRUE(*AppArmorProfileLoaded("crio-default", profiles));
  EXPECT_TRUE(*AppArmorProfileLoaded("nvidia tools", profiles));
  EXPECT_TRUE(*AppArmorProfileLoaded("/usr/bin/man", profiles));
  EXPECT_FALSE(*AppArmorProfileLoaded("crio", profiles));
  EXPECT_FALSE(*AppArmorProfileLoaded("enforce", profiles));
  EXPECT_EQ(AppArmorProfileLoaded("crio-default", dir_ / "missing").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AppArmorTest, EnsureLoadsOnlyTheDefaultAndOnlyWhenMissing) {
  // Already loaded: the parser is not even needed.
  EXPECT_TRUE(
      EnsureAppArmorProfile("crio-default", kMissingParser, Profiles("crio-default (enforce)\n"))
          .ok());
  // Missing: compiled and loaded (here: compiled only).
  fs::path none = Profiles("docker-default (enforce)\n");
  EXPECT_TRUE(EnsureAppArmorProfile("crio-default", kCompileOnly, none).ok());
  absl::Status failed = EnsureAppArmorProfile("crio-default", kMissingParser, none);
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.message()), HasSubstr("loading the AppArmor profile"));
  // Another name is the administrator's to load.
  absl::Status other = EnsureAppArmorProfile("site-profile", kCompileOnly, none);
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other.message()), HasSubstr("\"site-profile\" is not loaded"));
  EXPECT_TRUE(
      EnsureAppArmorProfile("site-profile", kMissingParser, Profiles("site-profile (enforce)\n"))
          .ok());
  EXPECT_TRUE(EnsureAppArmorProfile("unconfined", kMissingParser, dir_ / "missing").ok());
}

TEST_F(AppArmorTest, HostsWithoutAppArmorNeedNothing) {
  EXPECT_TRUE(PrepareAppArmor("crio-default", /*host_has_apparmor=*/false).ok());
  EXPECT_TRUE(PrepareAppArmor("anything", /*host_has_apparmor=*/false).ok());
}

}  // namespace
}  // namespace crio::oci
