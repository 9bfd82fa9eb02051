// UpdateContainerResources, ReopenContainerLog and the stats RPCs: translation only.
#include "crio/container/manager.h"
#include "crio/sandbox/manager.h"

#include "grpc_status.h"
#include "runtime_service.h"

namespace crio::server {
namespace {

// CPU and memory figures of a cgroup; the CRI has the same messages for pods and containers.
template <class Message>
void FillCpuAndMemory(const oci::CgroupStats& cgroup, int64_t timestamp, Message* out) {
  out->mutable_cpu()->set_timestamp(timestamp);
  out->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(cgroup.cpu_usage_ns);
  auto* memory = out->mutable_memory();
  memory->set_timestamp(timestamp);
  memory->mutable_working_set_bytes()->set_value(cgroup.working_set);
  memory->mutable_usage_bytes()->set_value(cgroup.memory_usage);
  memory->mutable_rss_bytes()->set_value(cgroup.rss);
  memory->mutable_page_faults()->set_value(cgroup.page_faults);
  memory->mutable_major_page_faults()->set_value(cgroup.major_page_faults);
}

void FillContainerStats(const container::ContainerStatsData& data,
                        runtime::v1::ContainerStats* out) {
  const container::Container& c = data.container;
  auto* attributes = out->mutable_attributes();
  attributes->set_id(c.id);
  *attributes->mutable_metadata() = c.config.metadata();
  *attributes->mutable_labels() = c.config.labels();
  *attributes->mutable_annotations() = c.config.annotations();
  if (data.has_cgroup) FillCpuAndMemory(data.cgroup, data.timestamp, out);
  auto* layer = out->mutable_writable_layer();
  layer->set_timestamp(data.timestamp);
  layer->mutable_fs_id()->set_mountpoint(data.writable_layer_mountpoint);
  layer->mutable_used_bytes()->set_value(data.writable_layer_bytes);
  layer->mutable_inodes_used()->set_value(data.writable_layer_inodes);
}

void FillPodStats(const container::PodStatsData& data, runtime::v1::PodSandboxStats* out) {
  auto* attributes = out->mutable_attributes();
  attributes->set_id(data.pod.id);
  *attributes->mutable_metadata() = data.pod.config.metadata();
  *attributes->mutable_labels() = data.pod.config.labels();
  *attributes->mutable_annotations() = data.pod.config.annotations();
  auto* linux = out->mutable_linux();
  if (data.has_cgroup) {
    FillCpuAndMemory(data.cgroup, data.timestamp, linux);
    linux->mutable_process()->set_timestamp(data.timestamp);
    linux->mutable_process()->mutable_process_count()->set_value(data.cgroup.pids);
  }
  if (!data.interfaces.empty()) {
    auto* network = linux->mutable_network();
    network->set_timestamp(data.timestamp);
    for (size_t i = 0; i < data.interfaces.size(); ++i) {
      const network::InterfaceStats& stats = data.interfaces[i];
      // eth0, where CNI puts the pod's interface, is the default one.
      runtime::v1::NetworkInterfaceUsage* usage =
          stats.name == "eth0" ? network->mutable_default_interface() : network->add_interfaces();
      usage->set_name(stats.name);
      usage->mutable_rx_bytes()->set_value(stats.rx_bytes);
      usage->mutable_rx_errors()->set_value(stats.rx_errors);
      usage->mutable_tx_bytes()->set_value(stats.tx_bytes);
      usage->mutable_tx_errors()->set_value(stats.tx_errors);
    }
  }
  for (const auto& container : data.containers) {
    FillContainerStats(container, linux->add_containers());
  }
}

}  // namespace

grpc::Status RuntimeServiceImpl::UpdateContainerResources(
    grpc::ServerContext*, const runtime::v1::UpdateContainerResourcesRequest* request,
    runtime::v1::UpdateContainerResourcesResponse*) {
  if (!request->has_linux()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "linux resources are missing");
  }
  return ToGrpc(services_.containers->UpdateResources(request->container_id(), request->linux()));
}

grpc::Status RuntimeServiceImpl::ReopenContainerLog(
    grpc::ServerContext*, const runtime::v1::ReopenContainerLogRequest* request,
    runtime::v1::ReopenContainerLogResponse*) {
  return ToGrpc(services_.containers->ReopenLog(request->container_id()));
}

grpc::Status RuntimeServiceImpl::ContainerStats(grpc::ServerContext*,
                                                const runtime::v1::ContainerStatsRequest* request,
                                                runtime::v1::ContainerStatsResponse* response) {
  absl::StatusOr<container::ContainerStatsData> stats =
      services_.containers->Stats(request->container_id());
  if (!stats.ok()) return ToGrpc(stats.status());
  FillContainerStats(*stats, response->mutable_stats());
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::ListContainerStats(
    grpc::ServerContext*, const runtime::v1::ListContainerStatsRequest* request,
    runtime::v1::ListContainerStatsResponse* response) {
  container::ContainerFilter filter;
  filter.id = request->filter().id();
  filter.pod_id = request->filter().pod_sandbox_id();
  filter.labels.insert(request->filter().label_selector().begin(),
                       request->filter().label_selector().end());
  for (const auto& stats : services_.containers->ListStats(filter)) {
    FillContainerStats(stats, response->add_stats());
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::PodSandboxStats(grpc::ServerContext*,
                                                 const runtime::v1::PodSandboxStatsRequest* request,
                                                 runtime::v1::PodSandboxStatsResponse* response) {
  absl::StatusOr<container::PodStatsData> stats =
      services_.containers->PodStats(request->pod_sandbox_id());
  if (!stats.ok()) return ToGrpc(stats.status());
  FillPodStats(*stats, response->mutable_stats());
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::ListPodSandboxStats(
    grpc::ServerContext*, const runtime::v1::ListPodSandboxStatsRequest* request,
    runtime::v1::ListPodSandboxStatsResponse* response) {
  sandbox::SandboxFilter filter;
  filter.id = request->filter().id();
  filter.labels.insert(request->filter().label_selector().begin(),
                       request->filter().label_selector().end());
  for (const sandbox::Sandbox& pod : services_.sandboxes->List(filter)) {
    absl::StatusOr<container::PodStatsData> stats = services_.containers->PodStats(pod.id);
    if (stats.ok()) FillPodStats(*stats, response->add_stats());
  }
  return grpc::Status::OK;
}

}  // namespace crio::server
