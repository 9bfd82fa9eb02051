#pragma once

#include "crio/sandbox/manager.h"

namespace crio::sandbox {

// One pod and the lock that serializes operations on it.
struct SandboxManager::Entry {
  absl::Mutex mu;
  Sandbox sandbox ABSL_GUARDED_BY(mu);
  bool removed ABSL_GUARDED_BY(mu) = false;
};

// Steps to undo, run in reverse order unless the whole operation succeeded.
class Rollback {
 public:
  ~Rollback() {
    if (committed_) return;
    for (auto step = steps_.rbegin(); step != steps_.rend(); ++step) (*step)();
  }
  void Add(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void Commit() { committed_ = true; }

 private:
  std::vector<std::function<void()>> steps_;
  bool committed_ = false;
};

}  // namespace crio::sandbox

namespace crio::network {
struct PodNetwork;
}

namespace crio::sandbox {

// What the CNI layer needs to attach or detach `sandbox`.
network::PodNetwork PodNetworkOf(const Sandbox& sandbox);

}  // namespace crio::sandbox
