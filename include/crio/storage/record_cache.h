#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crio/common/atomic_file.h"
#include "crio/storage/lock_file.h"

namespace crio::storage {

// The parsed records of one store file (layers.json, images.json, containers.json), kept between
// calls for as long as the file's lock file says nobody wrote it since: with a few hundred
// containers, parsing containers.json on every call costs more than the call's own work. Every
// method is called holding the lock (either mode for Load, exclusive for Save).
template <typename Record>
class RecordCache {
 public:
  RecordCache(LockFile& lock, std::filesystem::path file) : lock_(lock), file_(std::move(file)) {}

  // The records as cached when they are current, else `parse` of the file (an absent file holds
  // none), which is cached.
  template <typename Parse>
  absl::StatusOr<std::vector<Record>> Load(Parse parse) {
    absl::StatusOr<uint64_t> generation = lock_.Generation();
    if (!generation.ok()) return generation.status();
    {
      absl::MutexLock lock(&mu_);
      if (records_ && generation_ == *generation) return *records_;
    }
    absl::StatusOr<std::string> text = ReadFile(file_);
    if (!text.ok() && !absl::IsNotFound(text.status())) return text.status();
    absl::StatusOr<std::vector<Record>> loaded =
        text.ok() ? parse(std::string_view(*text)) : std::vector<Record>();
    if (!loaded.ok()) return loaded;
    absl::MutexLock lock(&mu_);
    records_ = *loaded;
    generation_ = *generation;
    return loaded;
  }

  // Writes `text`, the serialized `records`, as containers/storage does: a new token in the lock
  // file first (a writer that dies before the data is written still makes readers reload), then
  // the file, fsynced and renamed into place. The records are kept once written.
  absl::Status Save(const std::vector<Record>& records, std::string_view text) {
    if (absl::Status touched = lock_.Touch(); !touched.ok()) return touched;
    absl::Status written = WriteFileAtomically(file_, text, 0600);
    absl::StatusOr<uint64_t> generation = lock_.Generation();
    absl::MutexLock lock(&mu_);
    if (written.ok() && generation.ok()) {
      records_ = records;
      generation_ = *generation;
    } else {
      records_.reset();  // the file may hold either version
    }
    return written;
  }

 private:
  LockFile& lock_;
  const std::filesystem::path file_;
  absl::Mutex mu_;
  std::optional<std::vector<Record>> records_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace crio::storage
