#pragma once

#include "crio/container/manager.h"
#include "crio/sandbox/manager.h"

namespace crio::server {

// The CRI status messages of a pod and of a container, shared by the status RPCs and the event
// stream.
void FillPodStatus(const sandbox::Sandbox& pod, runtime::v1::PodSandboxStatus* status);
void FillContainerStatus(const container::Container& container,
                         runtime::v1::ContainerStatus* status);

}  // namespace crio::server
