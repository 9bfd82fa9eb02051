#include "spdy_io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

namespace crio::streaming {

StopEvent::StopEvent() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void StopEvent::Signal() {
  uint64_t one = 1;
  // The counter never reaches its maximum: at most a few signals per session.
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof(one));
}

bool StopEvent::signaled() const {
  pollfd pfd{fd_.get(), POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0;
}

void DoneCounter::Done() {
  std::lock_guard lock(mu_);
  ++done_;
  cv_.notify_all();
}

bool DoneCounter::WaitFor(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done_ >= count; });
}

void BlockSigpipeInThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

namespace {

// Waits until `fd` has `events` (checked first, so pending data wins over a stop) or a stop
// fires. False when stopped or on a poll error.
bool WaitFd(int fd, short events, const StopEvent* stop, const StopEvent* also) {
  while (true) {
    pollfd pfds[3] = {{fd, events, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    nfds_t count = 1;
    for (const StopEvent* event : {stop, also}) {
      if (event != nullptr) pfds[count++].fd = event->fd();
    }
    int rc = ::poll(pfds, count, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    // POLLHUP/POLLERR: let the read or write report what happened.
    if (pfds[0].revents != 0) return true;
    errno = ECANCELED;
    return false;
  }
}

// A SIGPIPE raised by our own write stays pending on this thread while blocked; take it so
// it cannot fire if the mask is ever lifted.
void ConsumePendingSigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  timespec zero{0, 0};
  while (::sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
  }
}

}  // namespace

ssize_t ReadOrStop(int fd, char* buf, size_t size, const StopEvent* stop, const StopEvent* also) {
  while (true) {
    if (!WaitFd(fd, POLLIN, stop, also)) return -1;
    ssize_t n = ::read(fd, buf, size);
    if (n >= 0) return n;
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
}

bool WriteAllOrStop(int fd, std::string_view data, const StopEvent* stop, const StopEvent* also) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EPIPE) {
      ConsumePendingSigpipe();
      return false;
    }
    if (n < 0 && errno != EINTR && errno != EAGAIN) return false;
    if (n < 0 && errno == EAGAIN && !WaitFd(fd, POLLOUT, stop, also)) return false;
  }
  return true;
}

}  // namespace crio::streaming
