// The container's user, and safe access to files inside the rootfs.

#include "crio/oci/spec.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;

// /etc/passwd and /etc/group are small; a huge one is an attack on the daemon's memory.
constexpr size_t kMaxRootfsFileSize = 16 << 20;
// Linux gives up after 40 links in one lookup; we allow more, as the walk restarts per component.
constexpr int kMaxSymlinks = 255;

absl::Status ErrnoStatus(int err, std::string_view what) {
  std::string message = StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ELOOP:
    case ENOTDIR:
    case EISDIR:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

void PushComponents(std::deque<std::string>& pending, std::string_view path) {
  std::vector<std::string_view> parts = StrSplit(path, '/', /*skip_empty=*/true);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.emplace_front(*it);
}

fs::path Join(const fs::path& root, const std::vector<std::string>& parts) {
  fs::path out = root;
  for (const auto& part : parts) out /= part;
  return out;
}

// Opens `path` below `root` with the kernel doing the confinement. Returns -1 with errno ENOSYS
// when openat2 is unavailable (kernels before 5.6, or a seccomp filter that hides it).
int OpenAt2InRoot(int root_fd, const std::string& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = -1;
  // The kernel answers EAGAIN when a rename or mount raced the confined lookup; it is safe to
  // retry.
  for (int attempt = 0; attempt < 16; ++attempt) {
    fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) break;
  }
  if (fd < 0 && errno == EPERM) errno = ENOSYS;  // what seccomp filters answer for new syscalls
  return static_cast<int>(fd);
}

bool ParseId(std::string_view text, uint32_t* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Lines that do not parse are skipped, as libc's lookups skip them.
std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> entries;
  for (std::string_view line : StrSplit(text, '\n', true)) {
    if (line.front() == '#') continue;
    std::vector<std::string_view> f = StrSplit(line, ':');
    PasswdEntry e;
    if (f.size() < 4 || f[0].empty() || !ParseId(f[2], &e.uid) || !ParseId(f[3], &e.gid)) continue;
    e.name = f[0];
    if (f.size() > 5) e.home = f[5];
    entries.push_back(std::move(e));
  }
  return entries;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> entries;
  for (std::string_view line : StrSplit(text, '\n', true)) {
    if (line.front() == '#') continue;
    std::vector<std::string_view> f = StrSplit(line, ':');
    GroupEntry e;
    if (f.size() < 3 || f[0].empty() || !ParseId(f[2], &e.gid)) continue;
    e.name = f[0];
    if (f.size() > 3) {
      for (std::string_view m : StrSplit(f[3], ',', true)) e.members.emplace_back(m);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

// An image without the file has no names to offer; that is not an error until a name is needed.
absl::StatusOr<std::string> ReadOptional(const fs::path& rootfs, const char* path) {
  absl::StatusOr<std::string> text = ReadFileInRoot(rootfs, path);
  if (absl::IsNotFound(text.status())) return std::string();
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        StrCat("reading the image's ", path, ": ", text.status().message()));
  }
  return text;
}

absl::StatusOr<uint32_t> CriId(int64_t value, const char* what) {
  // (uint32_t)-1 means "no change" to the kernel, so it is no id either.
  if (value < 0 || value >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(StrCat(what, " ", value, " is out of range"));
  }
  return static_cast<uint32_t>(value);
}

}  // namespace

absl::StatusOr<fs::path> ResolveInRoot(const fs::path& root, const std::string& path) {
  std::deque<std::string> pending;
  PushComponents(pending, path);
  std::vector<std::string> resolved;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      // ".." at the root stays at the root, as it does for "/".
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    fs::path candidate = Join(root, resolved) / part;
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        resolved.push_back(std::move(part));
        continue;
      }
      return ErrnoStatus(errno, StrCat("lstat ", candidate.string()));
    }
    if (!S_ISLNK(st.st_mode)) {
      resolved.push_back(std::move(part));
      continue;
    }
    if (++links > kMaxSymlinks) {
      return absl::FailedPreconditionError(
          StrCat("too many symbolic links resolving ", path, " in ", root.string()));
    }
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlink(candidate.c_str(), target.data(), target.size());
    if (n < 0) return ErrnoStatus(errno, StrCat("readlink ", candidate.string()));
    target.resize(static_cast<size_t>(n));
    // An absolute target is relative to the rootfs: the container will see it that way.
    if (!target.empty() && target.front() == '/') resolved.clear();
    PushComponents(pending, target);
  }
  return Join(root, resolved);
}

absl::StatusOr<std::string> ReadFileInRoot(const fs::path& root, const std::string& path) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return ErrnoStatus(errno, StrCat("open ", root.string()));
  // O_NONBLOCK: a FIFO planted in the image must not hang the daemon.
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  UniqueFd fd(OpenAt2InRoot(root_fd.get(), path, flags));
  if (!fd.valid() && errno == ENOSYS) {
    absl::StatusOr<fs::path> resolved = ResolveInRoot(root, path);
    if (!resolved.ok()) return resolved.status();
    fd.Reset(::open(resolved->c_str(), flags | O_NOFOLLOW));
  }
  if (!fd.valid()) return ErrnoStatus(errno, StrCat("open ", path, " in ", root.string()));

  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, StrCat("stat ", path));
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        StrCat(path, " in ", root.string(), " is not a regular file"));
  }
  std::string content;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, StrCat("read ", path));
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxRootfsFileSize) {
      return absl::FailedPreconditionError(StrCat(path, " in ", root.string(), " is too large"));
    }
  }
  return content;
}

absl::Status MkdirAllInRoot(const fs::path& root, const std::string& path, uint32_t uid,
                            uint32_t gid) {
  absl::StatusOr<fs::path> resolved = ResolveInRoot(root, path);
  if (!resolved.ok()) return resolved.status();
  fs::path current = root;
  for (const auto& part : resolved->lexically_relative(root)) {
    if (part == ".") continue;
    current /= part;
    if (::mkdir(current.c_str(), 0755) == 0) {
      // mkdir's mode went through our umask; the container gets exactly 0755.
      if (::chmod(current.c_str(), 0755) != 0 || ::lchown(current.c_str(), uid, gid) != 0) {
        return ErrnoStatus(errno, StrCat("setting up ", current.string()));
      }
      continue;
    }
    if (errno != EEXIST) return ErrnoStatus(errno, StrCat("mkdir ", current.string()));
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0)
      return ErrnoStatus(errno, StrCat("lstat ", current.string()));
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(StrCat(current.string(), " is not a directory"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ResolvedUser> ResolveUser(const fs::path& rootfs,
                                         const runtime::v1::LinuxContainerSecurityContext& sc,
                                         const std::string& image_user) {
  // The CRI fields win over the image's User as a whole: run_as_user drops the image's group too.
  std::string user_part;
  std::string group_part;
  if (sc.has_run_as_user()) {
    absl::StatusOr<uint32_t> uid = CriId(sc.run_as_user().value(), "run_as_user");
    if (!uid.ok()) return uid.status();
    user_part = std::to_string(*uid);
  } else if (!sc.run_as_username().empty()) {
    user_part = sc.run_as_username();
  } else {
    size_t colon = image_user.find(':');
    user_part = image_user.substr(0, colon);
    if (colon != std::string::npos) group_part = image_user.substr(colon + 1);
  }
  if (sc.has_run_as_group()) {
    absl::StatusOr<uint32_t> gid = CriId(sc.run_as_group().value(), "run_as_group");
    if (!gid.ok()) return gid.status();
    group_part = std::to_string(*gid);
  }

  absl::StatusOr<std::string> passwd_text = ReadOptional(rootfs, "/etc/passwd");
  if (!passwd_text.ok()) return passwd_text.status();
  std::vector<PasswdEntry> passwd = ParsePasswd(*passwd_text);

  ResolvedUser out;
  const PasswdEntry* entry = nullptr;
  if (user_part.empty() || ParseId(user_part, &out.uid)) {
    for (const auto& e : passwd) {
      if (e.uid == out.uid) {
        entry = &e;
        break;
      }
    }
  } else {
    for (const auto& e : passwd) {
      if (e.name == user_part) {
        entry = &e;
        break;
      }
    }
    if (entry == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("user \"", user_part, "\" not found in the image's /etc/passwd"));
    }
    out.uid = entry->uid;
  }
  if (entry != nullptr) {
    out.gid = entry->gid;
    if (!entry->home.empty()) out.home = entry->home;
  }

  bool group_is_name = false;
  if (!group_part.empty()) {
    uint32_t gid = 0;
    if (ParseId(group_part, &gid)) {
      out.gid = gid;
    } else {
      group_is_name = true;
    }
  }
  // Strict: the pod spec alone decides, whatever the image's /etc/group says.
  bool merge_image_groups =
      entry != nullptr && sc.supplemental_groups_policy() != runtime::v1::Strict;

  std::vector<GroupEntry> groups;
  if (group_is_name || merge_image_groups) {
    absl::StatusOr<std::string> group_text = ReadOptional(rootfs, "/etc/group");
    if (!group_text.ok()) return group_text.status();
    groups = ParseGroup(*group_text);
  }
  if (group_is_name) {
    const GroupEntry* group = nullptr;
    for (const auto& g : groups) {
      if (g.name == group_part) {
        group = &g;
        break;
      }
    }
    if (group == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("group \"", group_part, "\" not found in the image's /etc/group"));
    }
    out.gid = group->gid;
  }

  auto add_gid = [&out](uint32_t gid) {
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), gid) ==
        out.additional_gids.end()) {
      out.additional_gids.push_back(gid);
    }
  };
  add_gid(out.gid);
  if (merge_image_groups) {
    for (const auto& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end()) {
        add_gid(g.gid);
      }
    }
  }
  for (int64_t value : sc.supplemental_groups()) {
    absl::StatusOr<uint32_t> gid = CriId(value, "supplemental group");
    if (!gid.ok()) return gid.status();
    add_gid(*gid);
  }
  return out;
}

}  // namespace crio::oci
