// Layer extraction: libarchive parses the tar (fed from LayerStream, which decompresses and
// digests), and every entry is created with *at() calls relative to directories opened with
// openat2(RESOLVE_BENEATH), so no path, symlink or hard link can lead outside the layer.
#include "crio/storage/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "layer_stream.h"

namespace crio::storage {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

absl::Status EntryError(std::string_view entry, std::string_view problem) {
  return absl::InvalidArgumentError(StrCat("layer entry \"", entry, "\": ", problem));
}

absl::Status EntryErrno(std::string_view entry, std::string_view what) {
  return absl::InternalError(
      StrCat("layer entry \"", entry, "\": ", what, ": ", std::strerror(errno)));
}

int OpenBeneath(int root, const std::string& path, uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  // Symlinks may be followed only while they stay inside the layer; /proc magic links never.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof(how)));
}

// A tar path as the components of a path relative to the layer root; rejects what could leave it.
absl::StatusOr<std::vector<std::string>> SplitEntryPath(std::string_view path) {
  if (path.starts_with("/")) return EntryError(path, "absolute paths are not allowed in a layer");
  std::vector<std::string> parts;
  for (std::string_view part : StrSplit(path, '/', /*skip_empty=*/true)) {
    if (part == ".") continue;
    if (part == "..") return EntryError(path, "\"..\" would leave the layer");
    parts.emplace_back(part);
  }
  return parts;
}

std::string JoinPath(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

// libarchive pulls decompressed bytes from the LayerStream through this callback.
struct ReadContext {
  LayerStream* stream;
  std::vector<char> buffer = std::vector<char>(size_t{128} * 1024);
  absl::Status error;
};

la_ssize_t ReadCallback(struct archive* archive, void* opaque, const void** block) {
  auto* context = static_cast<ReadContext*>(opaque);
  absl::StatusOr<size_t> n = context->stream->Read(context->buffer.data(), context->buffer.size());
  if (!n.ok()) {
    context->error = n.status();
    archive_set_error(archive, EIO, "%s", std::string(n.status().message()).c_str());
    return -1;
  }
  *block = context->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

struct DeferredDirTimes {
  std::string path;  // relative to the root
  timespec times[2];
};

class Extractor {
 public:
  Extractor(int root, struct archive* archive) : root_(root), archive_(archive) {}

  absl::Status Apply(struct archive_entry* entry);
  // Directory times last, since creating their children changed them.
  absl::Status Finish();

 private:
  // Opens (creating missing directories when `create`) the directory at parts[0..count).
  absl::StatusOr<UniqueFd> OpenDir(const std::vector<std::string>& parts, size_t count,
                                   std::string_view entry, bool create);
  absl::Status RemoveExisting(int parent, const std::string& name, bool keep_directory,
                              std::string_view entry);
  absl::Status WriteData(int fd, std::string_view entry);
  absl::Status SetMetadata(int parent, const std::string& name, int fd, struct archive_entry* entry,
                           std::string_view path);

  int root_;
  struct archive* archive_;
  std::vector<DeferredDirTimes> dir_times_;

 public:
  std::set<uint32_t> uids_;
  std::set<uint32_t> gids_;
};

absl::StatusOr<UniqueFd> Extractor::OpenDir(const std::vector<std::string>& parts, size_t count,
                                            std::string_view entry, bool create) {
  UniqueFd dir(::fcntl(root_, F_DUPFD_CLOEXEC, 3));
  for (size_t i = 0; i < count; ++i) {
    int next = OpenBeneath(dir.get(), parts[i], O_PATH | O_DIRECTORY);
    if (next < 0 && errno == ENOENT && create) {
      // Tar streams need not list parent directories; make them like the layer would have.
      if (::mkdirat(dir.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return EntryErrno(entry, StrCat("create directory ", JoinPath(parts, i + 1)));
      }
      next = OpenBeneath(dir.get(), parts[i], O_PATH | O_DIRECTORY);
    }
    if (next < 0) {
      if (errno == EXDEV || errno == ELOOP) {
        return EntryError(entry, StrCat("\"", JoinPath(parts, i + 1),
                                        "\" is a link that leads outside the layer"));
      }
      return EntryErrno(entry, StrCat("open directory ", JoinPath(parts, i + 1)));
    }
    dir.Reset(next);
  }
  return dir;
}

absl::Status Extractor::RemoveExisting(int parent, const std::string& name, bool keep_directory,
                                       std::string_view entry) {
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? absl::OkStatus() : EntryErrno(entry, "stat");
  }
  if (S_ISDIR(st.st_mode)) {
    if (keep_directory) return absl::OkStatus();
    // A later entry replaces a directory: remove it with what it holds, staying beneath it.
    absl::StatusOr<UniqueFd> dir = OpenDir({name}, 1, entry, false);
    if (!dir.ok()) return dir.status();
    std::error_code ec;
    std::filesystem::remove_all(StrCat("/proc/self/fd/", dir->get(), "/"), ec);
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0)
      return EntryErrno(entry, "remove directory");
    return absl::OkStatus();
  }
  if (::unlinkat(parent, name.c_str(), 0) != 0) return EntryErrno(entry, "remove");
  return absl::OkStatus();
}

absl::Status Extractor::WriteData(int fd, std::string_view entry) {
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  while (true) {
    int rc = archive_read_data_block(archive_, &block, &size, &offset);
    if (rc == ARCHIVE_EOF) return absl::OkStatus();
    if (rc != ARCHIVE_OK) {
      return EntryError(entry, StrCat("read data: ", archive_error_string(archive_)));
    }
    // Blocks carry their offset, so holes of sparse files stay holes.
    const char* data = static_cast<const char*>(block);
    while (size > 0) {
      ssize_t n = ::pwrite(fd, data, size, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return EntryErrno(entry, "write");
      }
      data += n;
      size -= static_cast<size_t>(n);
      offset += n;
    }
  }
}

absl::Status Extractor::SetMetadata(int parent, const std::string& name, int fd,
                                    struct archive_entry* entry, std::string_view path) {
  mode_t type = archive_entry_filetype(entry);
  uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
  gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
  if (::fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(path, "chown");
  }
  // After chown, which clears setuid and setgid.
  mode_t mode = archive_entry_perm(entry) & 07777;
  if (type != AE_IFLNK) {
    int rc = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(parent, name.c_str(), mode, 0);
    if (rc != 0) return EntryErrno(path, "chmod");
  }

  archive_entry_xattr_reset(entry);
  const char* xattr_name = nullptr;
  const void* value = nullptr;
  size_t value_size = 0;
  std::string proc_path = StrCat("/proc/self/fd/", parent, "/", name);
  while (archive_entry_xattr_next(entry, &xattr_name, &value, &value_size) == ARCHIVE_OK) {
    int rc = fd >= 0 ? ::fsetxattr(fd, xattr_name, value, value_size, 0)
                     : ::lsetxattr(proc_path.c_str(), xattr_name, value, value_size, 0);
    if (rc != 0) return EntryErrno(path, StrCat("set xattr ", xattr_name));
  }

  timespec times[2];
  times[0].tv_sec =
      archive_entry_atime_is_set(entry) ? archive_entry_atime(entry) : archive_entry_mtime(entry);
  times[0].tv_nsec = archive_entry_atime_is_set(entry) ? archive_entry_atime_nsec(entry)
                                                       : archive_entry_mtime_nsec(entry);
  times[1].tv_sec = archive_entry_mtime(entry);
  times[1].tv_nsec = archive_entry_mtime_nsec(entry);
  if (type == AE_IFDIR) {
    dir_times_.push_back({std::string(path), {times[0], times[1]}});
  } else if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(path, "set times");
  }
  return absl::OkStatus();
}

absl::Status Extractor::Apply(struct archive_entry* entry) {
  const char* raw_path = archive_entry_pathname(entry);
  std::string path = raw_path != nullptr ? raw_path : "";
  absl::StatusOr<std::vector<std::string>> parts = SplitEntryPath(path);
  if (!parts.ok()) return parts.status();
  if (parts->empty()) return absl::OkStatus();  // the root itself: the layer dir keeps its own
  std::string name = parts->back();

  absl::StatusOr<UniqueFd> parent = OpenDir(*parts, parts->size() - 1, path, /*create=*/true);
  if (!parent.ok()) return parent.status();

  if (name.starts_with(kWhiteoutPrefix)) {
    if (name == kOpaqueMarker) {
      // The directory hides everything below it in lower layers.
      UniqueFd dir(OpenBeneath(parent->get(), ".", O_RDONLY | O_DIRECTORY));
      if (!dir.valid() || ::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
        return EntryErrno(path, "mark directory opaque");
      }
      return absl::OkStatus();
    }
    if (name.starts_with(kWhiteoutMetaPrefix)) return absl::OkStatus();  // AUFS bookkeeping
    std::string hidden = name.substr(kWhiteoutPrefix.size());
    if (hidden.empty() || hidden == "." || hidden == "..") return EntryError(path, "bad whiteout");
    if (auto status = RemoveExisting(parent->get(), hidden, false, path); !status.ok())
      return status;
    if (::mknodat(parent->get(), hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
      return EntryErrno(path, "create whiteout");
    }
    return absl::OkStatus();
  }

  if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
    absl::StatusOr<std::vector<std::string>> target = SplitEntryPath(link);
    if (!target.ok() || target->empty()) {
      return EntryError(path, StrCat("hard link target \"", link, "\" is outside the layer"));
    }
    absl::StatusOr<UniqueFd> target_dir = OpenDir(*target, target->size() - 1, path, false);
    if (!target_dir.ok()) return target_dir.status();
    if (auto status = RemoveExisting(parent->get(), name, false, path); !status.ok()) return status;
    // Without AT_SYMLINK_FOLLOW a link to a symlink links the symlink itself, never its target.
    if (::linkat(target_dir->get(), target->back().c_str(), parent->get(), name.c_str(), 0) != 0) {
      return EntryErrno(path, StrCat("hard link to \"", link, "\""));
    }
    return absl::OkStatus();
  }

  uids_.insert(static_cast<uint32_t>(archive_entry_uid(entry)));
  gids_.insert(static_cast<uint32_t>(archive_entry_gid(entry)));
  mode_t type = archive_entry_filetype(entry);
  bool is_dir = type == AE_IFDIR;
  if (auto status = RemoveExisting(parent->get(), name, is_dir, path); !status.ok()) return status;

  UniqueFd fd;
  switch (type) {
    case AE_IFDIR:
      if (::mkdirat(parent->get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
        return EntryErrno(path, "mkdir");
      }
      fd.Reset(OpenBeneath(parent->get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      if (!fd.valid()) return EntryErrno(path, "open directory");
      break;
    case AE_IFREG:
      fd.Reset(::openat(parent->get(), name.c_str(),
                        O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd.valid()) return EntryErrno(path, "create");
      if (auto status = WriteData(fd.get(), path); !status.ok()) return status;
      if (::ftruncate(fd.get(), archive_entry_size(entry)) != 0)
        return EntryErrno(path, "truncate");
      break;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (::symlinkat(target != nullptr ? target : "", parent->get(), name.c_str()) != 0) {
        return EntryErrno(path, "symlink");
      }
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      dev_t dev = makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
      if (::mknodat(parent->get(), name.c_str(), type | 0600, type == AE_IFIFO ? 0 : dev) != 0) {
        return EntryErrno(path, "mknod");
      }
      break;
    }
    default:
      return absl::OkStatus();  // sockets and unknown types carry no content worth keeping
  }
  return SetMetadata(parent->get(), name, fd.get(), entry, path);
}

absl::Status Extractor::Finish() {
  // Setting a directory's times does not touch its parent's, so the order does not matter.
  for (const DeferredDirTimes& dir : dir_times_) {
    absl::StatusOr<std::vector<std::string>> parts = SplitEntryPath(dir.path);
    if (!parts.ok()) return parts.status();
    UniqueFd opened(OpenBeneath(root_, JoinPath(*parts, parts->size()), O_RDONLY | O_DIRECTORY));
    if (!opened.valid()) {
      // A later entry replaced or removed the directory: nothing to do.
      if (errno == ENOTDIR || errno == ENOENT) continue;
      return EntryErrno(dir.path, "open directory");
    }
    if (::futimens(opened.get(), dir.times) != 0)
      return EntryErrno(dir.path, "set directory times");
  }
  return absl::OkStatus();
}

void EmptyDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::filesystem::remove_all(entry.path(), ec);
  }
}

absl::StatusOr<AppliedLayer> Extract(ByteSource& source, const std::filesystem::path& target,
                                     const ApplyOptions& options) {
  UniqueFd root(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    return absl::InternalError(
        StrCat("open layer directory ", target.string(), ": ", std::strerror(errno)));
  }
  LayerStream stream(source, options.max_uncompressed_size, options.on_tar_bytes);
  ReadContext context{.stream = &stream, .error = absl::OkStatus()};
  std::unique_ptr<struct archive, decltype(&archive_read_free)> archive(archive_read_new(),
                                                                        &archive_read_free);
  archive_read_support_format_tar(archive.get());
  if (archive_read_open(archive.get(), &context, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    if (!context.error.ok()) return context.error;
    return absl::InvalidArgumentError(
        StrCat("layer is not a tar stream: ", archive_error_string(archive.get())));
  }
  Extractor extractor(root.get(), archive.get());
  while (true) {
    struct archive_entry* entry = nullptr;
    int rc = archive_read_next_header(archive.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      if (!context.error.ok()) return context.error;
      return absl::InvalidArgumentError(
          StrCat("layer tar stream is corrupt: ", archive_error_string(archive.get())));
    }
    if (auto status = extractor.Apply(entry); !status.ok()) return status;
  }
  if (auto status = extractor.Finish(); !status.ok()) return status;
  // The digests must cover the whole stream, padding after the end-of-archive blocks included.
  if (auto status = stream.Drain(); !status.ok()) return status;
  AppliedLayer applied = stream.Finish();
  applied.uids.assign(extractor.uids_.begin(), extractor.uids_.end());
  applied.gids.assign(extractor.gids_.begin(), extractor.gids_.end());
  return applied;
}

}  // namespace

absl::StatusOr<AppliedLayer> ApplyLayer(ByteSource& source, const std::filesystem::path& target,
                                        const ApplyOptions& options) {
  absl::StatusOr<AppliedLayer> applied = Extract(source, target, options);
  if (!applied.ok()) EmptyDirectory(target);
  return applied;
}

}  // namespace crio::storage
