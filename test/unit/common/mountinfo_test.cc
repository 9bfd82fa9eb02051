#include "crio/common/mountinfo.h"

#include <gtest/gtest.h>

namespace crio {
namespace {

TEST(MountInfoTest, ReadsPointsOptionalFieldsAndTypes) {
  std::vector<MountInfoEntry> entries = ParseMountInfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "30 22 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
      "41 22 0:45 / /mnt/with\\040space\\134x rw master:7 shared:9 - tmpfs tmpfs rw\n"
      "garbage without a separator\n"
      "50 22 0:46 / /short rw\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].mount_point, "/");
  EXPECT_EQ(entries[0].optional_fields, "shared:1");
  EXPECT_EQ(entries[0].fs_type, "ext4");
  EXPECT_EQ(entries[1].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(entries[1].optional_fields, "");
  EXPECT_EQ(entries[1].fs_type, "cgroup");
  EXPECT_EQ(entries[2].mount_point, "/mnt/with space\\x");
  EXPECT_EQ(entries[2].optional_fields, "master:7 shared:9");
  EXPECT_EQ(entries[2].fs_type, "tmpfs");
}

TEST(MountInfoTest, AnEscapeCutShortAtTheEndStaysAsItIs) {
  std::vector<MountInfoEntry> entries = ParseMountInfo("1 0 0:1 / /a\\04 rw - tmpfs t rw\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].mount_point, "/a\\04");
}

TEST(MountInfoTest, ReadsThisProcesssOwnTable) {
  absl::StatusOr<std::vector<MountInfoEntry>> entries = ReadMountInfo();
  ASSERT_TRUE(entries.ok()) << entries.status();
  bool root = false;
  for (const MountInfoEntry& entry : *entries) root |= entry.mount_point == "/";
  EXPECT_TRUE(root);
  EXPECT_FALSE(ReadMountInfo("/nonexistent/mountinfo").ok());
}

}  // namespace
}  // namespace crio
