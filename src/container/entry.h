#pragma once

#include "absl/synchronization/mutex.h"
#include "crio/container/manager.h"

namespace crio::container {

// One container the manager knows: its state under its own lock, so that operations on
// different containers proceed in parallel.
struct ContainerManager::Entry {
  absl::Mutex mu;
  Container container ABSL_GUARDED_BY(mu);
  bool removed ABSL_GUARDED_BY(mu) = false;
};

}  // namespace crio::container
