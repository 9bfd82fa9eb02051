#include "socket_path.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crio/common/log.h"

#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::server {
namespace {

// True when something accepts connections on the socket at `path`.
bool SomeoneListens(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

}  // namespace

absl::Status PrepareSocketPath(const std::filesystem::path& path) {
  if (path.string().size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(
        StrCat("socket path ", path.string(), " is too long for a unix socket"));
  }
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        StrCat("cannot create socket directory ", path.parent_path().string(), ": ", ec.message()));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::FailedPreconditionError(
        StrCat("cannot inspect ", path.string(), ": ", std::strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        StrCat(path.string(), " exists and is not a socket; refusing to replace it"));
  }
  if (SomeoneListens(path)) {
    return absl::FailedPreconditionError(
        StrCat("another daemon is already serving on ", path.string(),
               "; stop it first or choose another socket with --listen"));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::FailedPreconditionError(
        StrCat("cannot remove stale socket ", path.string(), ": ", std::strerror(errno)));
  }
  spdlog::info("Removed stale socket {}", path.string());
  return absl::OkStatus();
}

}  // namespace crio::server
