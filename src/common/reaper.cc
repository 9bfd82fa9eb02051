#include "crio/common/reaper.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Reaper& Reaper::Get() {
  static Reaper* reaper = [] {
    // Never destroyed: its thread runs for the life of the process.
    static Reaper instance;
    return &instance;
  }();
  return *reaper;
}

Reaper::Reaper() : thread_([this] { Loop(); }) { thread_.detach(); }

absl::Status Reaper::BecomeSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return absl::InternalError(StrCat("prctl(PR_SET_CHILD_SUBREAPER): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<pid_t> Reaper::Launch(absl::FunctionRef<absl::StatusOr<pid_t>()> start) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<pid_t> pid = start();
  if (pid.ok()) {
    launched_[*pid] = std::nullopt;
    ++launches_;
  }
  return pid;
}

std::optional<int> Reaper::Wait(pid_t pid, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reaped = [this, pid]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = launched_.find(pid);
    return it == launched_.end() || it->second.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&reaped), timeout);
  auto it = launched_.find(pid);
  if (it == launched_.end() || !it->second) return std::nullopt;
  int status = *it->second;
  launched_.erase(it);
  return status;
}

void Reaper::Forget(pid_t pid) {
  absl::MutexLock lock(&mu_);
  launched_.erase(pid);  // a child still running is reaped later as an unknown one
}

void Reaper::Loop() {
  while (true) {
    uint64_t launches_seen;
    {
      absl::MutexLock lock(&mu_);
      launches_seen = launches_;
    }
    // Peek without reaping, so the pid is collected below only under the lock that Launch
    // holds while it registers a new child.
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0) {
      if (errno == ECHILD) {
        // No child means no descendant either (an orphan is reparented to us only while its
        // parent, our child, exits), so only a launch can give us work: sleep until one.
        absl::MutexLock lock(&mu_);
        auto launched = [this, launches_seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return launches_ != launches_seen;
        };
        mu_.Await(absl::Condition(&launched));
      }
      continue;
    }
    pid_t pid = info.si_pid;
    absl::MutexLock lock(&mu_);
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) continue;
    auto it = launched_.find(pid);
    if (it != launched_.end()) {
      it->second = DecodeWaitStatus(status);
    } else {
      spdlog::debug("Reaped orphaned process {} (status {})", pid, DecodeWaitStatus(status));
    }
  }
}

}  // namespace crio
