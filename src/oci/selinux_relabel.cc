// Relabeling a volume for a container: security.selinux on every file below it.
#include <sys/xattr.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "crio/common/strings.h"
#include "crio/oci/selinux.h"

namespace crio::oci {
namespace {

constexpr const char* kAttribute = "security.selinux";

// Directories whose relabeling would take the host apart (go-selinux refuses the same ones).
const std::set<std::string>& ProtectedPaths() {
  static const std::set<std::string> paths = {
      "/",           "/bin",     "/boot",    "/dev",      "/etc",       "/etc/passwd", "/etc/pki",
      "/etc/shadow", "/home",    "/lib",     "/lib64",    "/media",     "/opt",        "/proc",
      "/root",       "/run",     "/sbin",    "/srv",      "/sys",       "/tmp",        "/usr",
      "/var",        "/var/lib", "/var/log", "/var/mail", "/var/spool", "/var/tmp"};
  return paths;
}

// ENOTSUP: the filesystem keeps no labels (some FUSE and network ones), which is not our error.
absl::Status SetLabel(const std::filesystem::path& path, std::string_view label) {
  if (FileSelinuxLabel(path) == label) return absl::OkStatus();
  if (::lsetxattr(path.c_str(), kAttribute, label.data(), label.size(), 0) == 0 ||
      errno == ENOTSUP) {
    return absl::OkStatus();
  }
  return absl::InternalError(
      StrCat("labeling ", path.string(), " ", label, ": ", std::strerror(errno)));
}

}  // namespace

std::string FileSelinuxLabel(const std::filesystem::path& path) {
  char value[4096];
  ssize_t size = ::lgetxattr(path.c_str(), kAttribute, value, sizeof(value));
  if (size <= 0) return "";
  std::string label(value, static_cast<size_t>(size));
  // The kernel hands SELinux labels back NUL-terminated; what we wrote comes back as written.
  while (!label.empty() && label.back() == '\0') label.pop_back();
  return label;
}

absl::Status RelabelPath(const std::filesystem::path& path, std::string_view label, bool shared) {
  if (label.empty()) return absl::OkStatus();
  // What gets bind-mounted is where the host path leads, a symlink's target included: that is
  // what is labeled, and what must not be a system directory.
  std::error_code resolve_error;
  std::filesystem::path resolved = std::filesystem::canonical(path, resolve_error);
  if (resolve_error) resolved = path;
  std::string normal = resolved.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  bool is_protected = ProtectedPaths().contains(normal);
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    std::filesystem::path home_resolved = std::filesystem::canonical(home, resolve_error);
    if (resolve_error) home_resolved = home;
    std::string home_path = home_resolved.lexically_normal().string();
    while (home_path.size() > 1 && home_path.back() == '/') home_path.pop_back();
    is_protected = is_protected || normal == home_path;
  }
  if (is_protected) {
    return absl::InvalidArgumentError(
        StrCat("SELinux relabeling of ", normal, " is not allowed (a system directory)"));
  }
  absl::StatusOr<SelinuxContext> context = SelinuxContext::Parse(label);
  if (!context.ok()) return context.status();
  if (shared) context->level = "s0";
  std::string target = context->ToString();

  if (absl::Status top = SetLabel(normal, target); !top.ok()) return top;
  std::error_code error;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(normal, error))) {
    return absl::OkStatus();
  }
  // The iterator does not descend into symlinked directories, and lsetxattr labels a symlink
  // itself: nothing outside `path` is touched.
  std::filesystem::recursive_directory_iterator it(normal, error), end;
  for (; !error && it != end; it.increment(error)) {
    if (absl::Status set = SetLabel(it->path(), target); !set.ok()) return set;
  }
  if (error) {
    return absl::InternalError(StrCat("relabeling ", normal, ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace crio::oci
