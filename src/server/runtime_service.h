#pragma once

#include <memory>

#include "crio/config/holder.h"
#include "crio/server/cri_server.h"
#include "runtime/v1/api.grpc.pb.h"
#include "unimplemented.h"

namespace crio::server {

// runtime.v1.RuntimeService: translates CRI requests into calls on the areas below.
class RuntimeServiceImpl final : public runtime::v1::RuntimeService::Service {
 public:
  RuntimeServiceImpl(std::shared_ptr<config::ConfigHolder> config, const Services& services)
      : config_(std::move(config)), services_(services) {}

  grpc::Status Version(grpc::ServerContext* context, const runtime::v1::VersionRequest* request,
                       runtime::v1::VersionResponse* response) override;
  grpc::Status Status(grpc::ServerContext* context, const runtime::v1::StatusRequest* request,
                      runtime::v1::StatusResponse* response) override;
  grpc::Status RuntimeConfig(grpc::ServerContext* context,
                             const runtime::v1::RuntimeConfigRequest* request,
                             runtime::v1::RuntimeConfigResponse* response) override;

  grpc::Status RunPodSandbox(grpc::ServerContext* context,
                             const runtime::v1::RunPodSandboxRequest* request,
                             runtime::v1::RunPodSandboxResponse* response) override;
  grpc::Status StopPodSandbox(grpc::ServerContext* context,
                              const runtime::v1::StopPodSandboxRequest* request,
                              runtime::v1::StopPodSandboxResponse* response) override;
  grpc::Status RemovePodSandbox(grpc::ServerContext* context,
                                const runtime::v1::RemovePodSandboxRequest* request,
                                runtime::v1::RemovePodSandboxResponse* response) override;
  grpc::Status PodSandboxStatus(grpc::ServerContext* context,
                                const runtime::v1::PodSandboxStatusRequest* request,
                                runtime::v1::PodSandboxStatusResponse* response) override;
  grpc::Status ListPodSandbox(grpc::ServerContext* context,
                              const runtime::v1::ListPodSandboxRequest* request,
                              runtime::v1::ListPodSandboxResponse* response) override;
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
  Services services_;
};

}  // namespace crio::server
