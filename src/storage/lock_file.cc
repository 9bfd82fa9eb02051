#include "crio/storage/lock_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "crio/common/strings.h"

namespace crio::storage {
namespace {

constexpr size_t kTokenSize = 64;

}  // namespace

absl::StatusOr<std::unique_ptr<LockFile>> LockFile::Open(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return absl::InternalError(StrCat("create ", path.parent_path().string(), ": ", ec.message()));
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return absl::InternalError(
        StrCat("open lock file ", path.string(), ": ", std::strerror(errno)));
  }
  return std::make_unique<LockFile>(OpenTag{}, path, std::move(fd));
}

void LockFile::FcntlLock(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;  // l_start 0 and l_len 0: the whole file, as containers/storage
  while (::fcntl(fd_.get(), F_SETLKW, &lock) != 0) {
    // EINTR, or a transient EDEADLK from the kernel's deadlock detector: try again shortly.
    ::usleep(10000);
  }
}

void LockFile::LockExclusive() {
  mu_.Lock();
  FcntlLock(F_WRLCK);
}

void LockFile::UnlockExclusive() {
  FcntlLock(F_UNLCK);
  mu_.Unlock();
}

void LockFile::LockShared() {
  mu_.ReaderLock();
  absl::MutexLock count(&count_mu_);
  if (shared_holders_++ == 0) FcntlLock(F_RDLCK);
}

void LockFile::UnlockShared() {
  {
    absl::MutexLock count(&count_mu_);
    if (--shared_holders_ == 0) FcntlLock(F_UNLCK);
  }
  mu_.ReaderUnlock();
}

absl::Status LockFile::Touch() {
  // Layout as containers/storage writes it: nanosecond time, a counter, the pid, random bytes.
  // Readers only compare tokens, so what matters is that every token is new.
  static std::atomic<uint64_t> counter{0};
  char token[kTokenSize] = {};
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  uint64_t nanos =
      static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<uint64_t>(now.tv_nsec);
  uint64_t sequence = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  uint32_t pid = static_cast<uint32_t>(::getpid());
  std::memcpy(token, &nanos, 8);  // x86-64 and arm64 are little-endian, as the format wants
  std::memcpy(token + 8, &sequence, 8);
  std::memcpy(token + 16, &pid, 4);
  if (::getrandom(token + 20, kTokenSize - 20, 0) != static_cast<ssize_t>(kTokenSize - 20)) {
    return absl::InternalError(StrCat("getrandom: ", std::strerror(errno)));
  }
  if (::pwrite(fd_.get(), token, kTokenSize, 0) != static_cast<ssize_t>(kTokenSize)) {
    return absl::InternalError(
        StrCat("write lock file ", path_.string(), ": ", std::strerror(errno)));
  }
  last_token_.assign(token, kTokenSize);
  seen_token_ = true;
  absl::MutexLock generation_lock(&generation_mu_);
  generation_token_.assign(token, kTokenSize);
  ++generation_;
  return absl::OkStatus();
}

absl::StatusOr<std::string> LockFile::ReadToken() const {
  char token[kTokenSize];
  ssize_t n = ::pread(fd_.get(), token, kTokenSize, 0);
  if (n < 0) {
    return absl::InternalError(
        StrCat("read lock file ", path_.string(), ": ", std::strerror(errno)));
  }
  return std::string(token, static_cast<size_t>(n));
}

absl::StatusOr<bool> LockFile::Modified() {
  absl::StatusOr<std::string> read = ReadToken();
  if (!read.ok()) return read.status();
  std::string current = *std::move(read);
  // Like newer containers/storage, an unchanged short token (a lock file nobody wrote yet) is no
  // change; 1.43 reports every short read as one, which only costs it extra reloads.
  bool modified = !seen_token_ || current != last_token_;
  seen_token_ = true;
  last_token_ = std::move(current);
  return modified;
}

absl::StatusOr<uint64_t> LockFile::Generation() {
  absl::StatusOr<std::string> current = ReadToken();
  if (!current.ok()) return current.status();
  absl::MutexLock lock(&generation_mu_);
  // Generation 0 is never current: the first look always counts as a change.
  if (generation_ == 0 || *current != generation_token_) {
    generation_token_ = *std::move(current);
    ++generation_;
  }
  return generation_;
}

}  // namespace crio::storage
