#pragma once

#include <any>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace crio {

// A lifecycle event of a container or a pod (whose "container" id is the pod's id), in the CRI's
// terms: what GetContainerEvents streams to the kubelet's evented PLEG.
struct LifecycleEvent {
  enum class Type { kCreated, kStarted, kStopped, kDeleted };
  std::string container_id;
  std::string pod_id;
  Type type = Type::kCreated;
  int64_t created_at = 0;  // Unix nanoseconds
  // What the subject was when the event happened (the publisher's record type), for readers
  // that come later: by then a stopped container may already be gone.
  std::shared_ptr<const std::any> subject;
};

// Fan-out of lifecycle events to every subscriber. A subscriber that falls behind by more than
// its bound loses its oldest events (and is told how many), so a stalled client never blocks a
// container operation or holds unbounded memory.
class EventHub {
 public:
  class Subscription {
   public:
    explicit Subscription(size_t bound) : bound_(bound) {}
    // The next event, waiting up to `timeout`; nullopt when none came.
    std::optional<LifecycleEvent> Next(absl::Duration timeout);
    uint64_t dropped() const;

   private:
    friend class EventHub;
    void Push(const LifecycleEvent& event);
    const size_t bound_;
    mutable absl::Mutex mu_;
    std::deque<LifecycleEvent> queue_ ABSL_GUARDED_BY(mu_);
    uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  };

  std::shared_ptr<Subscription> Subscribe(size_t bound = 1000);
  void Publish(const LifecycleEvent& event);

 private:
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Subscription>> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace crio
