#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/common/unique_fd.h"

namespace crio::network {

// Calls `on_change` from its own thread when entries of a directory are created, deleted,
// renamed or written, and when the directory itself appears (it may not exist yet, or be
// removed and created again: then its appearance is polled for every `poll_interval`). Bursts of
// events are coalesced into one call. The destructor stops the thread; no call runs after it.
class DirWatcher {
 public:
  static absl::StatusOr<std::unique_ptr<DirWatcher>> Start(
      std::filesystem::path dir, std::function<void()> on_change,
      absl::Duration poll_interval = absl::Seconds(1));
  ~DirWatcher();
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

 private:
  DirWatcher(std::filesystem::path dir, std::function<void()> on_change,
             absl::Duration poll_interval, UniqueFd inotify, UniqueFd wake);
  bool AddWatch();
  void Loop();

  const std::filesystem::path dir_;
  const std::function<void()> on_change_;
  const absl::Duration poll_interval_;
  UniqueFd inotify_;
  UniqueFd wake_;   // an eventfd: written once to stop the thread
  int watch_ = -1;  // touched by the thread only (and the constructor, before it starts)
  std::thread thread_;
};

}  // namespace crio::network
