#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace crio {

// One line of /proc/<pid>/mountinfo, the fields the daemon looks at.
struct MountInfoEntry {
  std::string mount_point;      // octal escapes (\040 for a space, ...) undone
  std::string optional_fields;  // "shared:N master:M ...", space separated; empty when none
  std::string fs_type;
};

// The lines of `text` (mountinfo's format), in the file's order: later mounts sit on top of
// earlier ones at the same point. Malformed lines are skipped.
std::vector<MountInfoEntry> ParseMountInfo(std::string_view text);

// ParseMountInfo of the file at `path`.
absl::StatusOr<std::vector<MountInfoEntry>> ReadMountInfo(
    const std::filesystem::path& path = "/proc/self/mountinfo");

// Detaches (MNT_DETACH) every mount of this namespace at or below `dir`, deepest first, so that
// removing the directory next can never reach into what was mounted there (a volume, say). An
// error when any of them stays.
absl::Status DetachMountsBelow(const std::filesystem::path& dir);

}  // namespace crio
