#pragma once

#include "crio/common/rollback.h"
#include "crio/sandbox/manager.h"

namespace crio::sandbox {

// One pod and the lock that serializes operations on it.
struct SandboxManager::Entry {
  absl::Mutex mu;
  Sandbox sandbox ABSL_GUARDED_BY(mu);
  bool removed ABSL_GUARDED_BY(mu) = false;
};

}  // namespace crio::sandbox

namespace crio::network {
struct PodNetwork;
}

namespace crio::sandbox {

// What the CNI layer needs to attach or detach `sandbox`.
network::PodNetwork PodNetworkOf(const Sandbox& sandbox);

}  // namespace crio::sandbox
