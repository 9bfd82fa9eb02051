#pragma once

#include <memory>

#include "crio/config/holder.h"
#include "crio/server/cri_server.h"
#include "list_stream.h"
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
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext* context,
                                   const runtime::v1::UpdateRuntimeConfigRequest* request,
                                   runtime::v1::UpdateRuntimeConfigResponse* response) override;

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
  CRIO_STREAM_FROM_LIST(StreamPodSandboxes, ListPodSandbox, items, pod_sandboxes)
  grpc::Status CreateContainer(grpc::ServerContext* context,
                               const runtime::v1::CreateContainerRequest* request,
                               runtime::v1::CreateContainerResponse* response) override;
  grpc::Status StartContainer(grpc::ServerContext* context,
                              const runtime::v1::StartContainerRequest* request,
                              runtime::v1::StartContainerResponse* response) override;
  grpc::Status StopContainer(grpc::ServerContext* context,
                             const runtime::v1::StopContainerRequest* request,
                             runtime::v1::StopContainerResponse* response) override;
  grpc::Status RemoveContainer(grpc::ServerContext* context,
                               const runtime::v1::RemoveContainerRequest* request,
                               runtime::v1::RemoveContainerResponse* response) override;
  grpc::Status ListContainers(grpc::ServerContext* context,
                              const runtime::v1::ListContainersRequest* request,
                              runtime::v1::ListContainersResponse* response) override;
  CRIO_STREAM_FROM_LIST(StreamContainers, ListContainers, containers, containers)
  grpc::Status ContainerStatus(grpc::ServerContext* context,
                               const runtime::v1::ContainerStatusRequest* request,
                               runtime::v1::ContainerStatusResponse* response) override;
  grpc::Status UpdateContainerResources(
      grpc::ServerContext* context, const runtime::v1::UpdateContainerResourcesRequest* request,
      runtime::v1::UpdateContainerResourcesResponse* response) override;
  grpc::Status ReopenContainerLog(grpc::ServerContext* context,
                                  const runtime::v1::ReopenContainerLogRequest* request,
                                  runtime::v1::ReopenContainerLogResponse* response) override;
  grpc::Status ExecSync(grpc::ServerContext* context, const runtime::v1::ExecSyncRequest* request,
                        runtime::v1::ExecSyncResponse* response) override;
  grpc::Status Exec(grpc::ServerContext* context, const runtime::v1::ExecRequest* request,
                    runtime::v1::ExecResponse* response) override;
  grpc::Status Attach(grpc::ServerContext* context, const runtime::v1::AttachRequest* request,
                      runtime::v1::AttachResponse* response) override;
  grpc::Status PortForward(grpc::ServerContext* context,
                           const runtime::v1::PortForwardRequest* request,
                           runtime::v1::PortForwardResponse* response) override;
  grpc::Status ContainerStats(grpc::ServerContext* context,
                              const runtime::v1::ContainerStatsRequest* request,
                              runtime::v1::ContainerStatsResponse* response) override;
  grpc::Status ListContainerStats(grpc::ServerContext* context,
                                  const runtime::v1::ListContainerStatsRequest* request,
                                  runtime::v1::ListContainerStatsResponse* response) override;
  CRIO_STREAM_FROM_LIST(StreamContainerStats, ListContainerStats, stats, container_stats)
  grpc::Status PodSandboxStats(grpc::ServerContext* context,
                               const runtime::v1::PodSandboxStatsRequest* request,
                               runtime::v1::PodSandboxStatsResponse* response) override;
  grpc::Status ListPodSandboxStats(grpc::ServerContext* context,
                                   const runtime::v1::ListPodSandboxStatsRequest* request,
                                   runtime::v1::ListPodSandboxStatsResponse* response) override;
  CRIO_STREAM_FROM_LIST(StreamPodSandboxStats, ListPodSandboxStats, stats, pod_sandbox_stats)
  grpc::Status CheckpointContainer(grpc::ServerContext* context,
                                   const runtime::v1::CheckpointContainerRequest* request,
                                   runtime::v1::CheckpointContainerResponse* response) override;
  grpc::Status GetContainerEvents(
      grpc::ServerContext* context, const runtime::v1::GetEventsRequest* request,
      grpc::ServerWriter<runtime::v1::ContainerEventResponse>* writer) override;
  grpc::Status ListMetricDescriptors(grpc::ServerContext* context,
                                     const runtime::v1::ListMetricDescriptorsRequest* request,
                                     runtime::v1::ListMetricDescriptorsResponse* response) override;
  grpc::Status ListPodSandboxMetrics(grpc::ServerContext* context,
                                     const runtime::v1::ListPodSandboxMetricsRequest* request,
                                     runtime::v1::ListPodSandboxMetricsResponse* response) override;
  CRIO_STREAM_FROM_LIST(StreamPodSandboxMetrics, ListPodSandboxMetrics, pod_metrics,
                        pod_sandbox_metrics)
  CRIO_UNARY_NOT_YET(UpdatePodSandboxResources, UpdatePodSandboxResourcesRequest,
                     UpdatePodSandboxResourcesResponse)

 private:
  std::shared_ptr<config::ConfigHolder> config_;
  Services services_;
};

}  // namespace crio::server
