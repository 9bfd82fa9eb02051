#include "loopback_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace crio::testing {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool WaitReadableUnlessStopped(int fd, int stop) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return false;  // closed write end: POLLHUP
    return true;
  }
}

LoopbackServer::LoopbackServer(std::function<void(int client)> serve) : serve_(std::move(serve)) {
  EXPECT_EQ(::pipe2(stop_, O_CLOEXEC), 0);
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t length = sizeof(addr);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
  EXPECT_EQ(::listen(listener_, 64), 0);
  host_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  acceptor_ = std::thread([this] {
    while (WaitReadableUnlessStopped(listener_, stop_[0])) {
      int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard lock(mu_);
      threads_.emplace_back([this, client] {
        serve_(client);
        ::close(client);
      });
    }
  });
}

void LoopbackServer::Stop() {
  if (stop_[1] < 0) return;
  ::close(stop_[1]);  // wakes the acceptor and every handler's wait
  stop_[1] = -1;
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

LoopbackServer::~LoopbackServer() {
  Stop();
  ::close(listener_);
  ::close(stop_[0]);
}

}  // namespace crio::testing
