// GetContainerEvents: the lifecycle events of pods and containers, streamed with their current
// statuses (what the kubelet's evented PLEG consumes).
#include "crio/common/event_hub.h"
#include "crio/common/log.h"
#include "runtime_service.h"
#include "status_fill.h"

namespace crio::server {
namespace {

runtime::v1::ContainerEventType ToCri(LifecycleEvent::Type type) {
  switch (type) {
    case LifecycleEvent::Type::kCreated:
      return runtime::v1::CONTAINER_CREATED_EVENT;
    case LifecycleEvent::Type::kStarted:
      return runtime::v1::CONTAINER_STARTED_EVENT;
    case LifecycleEvent::Type::kStopped:
      return runtime::v1::CONTAINER_STOPPED_EVENT;
    case LifecycleEvent::Type::kDeleted:
      break;
  }
  return runtime::v1::CONTAINER_DELETED_EVENT;
}

// How often a waiting stream looks whether its client went away.
constexpr absl::Duration kCancelCheck = absl::Milliseconds(200);

}  // namespace

grpc::Status RuntimeServiceImpl::GetContainerEvents(
    grpc::ServerContext* context, const runtime::v1::GetEventsRequest*,
    grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) {
  std::shared_ptr<EventHub::Subscription> subscription = services_.events->Subscribe();
  uint64_t reported_drops = 0;
  while (!context->IsCancelled()) {
    std::optional<LifecycleEvent> event = subscription->Next(kCancelCheck);
    if (!event) continue;
    if (uint64_t dropped = subscription->dropped(); dropped != reported_drops) {
      spdlog::warn("GetContainerEvents: a slow client missed {} event(s)",
                   dropped - reported_drops);
      reported_drops = dropped;
    }
    runtime::v1::ContainerEventResponse response;
    response.set_container_id(event->container_id);
    response.set_container_event_type(ToCri(event->type));
    response.set_created_at(event->created_at);
    // The event's own container as it was then, as CRI-O builds its events when they happen:
    // a STOPPED event read after the container was removed still carries its exit. The pod and
    // its other containers as they are now; a deleted pod has none.
    const auto* then = event->subject != nullptr
                           ? std::any_cast<container::Container>(event->subject.get())
                           : nullptr;
    if (absl::StatusOr<sandbox::Sandbox> pod = services_.sandboxes->Get(event->pod_id); pod.ok()) {
      FillPodStatus(*pod, response.mutable_pod_sandbox_status());
      for (const container::Container& c : services_.containers->List({.pod_id = pod->id})) {
        if (then != nullptr && c.id == then->id) continue;
        FillContainerStatus(c, response.add_containers_statuses());
      }
      if (then != nullptr && event->type != LifecycleEvent::Type::kDeleted) {
        FillContainerStatus(*then, response.add_containers_statuses());
      }
    }
    if (!writer->Write(response)) break;  // the client hung up
  }
  return grpc::Status::OK;
}

}  // namespace crio::server
