#include "crio/common/event_hub.h"

#include <algorithm>

namespace crio {

std::optional<LifecycleEvent> EventHub::Subscription::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto has_event = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_event), timeout)) return std::nullopt;
  LifecycleEvent event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

uint64_t EventHub::Subscription::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void EventHub::Subscription::Push(const LifecycleEvent& event) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= bound_) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(event);
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe(size_t bound) {
  auto subscription = std::make_shared<Subscription>(bound);
  absl::MutexLock lock(&mu_);
  subscribers_.push_back(subscription);
  return subscription;
}

void EventHub::Publish(const LifecycleEvent& event) {
  std::vector<std::shared_ptr<Subscription>> live;
  {
    absl::MutexLock lock(&mu_);
    std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
    for (const auto& weak : subscribers_) {
      if (auto subscription = weak.lock()) live.push_back(std::move(subscription));
    }
  }
  for (const auto& subscription : live) subscription->Push(event);
}

}  // namespace crio
