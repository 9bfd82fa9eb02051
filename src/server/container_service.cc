// The container RPCs of the RuntimeService: request checks and translation to the container area.
#include "crio/container/manager.h"

#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "grpc_status.h"
#include "runtime_service.h"
#include "status_fill.h"

namespace crio::server {
namespace {

using container::Container;
using container::ContainerState;

runtime::v1::ContainerState ToCri(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated:
      return runtime::v1::CONTAINER_CREATED;
    case ContainerState::kRunning:
      return runtime::v1::CONTAINER_RUNNING;
    case ContainerState::kExited:
      return runtime::v1::CONTAINER_EXITED;
    case ContainerState::kUnknown:
      break;
  }
  return runtime::v1::CONTAINER_UNKNOWN;
}

std::optional<ContainerState> FromCri(runtime::v1::ContainerState state) {
  switch (state) {
    case runtime::v1::CONTAINER_CREATED:
      return ContainerState::kCreated;
    case runtime::v1::CONTAINER_RUNNING:
      return ContainerState::kRunning;
    case runtime::v1::CONTAINER_EXITED:
      return ContainerState::kExited;
    default:
      return ContainerState::kUnknown;
  }
}

std::string VerboseInfo(const Container& c) {
  nlohmann::json info = {{"sandboxID", c.pod_id},
                         {"pid", c.pid},
                         {"bundle", c.dir.string()},
                         {"runtimeHandler", c.runtime_handler},
                         {"notes", c.notes}};
  nlohmann::json spec =
      nlohmann::json::parse(crio::ReadFile(c.dir / "config.json").value_or("{}"), nullptr, false);
  if (!spec.is_discarded()) info["runtimeSpec"] = spec;
  return info.dump();
}

}  // namespace

void FillContainerStatus(const container::Container& c_ref, runtime::v1::ContainerStatus* status) {
  const container::Container* c = &c_ref;
  status->set_id(c->id);
  *status->mutable_metadata() = c->config.metadata();
  status->set_state(ToCri(c->state));
  status->set_created_at(c->created_at);
  status->set_started_at(c->started_at);
  status->set_finished_at(c->finished_at);
  status->set_exit_code(c->exit_code);
  *status->mutable_image() = c->config.image();
  status->set_image_ref(c->image_ref);
  status->set_image_id(c->image_id);
  status->set_reason(c->reason);
  status->set_message(c->message);
  *status->mutable_labels() = c->config.labels();
  *status->mutable_annotations() = c->config.annotations();
  for (const auto& mount : c->config.mounts()) *status->add_mounts() = mount;
  status->set_log_path(c->log_path);
  if (c->config.linux().has_resources()) {
    *status->mutable_resources()->mutable_linux() = c->config.linux().resources();
  }
}

grpc::Status RuntimeServiceImpl::CreateContainer(grpc::ServerContext*,
                                                 const runtime::v1::CreateContainerRequest* request,
                                                 runtime::v1::CreateContainerResponse* response) {
  if (!request->has_config()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "container config is missing");
  }
  absl::StatusOr<std::string> id =
      services_.containers->Create(request->pod_sandbox_id(), request->config());
  if (!id.ok()) return ToGrpc(id.status());
  response->set_container_id(*id);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::StartContainer(grpc::ServerContext*,
                                                const runtime::v1::StartContainerRequest* request,
                                                runtime::v1::StartContainerResponse*) {
  return ToGrpc(services_.containers->Start(request->container_id()));
}

grpc::Status RuntimeServiceImpl::StopContainer(grpc::ServerContext*,
                                               const runtime::v1::StopContainerRequest* request,
                                               runtime::v1::StopContainerResponse*) {
  absl::Status stopped =
      services_.containers->Stop(request->container_id(), absl::Seconds(request->timeout()));
  // Like CRI-O, stopping a container that is already gone succeeds (the kubelet retries).
  if (absl::IsNotFound(stopped)) return grpc::Status::OK;
  return ToGrpc(stopped);
}

grpc::Status RuntimeServiceImpl::RemoveContainer(grpc::ServerContext*,
                                                 const runtime::v1::RemoveContainerRequest* request,
                                                 runtime::v1::RemoveContainerResponse*) {
  absl::Status removed = services_.containers->Remove(request->container_id());
  if (absl::IsNotFound(removed)) return grpc::Status::OK;
  return ToGrpc(removed);
}

grpc::Status RuntimeServiceImpl::ContainerStatus(grpc::ServerContext*,
                                                 const runtime::v1::ContainerStatusRequest* request,
                                                 runtime::v1::ContainerStatusResponse* response) {
  absl::StatusOr<Container> c = services_.containers->Get(request->container_id());
  if (!c.ok()) return ToGrpc(c.status());
  FillContainerStatus(*c, response->mutable_status());
  if (request->verbose()) (*response->mutable_info())["info"] = VerboseInfo(*c);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::ListContainers(grpc::ServerContext*,
                                                const runtime::v1::ListContainersRequest* request,
                                                runtime::v1::ListContainersResponse* response) {
  container::ContainerFilter filter;
  if (request->has_filter()) {
    const auto& wanted = request->filter();
    filter.id = wanted.id();
    filter.pod_id = wanted.pod_sandbox_id();
    if (wanted.has_state()) filter.state = FromCri(wanted.state().state());
    filter.labels.insert(wanted.label_selector().begin(), wanted.label_selector().end());
  }
  for (const Container& c : services_.containers->List(filter)) {
    runtime::v1::Container* out = response->add_containers();
    out->set_id(c.id);
    out->set_pod_sandbox_id(c.pod_id);
    *out->mutable_metadata() = c.config.metadata();
    *out->mutable_image() = c.config.image();
    out->set_image_ref(c.image_ref);
    out->set_image_id(c.image_id);
    out->set_state(ToCri(c.state));
    out->set_created_at(c.created_at);
    *out->mutable_labels() = c.config.labels();
    *out->mutable_annotations() = c.config.annotations();
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::ExecSync(grpc::ServerContext*,
                                          const runtime::v1::ExecSyncRequest* request,
                                          runtime::v1::ExecSyncResponse* response) {
  std::vector<std::string> command(request->cmd().begin(), request->cmd().end());
  absl::StatusOr<oci::ExecSyncResult> result = services_.containers->ExecSync(
      request->container_id(), command, absl::Seconds(request->timeout()));
  if (!result.ok()) return ToGrpc(result.status());
  response->set_stdout(result->out);
  response->set_stderr(result->err);
  response->set_exit_code(result->exit_code);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::CheckpointContainer(
    grpc::ServerContext*, const runtime::v1::CheckpointContainerRequest* request,
    runtime::v1::CheckpointContainerResponse*) {
  return ToGrpc(services_.containers->Checkpoint(request->container_id()));
}

}  // namespace crio::server
