// The pod sandbox RPCs of the RuntimeService: request checks and translation to the sandbox area.
#include "crio/sandbox/manager.h"

#include <nlohmann/json.hpp>

#include "crio/common/log.h"
#include "grpc_status.h"
#include "runtime_service.h"
#include "status_fill.h"

namespace crio::server {
namespace {

using runtime::v1::PodSandboxState;

PodSandboxState ToCri(sandbox::SandboxState state) {
  return state == sandbox::SandboxState::kReady ? runtime::v1::SANDBOX_READY
                                                : runtime::v1::SANDBOX_NOTREADY;
}

void FillCommon(const sandbox::Sandbox& pod, runtime::v1::PodSandbox* out) {
  out->set_id(pod.id);
  *out->mutable_metadata() = pod.config.metadata();
  out->set_state(ToCri(pod.state));
  out->set_created_at(pod.created_at);
  *out->mutable_labels() = pod.config.labels();
  *out->mutable_annotations() = pod.config.annotations();
  out->set_runtime_handler(pod.runtime_handler);
}

std::string VerboseInfo(const sandbox::Sandbox& pod) {
  nlohmann::json info = {
      {"id", pod.id},
      {"name", pod.name},
      {"hostname", pod.hostname},
      {"runtimeHandler", pod.runtime_handler},
      {"cgroupParent", pod.cgroup_parent},
      {"namespaces",
       {{"network", pod.net_ns.string()},
        {"ipc", pod.ipc_ns.string()},
        {"uts", pod.uts_ns.string()},
        {"user", pod.user_ns.string()}}},
      {"shmPath", pod.shm_path.string()},
      {"resolvPath", pod.resolv_conf_path().string()},
      {"hostnamePath", pod.hostname_path().string()},
      {"hostsPath", pod.hosts_path().string()},
      {"network", {{"name", pod.network_name}, {"ips", pod.ips}}},
      {"infraContainer", pod.infra.has_value()},
  };
  if (pod.infra) {
    info["pid"] = pod.infra->pid;
    info["image"] = pod.infra->image_id;
    info["bundle"] = pod.infra->bundle.string();
  }
  return info.dump();
}

}  // namespace

void FillPodStatus(const sandbox::Sandbox& pod_ref, runtime::v1::PodSandboxStatus* status) {
  const sandbox::Sandbox* pod = &pod_ref;
  status->set_id(pod->id);
  *status->mutable_metadata() = pod->config.metadata();
  status->set_state(ToCri(pod->state));
  status->set_created_at(pod->created_at);
  if (!pod->ips.empty()) {
    status->mutable_network()->set_ip(pod->ips.front());
    for (size_t i = 1; i < pod->ips.size(); ++i) {
      status->mutable_network()->add_additional_ips()->set_ip(pod->ips[i]);
    }
  }
  *status->mutable_linux()->mutable_namespaces()->mutable_options() =
      pod->config.linux().security_context().namespace_options();
  *status->mutable_labels() = pod->config.labels();
  *status->mutable_annotations() = pod->config.annotations();
  status->set_runtime_handler(pod->runtime_handler);
}

grpc::Status RuntimeServiceImpl::RunPodSandbox(grpc::ServerContext*,
                                               const runtime::v1::RunPodSandboxRequest* request,
                                               runtime::v1::RunPodSandboxResponse* response) {
  if (!request->has_config()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "pod sandbox config is missing");
  }
  absl::StatusOr<std::string> id =
      services_.sandboxes->Run(request->config(), request->runtime_handler());
  if (!id.ok()) return ToGrpc(id.status());
  response->set_pod_sandbox_id(*id);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::StopPodSandbox(grpc::ServerContext*,
                                                const runtime::v1::StopPodSandboxRequest* request,
                                                runtime::v1::StopPodSandboxResponse*) {
  absl::Status stopped = services_.sandboxes->Stop(request->pod_sandbox_id());
  // The CRI asks for success on a pod that is already gone (the kubelet retries stops).
  if (absl::IsNotFound(stopped)) {
    spdlog::debug("StopPodSandbox: {}", stopped.message());
    return grpc::Status::OK;
  }
  return ToGrpc(stopped);
}

grpc::Status RuntimeServiceImpl::RemovePodSandbox(
    grpc::ServerContext*, const runtime::v1::RemovePodSandboxRequest* request,
    runtime::v1::RemovePodSandboxResponse*) {
  absl::Status removed = services_.sandboxes->Remove(request->pod_sandbox_id());
  if (absl::IsNotFound(removed)) {
    spdlog::debug("RemovePodSandbox: {}", removed.message());
    return grpc::Status::OK;
  }
  return ToGrpc(removed);
}

grpc::Status RuntimeServiceImpl::PodSandboxStatus(
    grpc::ServerContext*, const runtime::v1::PodSandboxStatusRequest* request,
    runtime::v1::PodSandboxStatusResponse* response) {
  absl::StatusOr<sandbox::Sandbox> pod = services_.sandboxes->Get(request->pod_sandbox_id());
  if (!pod.ok()) return ToGrpc(pod.status());
  FillPodStatus(*pod, response->mutable_status());
  if (request->verbose()) (*response->mutable_info())["info"] = VerboseInfo(*pod);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::ListPodSandbox(grpc::ServerContext*,
                                                const runtime::v1::ListPodSandboxRequest* request,
                                                runtime::v1::ListPodSandboxResponse* response) {
  sandbox::SandboxFilter filter;
  if (request->has_filter()) {
    const auto& wanted = request->filter();
    filter.id = wanted.id();
    if (wanted.has_state()) {
      filter.state = wanted.state().state() == runtime::v1::SANDBOX_READY
                         ? sandbox::SandboxState::kReady
                         : sandbox::SandboxState::kNotReady;
    }
    filter.labels.insert(wanted.label_selector().begin(), wanted.label_selector().end());
  }
  for (const sandbox::Sandbox& pod : services_.sandboxes->List(filter)) {
    FillCommon(pod, response->add_items());
  }
  return grpc::Status::OK;
}

}  // namespace crio::server
