#include "crio/common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio {
namespace {

absl::Status ErrnoError(std::string_view what, const std::filesystem::path& path, int err) {
  return absl::InternalError(StrCat(what, " ", path.string(), ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                 mode_t mode, Durability durability) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmp_template = (dir / ("." + path.filename().string() + ".tmpXXXXXX")).string();
  UniqueFd fd(::mkostemp(tmp_template.data(), O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("create temporary file in", dir, errno);
  std::filesystem::path tmp_path = tmp_template;

  auto fail = [&](absl::Status status) {
    ::unlink(tmp_path.c_str());
    return status;
  };
  if (::fchmod(fd.get(), mode) != 0) return fail(ErrnoError("chmod", tmp_path, errno));
  if (auto status = WriteAll(fd.get(), content, tmp_path); !status.ok()) return fail(status);
  if (durability == Durability::kDurable && ::fsync(fd.get()) != 0)
    return fail(ErrnoError("fsync", tmp_path, errno));
  fd.Reset();
  if (::rename(tmp_path.c_str(), path.c_str()) != 0)
    return fail(ErrnoError("rename to", path, errno));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return absl::NotFoundError(StrCat(path.string(), " does not exist"));
    return ErrnoError("open", path, errno);
  }
  std::string content;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

}  // namespace crio
