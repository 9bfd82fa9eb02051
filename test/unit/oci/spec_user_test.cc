#include "crio/oci/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "broken line\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n"
    "web:x:33:33::/var/www:/bin/sh\n"
    "nohome:x:1500:1500::\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "app:x:1000:\n"
    "staff:x:50:app,web\n"
    "audio:x:29:app\n"
    "www-data:x:33:\n";

class UserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = dir_ / "rootfs";
    WriteFile(rootfs_ / "etc/passwd", kPasswd);
    WriteFile(rootfs_ / "etc/group", kGroup);
  }

  ResolvedUser Resolve(const std::string& image_user) {
    absl::StatusOr<ResolvedUser> user = ResolveUser(rootfs_, sc_, image_user);
    EXPECT_TRUE(user.ok()) << user.status();
    return user.ok() ? *user : ResolvedUser{};
  }

  ::crio::testing::ScratchDir scratch_{"crio-spec-user"};
  const fs::path dir_ = scratch_.path();
  fs::path rootfs_;
  runtime::v1::LinuxContainerSecurityContext sc_;
};

TEST_F(UserTest, NoUserAnywhereIsRoot) {
  ResolvedUser user = Resolve("");
  EXPECT_EQ(user.uid, 0u);
  EXPECT_EQ(user.gid, 0u);
  EXPECT_EQ(user.home, "/root");
  EXPECT_THAT(user.additional_gids, ElementsAre(0u));
}

TEST_F(UserTest, NameFromTheImage) {
  ResolvedUser user = Resolve("app");
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 1000u);
  EXPECT_EQ(user.home, "/home/app");
  // Merge (the default): the primary group, then every group listing the user.
  EXPECT_THAT(user.additional_gids, ElementsAre(1000u, 50u, 29u));
}

TEST_F(UserTest, NumericUidUsesItsPasswdEntryOrGroupZero) {
  ResolvedUser user = Resolve("33");
  EXPECT_EQ(user.uid, 33u);
  EXPECT_EQ(user.gid, 33u);
  EXPECT_EQ(user.home, "/var/www");
  EXPECT_THAT(user.additional_gids, ElementsAre(33u, 50u));

  user = Resolve("4242");
  EXPECT_EQ(user.uid, 4242u);
  EXPECT_EQ(user.gid, 0u);
  EXPECT_EQ(user.home, "/");
  EXPECT_THAT(user.additional_gids, ElementsAre(0u));
}

TEST_F(UserTest, UserAndGroupForms) {
  ResolvedUser user = Resolve("4242:4343");
  EXPECT_EQ(user.uid, 4242u);
  EXPECT_EQ(user.gid, 4343u);

  user = Resolve("app:staff");
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 50u);
  EXPECT_EQ(user.additional_gids.front(), 50u);

  user = Resolve("4242:audio");
  EXPECT_EQ(user.uid, 4242u);
  EXPECT_EQ(user.gid, 29u);

  user = Resolve("app:7");
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 7u);
}

TEST_F(UserTest, MissingUserOrGroupFailsNamingIt) {
  absl::StatusOr<ResolvedUser> user = ResolveUser(rootfs_, sc_, "ghost");
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(user.status().message()), HasSubstr("\"ghost\""));

  user = ResolveUser(rootfs_, sc_, "app:phantoms");
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(user.status().message()), HasSubstr("\"phantoms\""));
}

TEST_F(UserTest, CriFieldsWinOverTheImage) {
  sc_.mutable_run_as_user()->set_value(1000);
  ResolvedUser user = Resolve("web:staff");  // the image's group goes with its user
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 1000u);

  sc_.mutable_run_as_group()->set_value(29);
  user = Resolve("web:staff");
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 29u);

  sc_.clear_run_as_user();
  sc_.clear_run_as_group();
  sc_.set_run_as_username("web");
  user = Resolve("app");
  EXPECT_EQ(user.uid, 33u);
  EXPECT_EQ(user.gid, 33u);

  // run_as_group alone changes the image user's group.
  sc_.clear_run_as_username();
  sc_.mutable_run_as_group()->set_value(5);
  user = Resolve("app:staff");
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, 5u);

  sc_.clear_run_as_group();
  sc_.mutable_run_as_user()->set_value(-1);
  EXPECT_EQ(ResolveUser(rootfs_, sc_, "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(UserTest, SupplementalGroupsMergeVersusStrict) {
  sc_.add_supplemental_groups(3000);
  sc_.add_supplemental_groups(50);  // already there from /etc/group: once
  ResolvedUser user = Resolve("app");
  EXPECT_THAT(user.additional_gids, ElementsAre(1000u, 50u, 29u, 3000u));

  sc_.set_supplemental_groups_policy(runtime::v1::Strict);
  user = Resolve("app");
  EXPECT_THAT(user.additional_gids, ElementsAre(1000u, 3000u, 50u));

  sc_.add_supplemental_groups(-5);
  EXPECT_EQ(ResolveUser(rootfs_, sc_, "app").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(UserTest, AnImageWithoutPasswdStillRunsNumericUsers) {
  fs::remove(rootfs_ / "etc/passwd");
  fs::remove(rootfs_ / "etc/group");
  ResolvedUser user = Resolve("1234:99");
  EXPECT_EQ(user.uid, 1234u);
  EXPECT_EQ(user.gid, 99u);
  EXPECT_EQ(ResolveUser(rootfs_, sc_, "app").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(UserTest, AbsoluteSymlinkedPasswdResolvesInsideTheRootfs) {
  // The link names a host path; the decoy there must never be read, only its twin in the rootfs.
  fs::path decoy = dir_ / "decoy/passwd";
  WriteFile(decoy, "app:x:6666:6666:decoy:/decoy:/bin/sh\n");
  WriteFile(dir_ / "decoy/group", "staff:x:6666:app\n");
  WriteFile(rootfs_ / decoy.relative_path(), "app:x:2000:2001:inside:/inside:/bin/sh\n");
  WriteFile(rootfs_ / (dir_ / "decoy/group").relative_path(), "grp:x:2001:\nextra:x:77:app\n");
  fs::remove(rootfs_ / "etc/passwd");
  fs::remove(rootfs_ / "etc/group");
  fs::create_symlink(decoy, rootfs_ / "etc/passwd");
  fs::create_symlink(dir_ / "decoy/group", rootfs_ / "etc/group");

  ResolvedUser user = Resolve("app");
  EXPECT_EQ(user.uid, 2000u);
  EXPECT_EQ(user.gid, 2001u);
  EXPECT_EQ(user.home, "/inside");
  EXPECT_THAT(user.additional_gids, ElementsAre(2001u, 77u));
}

TEST_F(UserTest, RelativeSymlinkCannotClimbOutOfTheRootfs) {
  WriteFile(dir_ / "passwd", "app:x:6666:6666::/decoy:/bin/sh\n");
  fs::remove(rootfs_ / "etc/passwd");
  fs::create_symlink("../../../../../../passwd", rootfs_ / "etc/passwd");
  // Clamped at the rootfs' "/": <rootfs>/passwd, which does not exist, so the name is unknown.
  EXPECT_EQ(ResolveUser(rootfs_, sc_, "app").status().code(), absl::StatusCode::kInvalidArgument);
  WriteFile(rootfs_ / "passwd", "app:x:3000:3000::/in:/bin/sh\n");
  EXPECT_EQ(Resolve("app").uid, 3000u);
}

TEST_F(UserTest, ResolveInRootKeepsEverythingBelowTheRoot) {
  fs::create_directories(rootfs_ / "real/dir");
  fs::create_symlink("/real", rootfs_ / "abs");
  fs::create_symlink("../../real", rootfs_ / "real/dir/up");
  fs::create_symlink("loop2", rootfs_ / "loop1");
  fs::create_symlink("loop1", rootfs_ / "loop2");

  EXPECT_EQ(*ResolveInRoot(rootfs_, "/abs/dir"), rootfs_ / "real/dir");
  EXPECT_EQ(*ResolveInRoot(rootfs_, "abs/dir/up/dir"), rootfs_ / "real/dir");
  EXPECT_EQ(*ResolveInRoot(rootfs_, "/../../etc/./passwd"), rootfs_ / "etc/passwd");
  EXPECT_EQ(*ResolveInRoot(rootfs_, "/abs/missing/x"), rootfs_ / "real/missing/x");
  EXPECT_EQ(*ResolveInRoot(rootfs_, "/"), rootfs_);
  EXPECT_EQ(ResolveInRoot(rootfs_, "/loop1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(UserTest, ReadFileInRoot) {
  EXPECT_EQ(*ReadFileInRoot(rootfs_, "/etc/group"), kGroup);
  EXPECT_EQ(ReadFileInRoot(rootfs_, "/etc/shadow").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFileInRoot(rootfs_, "/etc").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(::mkfifo((rootfs_ / "etc/fifo").c_str(), 0600), 0);
  EXPECT_EQ(ReadFileInRoot(rootfs_, "/etc/fifo").status().code(),
            absl::StatusCode::kFailedPrecondition);  // refused, not hung on
}

TEST_F(UserTest, MkdirAllInRootOwnsOnlyWhatItCreates) {
  fs::create_symlink("/var/lib", rootfs_ / "lib");
  fs::create_directories(rootfs_ / "var");
  ASSERT_TRUE(MkdirAllInRoot(rootfs_, "/lib/app/data", 1000, 1001).ok());
  struct stat st {};
  ASSERT_EQ(::stat((rootfs_ / "var/lib/app/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  ASSERT_EQ(::stat((rootfs_ / "var").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_FALSE(fs::exists("/var/lib/app/data"));

  WriteFile(rootfs_ / "file", "x");
  EXPECT_EQ(MkdirAllInRoot(rootfs_, "/file/sub", 0, 0).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace crio::oci
