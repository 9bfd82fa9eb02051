#include "crio/oci/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crio/common/atomic_file.h"
#include "crio/common/mountinfo.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::oci {
namespace {

absl::Status WriteValue(const std::filesystem::path& file, std::string_view value) {
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid() ||
      ::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return absl::InternalError(
        StrCat("write ", value, " to ", file.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string Trimmed(const std::filesystem::path& file) {
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) return "";
  std::string value = *text;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

// A new v1 cpuset cgroup starts with no CPUs and no memory nodes, and no process may join it
// until it has some: give each new level its parent's.
void InheritCpuset(const std::filesystem::path& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (!std::filesystem::exists(dir / file) || !Trimmed(dir / file).empty()) continue;
    (void)WriteValue(dir / file, Trimmed(dir.parent_path() / file));
  }
}

}  // namespace

std::vector<std::filesystem::path> CgroupHierarchies() {
  std::vector<std::filesystem::path> hierarchies;
  absl::StatusOr<std::vector<MountInfoEntry>> mounts = ReadMountInfo();
  if (!mounts.ok()) return hierarchies;
  for (const MountInfoEntry& mount : *mounts) {
    if (mount.fs_type == "cgroup" || mount.fs_type == "cgroup2") {
      hierarchies.emplace_back(mount.mount_point);
    }
  }
  return hierarchies;
}

absl::Status MoveToCgroup(pid_t pid, const std::string& path) {
  std::vector<std::string_view> parts = StrSplit(path, '/', /*skip_empty=*/true);
  for (const std::filesystem::path& hierarchy : CgroupHierarchies()) {
    std::filesystem::path dir = hierarchy;
    for (std::string_view part : parts) {
      dir /= std::string(part);
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::InternalError(
            StrCat("create cgroup ", dir.string(), ": ", std::strerror(errno)));
      }
      InheritCpuset(dir);
    }
    if (auto status = WriteValue(dir / "cgroup.procs", std::to_string(pid)); !status.ok())
      return status;
  }
  return absl::OkStatus();
}

absl::Status RemoveCgroup(const std::string& path) {
  for (const std::filesystem::path& hierarchy : CgroupHierarchies()) {
    std::filesystem::path dir = hierarchy / std::filesystem::path(path).relative_path();
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      return absl::FailedPreconditionError(
          StrCat("remove cgroup ", dir.string(), ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace crio::oci
