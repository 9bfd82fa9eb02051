#include "crio/network/dir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio::network {
namespace {

constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE |
                             IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// Writers often create, write and rename in quick succession; one reload covers them all.
constexpr int kSettleMs = 50;

}  // namespace

absl::StatusOr<std::unique_ptr<DirWatcher>> DirWatcher::Start(std::filesystem::path dir,
                                                              std::function<void()> on_change,
                                                              absl::Duration poll_interval) {
  UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify.valid()) {
    return absl::InternalError(StrCat("inotify_init1: ", std::strerror(errno)));
  }
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return absl::InternalError(StrCat("eventfd: ", std::strerror(errno)));
  return std::unique_ptr<DirWatcher>(new DirWatcher(
      std::move(dir), std::move(on_change), poll_interval, std::move(inotify), std::move(wake)));
}

DirWatcher::DirWatcher(std::filesystem::path dir, std::function<void()> on_change,
                       absl::Duration poll_interval, UniqueFd inotify, UniqueFd wake)
    : dir_(std::move(dir)),
      on_change_(std::move(on_change)),
      poll_interval_(poll_interval),
      inotify_(std::move(inotify)),
      wake_(std::move(wake)) {
  // Watching before the thread starts means a change made right after Start is never missed;
  // the caller's own initial load covers what was there before.
  AddWatch();
  thread_ = std::thread([this] { Loop(); });
}

DirWatcher::~DirWatcher() {
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

bool DirWatcher::AddWatch() {
  watch_ = ::inotify_add_watch(inotify_.get(), dir_.c_str(), kEvents);
  return watch_ >= 0;
}

void DirWatcher::Loop() {
  int poll_ms = static_cast<int>(absl::ToInt64Milliseconds(poll_interval_));
  bool settling = false;  // events seen, waiting for the burst to end
  while (true) {
    if (watch_ < 0 && !settling) {
      if (AddWatch()) {
        spdlog::debug("Watching {} for CNI configuration changes", dir_.string());
        settling = true;  // it appeared: whatever it holds is new to us
      }
    }
    pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
    int timeout = settling ? kSettleMs : (watch_ < 0 ? poll_ms : -1);
    int ready = ::poll(fds, 2, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      spdlog::error("Watching {}: poll: {}", dir_.string(), std::strerror(errno));
      return;
    }
    if (fds[0].revents != 0) return;
    if (ready == 0) {
      if (settling) {
        settling = false;
        on_change_();
      }
      continue;
    }
    alignas(inotify_event) char buffer[8192];
    ssize_t n;
    while ((n = ::read(inotify_.get(), buffer, sizeof(buffer))) > 0) {
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + event->len;
        if (event->wd != watch_) continue;  // a watch dropped earlier
        settling = true;
        if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          // The directory is gone (or elsewhere): wait for one to appear at the path again.
          if (!(event->mask & IN_IGNORED)) ::inotify_rm_watch(inotify_.get(), watch_);
          watch_ = -1;
        }
      }
    }
  }
}

}  // namespace crio::network
