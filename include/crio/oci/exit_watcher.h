#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crio/common/unique_fd.h"

namespace crio::oci {

struct ExitInfo {
  int exit_code = 0;  // 128+N for a death by signal N
  absl::Time finished;
};

// Watches the exits directory where monitors write `<id>` files when containers end: one inotify
// watch and one thread, nothing polls. Exits found at start (containers that ended while the
// daemon was down) are known at once.
class ExitWatcher {
 public:
  using Callback = std::function<void(const std::string& id, const ExitInfo& exit)>;

  // `on_exit` runs on the watcher's thread for every exit seen after start.
  static absl::StatusOr<std::unique_ptr<ExitWatcher>> Start(std::filesystem::path exits_dir,
                                                            Callback on_exit = {});
  // Only Start() constructs watchers; the tag keeps the constructor out of other hands.
  struct StartTag {
    explicit StartTag() = default;
  };
  ExitWatcher(StartTag, std::filesystem::path dir, Callback on_exit)
      : dir_(std::move(dir)), on_exit_(std::move(on_exit)) {}
  ~ExitWatcher();

  // Replaces the callback (for users created after the watcher, such as the container manager).
  void SetCallback(Callback on_exit);

  // The exit of `id`, waiting up to `timeout` for it.
  std::optional<ExitInfo> Wait(const std::string& id, absl::Duration timeout);
  // Drops what is known about `id` and removes its exit file (when the container is removed).
  void Forget(const std::string& id);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  void Loop();
  // Reads `<dir>/<id>`; nullopt while it is absent or incomplete.
  std::optional<ExitInfo> ReadExitFile(const std::string& id) const;

  std::filesystem::path dir_;
  absl::Mutex callback_mu_;
  Callback on_exit_ ABSL_GUARDED_BY(callback_mu_);
  UniqueFd inotify_;
  UniqueFd wakeup_;  // eventfd that stops the thread
  absl::Mutex mu_;
  std::map<std::string, ExitInfo> exits_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class Runtime;

// Whether the monitor recorded an OOM kill of the container in its bundle (the `oom` file).
bool WasOomKilled(const std::filesystem::path& bundle);

// Stops a container like CRI-O: `signal`, then SIGKILL when it has not exited after `timeout`.
// Succeeds at once when the container has already exited or the runtime no longer knows it.
absl::Status StopContainer(Runtime& runtime, ExitWatcher& exits, const std::string& id, int signal,
                           absl::Duration timeout);

}  // namespace crio::oci
