// Idmapped mounts (Linux 5.12+) through the new mount API; only <linux/mount.h> is included,
// as glibc 2.36's <sys/mount.h> redefines the same names.
#include "crio/storage/idmapped_mount.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::storage {
namespace {

absl::Status Errno(std::string_view what, const std::filesystem::path& path) {
  int error = errno;
  return absl::InternalError(StrCat(what, " ", path.string(), ": ", std::strerror(error)));
}

}  // namespace

absl::Status AttachIdmappedClone(const std::filesystem::path& source,
                                 const std::filesystem::path& target, int userns_fd,
                                 bool recursive) {
  const unsigned int recurse = recursive ? AT_RECURSIVE : 0;
  UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(),
                                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recurse)));
  if (!tree.valid()) return Errno("cloning", source);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | recurse, &attr, sizeof(attr)) !=
      0) {
    return Errno("idmapping a clone of", source);
  }
  if (::syscall(SYS_move_mount, tree.get(), "", AT_FDCWD, target.c_str(),
                MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return Errno("attaching an idmapped clone at", target);
  }
  return absl::OkStatus();
}

}  // namespace crio::storage
