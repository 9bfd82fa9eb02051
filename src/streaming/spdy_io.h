#pragma once

// Small blocking-IO helpers for the SPDY transports' pump threads: reads and writes on plain
// fds that a StopEvent can interrupt (so every pump thread can be joined), and pipe writes
// that report EPIPE instead of killing the process with SIGPIPE.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>

#include "crio/common/unique_fd.h"

namespace crio::streaming {

// An eventfd that, once signalled, stays readable: wakes every waiter for good.
class StopEvent {
 public:
  StopEvent();
  void Signal();
  bool signaled() const;
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// Counts finished pumps; lets the session wait for some of them with a deadline.
class DoneCounter {
 public:
  void Done();
  // True if `count` Done() calls happened before `timeout`.
  bool WaitFor(int count, std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
};

// Blocks SIGPIPE in the calling thread so a write to a closed pipe fails with EPIPE.
void BlockSigpipeInThisThread();
// Makes `fd` non-blocking (our own end of a pipe: the other end keeps its blocking mode).
bool SetNonBlocking(int fd);
// Reads up to `size` bytes once `fd` is readable. >0: bytes, 0: EOF, -1: error or stopped.
// Data already readable is returned even after a stop. `also` is a second, optional stop.
ssize_t ReadOrStop(int fd, char* buf, size_t size, const StopEvent* stop,
                   const StopEvent* also = nullptr);
// Writes all of `data`, waiting for `fd` to be writable. False on error (EPIPE: the reader is
// gone) or when stopped.
bool WriteAllOrStop(int fd, std::string_view data, const StopEvent* stop,
                    const StopEvent* also = nullptr);

}  // namespace crio::streaming
