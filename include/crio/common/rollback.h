#pragma once

#include <functional>
#include <vector>

namespace crio {

// Undo steps of a multi-step operation, run in reverse order when it goes out of scope without
// Commit(): each step registers how to take itself back as soon as it has succeeded.
class Rollback {
 public:
  Rollback() = default;
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
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

}  // namespace crio
