#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "crio/common/strings.h"
#include "crio/network/namespaces.h"

namespace crio::network {
namespace {

absl::StatusOr<UniqueFd> Connect(int family, int32_t port) {
  UniqueFd socket(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int rc = -1;
  if (family == AF_INET) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  } else {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<uint16_t>(port));
    address.sin6_addr = in6addr_loopback;
    rc = ::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  if (rc != 0) return absl::UnavailableError(std::strerror(errno));
  return socket;
}

}  // namespace

absl::Status BringUpLoopback(const std::filesystem::path& netns) {
  UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    return absl::NotFoundError(StrCat("opening ", netns.string(), ": ", std::strerror(errno)));
  }
  absl::Status result;
  std::thread worker([&] {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      result = absl::InternalError(StrCat("entering ", netns.string(), ": ", std::strerror(errno)));
      return;
    }
    UniqueFd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (!socket.valid() || ::ioctl(socket.get(), SIOCGIFFLAGS, &request) != 0) {
      result = absl::InternalError(StrCat("reading the flags of lo: ", std::strerror(errno)));
      return;
    }
    request.ifr_flags |= IFF_UP;
    if (::ioctl(socket.get(), SIOCSIFFLAGS, &request) != 0) {
      result = absl::InternalError(StrCat("setting lo up: ", std::strerror(errno)));
    }
  });
  worker.join();
  return result;
}

absl::StatusOr<UniqueFd> DialLoopback(const std::filesystem::path& netns, int32_t port) {
  if (port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("invalid port ", port));
  }
  UniqueFd ns;
  if (!netns.empty()) {
    ns.Reset(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
      return absl::NotFoundError(StrCat("opening ", netns.string(), ": ", std::strerror(errno)));
    }
  }
  absl::StatusOr<UniqueFd> connection = absl::InternalError("not dialed");
  // Network namespaces are per thread: a fresh thread enters the pod's and ends; the socket it
  // made keeps the namespace it was created in.
  std::thread dialer([&] {
    if (ns.valid() && ::setns(ns.get(), CLONE_NEWNET) != 0) {
      connection =
          absl::InternalError(StrCat("entering ", netns.string(), ": ", std::strerror(errno)));
      return;
    }
    connection = Connect(AF_INET, port);
    if (connection.ok()) return;
    absl::StatusOr<UniqueFd> v6 = Connect(AF_INET6, port);
    if (v6.ok()) connection = std::move(v6);
  });
  dialer.join();
  if (!connection.ok()) {
    return absl::UnavailableError(StrCat("connect to localhost:", port,
                                         " in the pod: ", View(connection.status().message())));
  }
  return connection;
}

}  // namespace crio::network
