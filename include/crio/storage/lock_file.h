#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crio/common/unique_fd.h"

namespace crio::storage {

// A containers/storage lock file (layers.lock, images.lock, ...): a whole-file POSIX fcntl lock
// shared with podman, skopeo and buildah, plus the 64-byte "last writer" token that tells a
// reader whether someone changed the data since it last looked.
//
// POSIX record locks belong to the process and are dropped when *any* descriptor of the file is
// closed, so one LockFile opens its file once and keeps it open; use one LockFile per path per
// process. Threads of this process are serialised by an in-process reader/writer mutex.
class LockFile {
 public:
  static absl::StatusOr<std::unique_ptr<LockFile>> Open(const std::filesystem::path& path);

  // Blocks until this thread holds the lock; exclusive for writers, shared for readers.
  void LockExclusive() ABSL_EXCLUSIVE_LOCK_FUNCTION(mu_);
  void LockShared() ABSL_SHARED_LOCK_FUNCTION(mu_);
  void UnlockExclusive() ABSL_UNLOCK_FUNCTION(mu_);
  void UnlockShared() ABSL_UNLOCK_FUNCTION(mu_);

  // Writer, holding the exclusive lock: records a new token, marking the data as changed. Like
  // newer containers/storage, call it before writing the data, so a writer that dies halfway
  // still invalidates everybody's caches.
  absl::Status Touch();

  // Holding either lock: whether the token differs from the one this process saw last (or wrote).
  // The first call after Open reports a change.
  absl::StatusOr<bool> Modified();

  // Holding either lock: a number that changes whenever the data may have changed since the
  // previous call, through someone else's token or our own Touch. What a cache of the data was
  // read at tells whether it is still current. Independent of Modified().
  absl::StatusOr<uint64_t> Generation();

  const std::filesystem::path& path() const { return path_; }

  struct OpenTag {
    explicit OpenTag() = default;
  };
  LockFile(OpenTag, std::filesystem::path path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

 private:
  void FcntlLock(short type);
  // The token as the file holds it now (short or empty when nobody wrote one yet).
  absl::StatusOr<std::string> ReadToken() const;

  std::filesystem::path path_;
  UniqueFd fd_;
  absl::Mutex mu_;
  // How many threads hold the shared lock; the fcntl read lock is taken on 0 -> 1 and released on
  // 1 -> 0.
  absl::Mutex count_mu_;
  int shared_holders_ ABSL_GUARDED_BY(count_mu_) = 0;
  // Guarded by holding the lock (either mode).
  std::string last_token_;
  bool seen_token_ = false;
  // Several threads may hold the shared lock at once: the generation's state has its own mutex.
  absl::Mutex generation_mu_;
  std::string generation_token_ ABSL_GUARDED_BY(generation_mu_);
  uint64_t generation_ ABSL_GUARDED_BY(generation_mu_) = 0;
};

// Holds a LockFile exclusively for a scope.
class ExclusiveLock {
 public:
  explicit ExclusiveLock(LockFile& lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock) : lock_(lock) {
    lock_.LockExclusive();
  }
  ~ExclusiveLock() ABSL_UNLOCK_FUNCTION() { lock_.UnlockExclusive(); }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  LockFile& lock_;
};

// Holds a LockFile shared for a scope.
class SharedLock {
 public:
  explicit SharedLock(LockFile& lock) ABSL_SHARED_LOCK_FUNCTION(lock) : lock_(lock) {
    lock_.LockShared();
  }
  ~SharedLock() ABSL_UNLOCK_FUNCTION() { lock_.UnlockShared(); }
  SharedLock(const SharedLock&) = delete;
  SharedLock& operator=(const SharedLock&) = delete;

 private:
  LockFile& lock_;
};

}  // namespace crio::storage
