#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crio/storage/lock_file.h"

namespace crio::storage {

// The parsed records of one store file (layers.json, images.json, containers.json), kept between
// calls for as long as the file's lock file says nobody wrote it since: with a few hundred
// containers, parsing containers.json on every call costs more than the call's own work. Every
// method is called holding `lock` (either mode); writers call Store after a successful write.
template <typename Record>
class RecordCache {
 public:
  explicit RecordCache(LockFile& lock) : lock_(lock) {}

  // The records as cached when they are current, else what `load` reads (and it is cached).
  template <typename Load>
  absl::StatusOr<std::vector<Record>> Get(Load load) {
    absl::StatusOr<uint64_t> generation = lock_.Generation();
    if (!generation.ok()) return generation.status();
    {
      absl::MutexLock lock(&mu_);
      if (records_ && generation_ == *generation) return *records_;
    }
    absl::StatusOr<std::vector<Record>> loaded = load();
    if (!loaded.ok()) return loaded;
    absl::MutexLock lock(&mu_);
    records_ = *loaded;
    generation_ = *generation;
    return loaded;
  }

  // What was just written, holding the exclusive lock, after the writer's Touch.
  void Store(const std::vector<Record>& records) {
    absl::StatusOr<uint64_t> generation = lock_.Generation();
    absl::MutexLock lock(&mu_);
    if (!generation.ok()) {
      records_.reset();
      return;
    }
    records_ = records;
    generation_ = *generation;
  }

  // A write that failed halfway: the file may hold either version.
  void Forget() {
    absl::MutexLock lock(&mu_);
    records_.reset();
  }

 private:
  LockFile& lock_;
  absl::Mutex mu_;
  std::optional<std::vector<Record>> records_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace crio::storage
