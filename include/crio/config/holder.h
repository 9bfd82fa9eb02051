#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "crio/config/config.h"

namespace crio::config {

// The daemon's current configuration. Readers take a snapshot that stays valid while they use it;
// a reload swaps in a new one without disturbing requests in flight.
class ConfigHolder {
 public:
  explicit ConfigHolder(Config config)
      : current_(std::make_shared<const Config>(std::move(config))) {}

  std::shared_ptr<const Config> Get() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  void Replace(Config config) {
    auto next = std::make_shared<const Config>(std::move(config));
    absl::MutexLock lock(&mu_);
    current_ = std::move(next);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const Config> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace crio::config
