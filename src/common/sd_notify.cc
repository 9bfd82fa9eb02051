#include "crio/common/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio {

absl::Status NotifyServiceManager(std::string_view state) {
  const char* socket_env = std::getenv("NOTIFY_SOCKET");
  if (socket_env == nullptr || *socket_env == '\0') return absl::OkStatus();
  std::string path = socket_env;
  if (path.size() >= sizeof(sockaddr_un{}.sun_path) || (path[0] != '/' && path[0] != '@')) {
    return absl::InvalidArgumentError(StrCat("unusable NOTIFY_SOCKET \"", path, "\""));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  // A leading '@' names a socket in the abstract namespace, whose first byte is NUL.
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());

  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
               reinterpret_cast<sockaddr*>(&addr), length) < 0) {
    return absl::UnavailableError(
        StrCat("notify ", path, " of \"", state, "\": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::optional<absl::Duration> WatchdogInterval() {
  const char* usec_env = std::getenv("WATCHDOG_USEC");
  uint64_t usec = 0;
  if (usec_env == nullptr || !absl::SimpleAtoi(usec_env, &usec) || usec == 0) return std::nullopt;
  // WATCHDOG_PID, when present, says which process the watchdog is meant for.
  if (const char* pid_env = std::getenv("WATCHDOG_PID"); pid_env != nullptr) {
    int64_t pid = 0;
    if (!absl::SimpleAtoi(pid_env, &pid) || pid != ::getpid()) return std::nullopt;
  }
  return absl::Microseconds(usec) / 2;
}

}  // namespace crio
