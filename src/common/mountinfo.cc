#include "crio/common/mountinfo.h"

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"

namespace crio {
namespace {

// The kernel escapes space, tab, newline and backslash in paths as a backslash and three octal
// digits.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      std::string_view digits = text.substr(i + 1, 3);
      if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out.push_back(
            static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::vector<MountInfoEntry> ParseMountInfo(std::string_view text) {
  std::vector<MountInfoEntry> entries;
  for (std::string_view line : StrSplit(text, '\n', /*skip_empty=*/true)) {
    // ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    std::vector<std::string_view> fields = StrSplit(line, ' ', /*skip_empty=*/true);
    auto separator = std::find(fields.begin(), fields.end(), "-");
    if (separator == fields.end() || separator - fields.begin() < 6 ||
        separator + 1 == fields.end()) {
      continue;
    }
    MountInfoEntry entry;
    entry.mount_point = Unescape(fields[4]);
    for (auto it = fields.begin() + 6; it != separator; ++it) {
      if (!entry.optional_fields.empty()) entry.optional_fields.push_back(' ');
      entry.optional_fields.append(*it);
    }
    entry.fs_type = std::string(*(separator + 1));
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::vector<MountInfoEntry>> ReadMountInfo(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseMountInfo(*text);
}

absl::Status DetachMountsBelow(const std::filesystem::path& dir) {
  absl::StatusOr<std::vector<MountInfoEntry>> mounts = ReadMountInfo();
  if (!mounts.ok()) return mounts.status();
  std::string prefix = dir.string() + "/";
  std::vector<std::string> below;
  for (MountInfoEntry& mount : *mounts) {
    if (mount.mount_point == dir.string() || mount.mount_point.starts_with(prefix)) {
      below.push_back(std::move(mount.mount_point));
    }
  }
  std::sort(below.begin(), below.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  absl::Status result;
  for (const std::string& point : below) {
    if (::umount2(point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT &&
        result.ok()) {
      result = absl::InternalError(StrCat("detaching ", point, ": ", std::strerror(errno)));
    }
  }
  return result;
}

}  // namespace crio
