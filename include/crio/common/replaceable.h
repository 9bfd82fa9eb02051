#pragma once

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace crio {

// A value that readers take as a snapshot and a reload replaces whole. A snapshot stays valid and
// unchanged for as long as its holder keeps it, so an operation that took one at its start sees
// one consistent value to its end, whatever replaces the current value meanwhile.
template <typename T>
class Replaceable {
 public:
  explicit Replaceable(T value = T{}) : current_(std::make_shared<const T>(std::move(value))) {}

  std::shared_ptr<const T> Snapshot() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  void Replace(T value) {
    auto next = std::make_shared<const T>(std::move(value));
    absl::MutexLock lock(&mu_);
    current_.swap(next);
    // The old value is released outside the lock by `next`'s destructor when no snapshot holds it.
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const T> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace crio
