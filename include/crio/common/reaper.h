#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace crio {

// Collects the exit status of every child of this process, in one thread, so that no child ever
// stays a zombie: children we launched (whose status someone waits for) and orphans that the
// kernel reparents to us once we are a child subreaper (conmon's daemonized half, runc's
// leftovers). Nothing else in the process may call wait*() on a child.
class Reaper {
 public:
  // The process-wide reaper; its thread starts on first use.
  static Reaper& Get();

  // Makes this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER), so orphans are
  // reaped here promptly rather than by an init that may reap late.
  absl::Status BecomeSubreaper();

  // Runs `start`, which creates one child and returns its pid, with reaping held off until the
  // pid is registered, so an instant exit cannot be collected unseen.
  absl::StatusOr<pid_t> Launch(absl::FunctionRef<absl::StatusOr<pid_t>()> start);

  // The exit status of a launched child: its exit code, or 128+N when signal N killed it.
  // nullopt when it is still running after `timeout`. Once returned, the pid is forgotten.
  std::optional<int> Wait(pid_t pid, absl::Duration timeout);

  // Stops tracking a launched child; its status is discarded when it exits.
  void Forget(pid_t pid);

 private:
  Reaper();
  void Loop();

  absl::Mutex mu_;
  // Launched children: nullopt while running, the status once reaped.
  std::map<pid_t, std::optional<int>> launched_ ABSL_GUARDED_BY(mu_);
  uint64_t launches_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace crio
