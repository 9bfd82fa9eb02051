#pragma once

#include <memory>

#include "crio/config/holder.h"
#include "runtime/v1/api.grpc.pb.h"
#include "unimplemented.h"

namespace crio::server {

// runtime.v1.RuntimeService: translates CRI requests into calls on the areas below.
class RuntimeServiceImpl final : public runtime::v1::RuntimeService::Service {
 public:
  explicit RuntimeServiceImpl(std::shared_ptr<config::ConfigHolder> config)
      : config_(std::move(config)) {}

  grpc::Status Version(grpc::ServerContext* context, const runtime::v1::VersionRequest* request,
                       runtime::v1::VersionResponse* response) override;
  grpc::Status Status(grpc::ServerContext* context, const runtime::v1::StatusRequest* request,
                      runtime::v1::StatusResponse* response) override;
  grpc::Status RuntimeConfig(grpc::ServerContext* context,
                             const runtime::v1::RuntimeConfigRequest* request,
                             runtime::v1::RuntimeConfigResponse* response) override;

  CRIO_UNARY_NOT_YET(RunPodSandbox, RunPodSandboxRequest, RunPodSandboxResponse)
  CRIO_UNARY_NOT_YET(StopPodSandbox, StopPodSandboxRequest, StopPodSandboxResponse)
  CRIO_UNARY_NOT_YET(RemovePodSandbox, RemovePodSandboxRequest, RemovePodSandboxResponse)
  CRIO_UNARY_NOT_YET(PodSandboxStatus, PodSandboxStatusRequest, PodSandboxStatusResponse)
  CRIO_UNARY_NOT_YET(ListPodSandbox, ListPodSandboxRequest, ListPodSandboxResponse)
  CRIO_STREAM_NOT_YET(StreamPodSandboxes, StreamPodSandboxesRequest, StreamPodSandboxesResponse)
  CRIO_UNARY_NOT_YET(CreateContainer, CreateContainerRequest, CreateContainerResponse)
  CRIO_UNARY_NOT_YET(StartContainer, StartContainerRequest, StartContainerResponse)
  CRIO_UNARY_NOT_YET(StopContainer, StopContainerRequest, StopContainerResponse)
  CRIO_UNARY_NOT_YET(RemoveContainer, RemoveContainerRequest, RemoveContainerResponse)
  CRIO_UNARY_NOT_YET(ListContainers, ListContainersRequest, ListContainersResponse)
  CRIO_STREAM_NOT_YET(StreamContainers, StreamContainersRequest, StreamContainersResponse)
  CRIO_UNARY_NOT_YET(ContainerStatus, ContainerStatusRequest, ContainerStatusResponse)
  CRIO_UNARY_NOT_YET(UpdateContainerResources, UpdateContainerResourcesRequest,
                     UpdateContainerResourcesResponse)
  CRIO_UNARY_NOT_YET(ReopenContainerLog, ReopenContainerLogRequest, ReopenContainerLogResponse)
  CRIO_UNARY_NOT_YET(ExecSync, ExecSyncRequest, ExecSyncResponse)
  CRIO_UNARY_NOT_YET(Exec, ExecRequest, ExecResponse)
  CRIO_UNARY_NOT_YET(Attach, AttachRequest, AttachResponse)
  CRIO_UNARY_NOT_YET(PortForward, PortForwardRequest, PortForwardResponse)
  CRIO_UNARY_NOT_YET(ContainerStats, ContainerStatsRequest, ContainerStatsResponse)
  CRIO_UNARY_NOT_YET(ListContainerStats, ListContainerStatsRequest, ListContainerStatsResponse)
  CRIO_STREAM_NOT_YET(StreamContainerStats, StreamContainerStatsRequest,
                      StreamContainerStatsResponse)
  CRIO_UNARY_NOT_YET(PodSandboxStats, PodSandboxStatsRequest, PodSandboxStatsResponse)
  CRIO_UNARY_NOT_YET(ListPodSandboxStats, ListPodSandboxStatsRequest, ListPodSandboxStatsResponse)
  CRIO_STREAM_NOT_YET(StreamPodSandboxStats, StreamPodSandboxStatsRequest,
                      StreamPodSandboxStatsResponse)
  CRIO_UNARY_NOT_YET(UpdateRuntimeConfig, UpdateRuntimeConfigRequest, UpdateRuntimeConfigResponse)
  CRIO_UNARY_NOT_YET(CheckpointContainer, CheckpointContainerRequest, CheckpointContainerResponse)
  CRIO_STREAM_NOT_YET(GetContainerEvents, GetEventsRequest, ContainerEventResponse)
  CRIO_UNARY_NOT_YET(ListMetricDescriptors, ListMetricDescriptorsRequest,
                     ListMetricDescriptorsResponse)
  CRIO_UNARY_NOT_YET(ListPodSandboxMetrics, ListPodSandboxMetricsRequest,
                     ListPodSandboxMetricsResponse)
  CRIO_STREAM_NOT_YET(StreamPodSandboxMetrics, StreamPodSandboxMetricsRequest,
                      StreamPodSandboxMetricsResponse)
  CRIO_UNARY_NOT_YET(UpdatePodSandboxResources, UpdatePodSandboxResourcesRequest,
                     UpdatePodSandboxResourcesResponse)

 private:
  std::shared_ptr<config::ConfigHolder> config_;
};

}  // namespace crio::server
