// Exec, Attach and PortForward: validate, then hand out a single-use URL on the streaming
// server, which does the rest when the client connects.
#include "crio/common/strings.h"
#include "crio/container/manager.h"
#include "crio/sandbox/manager.h"
#include "crio/streaming/server.h"
#include "grpc_status.h"
#include "runtime_service.h"

namespace crio::server {
namespace {

absl::Status ValidateFlags(const streaming::StreamFlags& flags) {
  if (!flags.stdin && !flags.stdout && !flags.stderr) {
    return absl::InvalidArgumentError("one of stdin, stdout, or stderr must be set");
  }
  if (flags.tty && flags.stderr) {
    return absl::InvalidArgumentError("tty and stderr cannot both be true");
  }
  return absl::OkStatus();
}

// The full id of a running container, for a session to find it by.
absl::StatusOr<std::string> RunningContainerId(container::ContainerManager& containers,
                                               const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("container ID should not be empty");
  absl::StatusOr<container::Container> found = containers.Get(id);
  if (!found.ok()) return found.status();
  if (found->state != container::ContainerState::kRunning) {
    return absl::FailedPreconditionError(StrCat("container ", found->id, " is not running"));
  }
  return found->id;
}

// What Exec and Attach share: the flags and the container checked, then a URL for `request`.
template <typename Request>
grpc::Status UrlFor(const Services& services, Request request,
                    absl::StatusOr<std::string> (streaming::Server::*url_for)(const Request&),
                    std::string* url) {
  if (services.streaming == nullptr) {
    return ToGrpc(absl::UnavailableError("the streaming server is not running"));
  }
  if (absl::Status valid = ValidateFlags(request.flags); !valid.ok()) return ToGrpc(valid);
  absl::StatusOr<std::string> id = RunningContainerId(*services.containers, request.container_id);
  if (!id.ok()) return ToGrpc(id.status());
  request.container_id = *id;
  absl::StatusOr<std::string> made = (services.streaming->*url_for)(request);
  if (!made.ok()) return ToGrpc(made.status());
  *url = *made;
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RuntimeServiceImpl::Exec(grpc::ServerContext*, const runtime::v1::ExecRequest* request,
                                      runtime::v1::ExecResponse* response) {
  streaming::ExecRequest exec;
  exec.container_id = request->container_id();
  exec.cmd.assign(request->cmd().begin(), request->cmd().end());
  exec.flags = {request->stdin(), request->stdout(), request->stderr(), request->tty()};
  if (exec.cmd.empty()) return ToGrpc(absl::InvalidArgumentError("exec command is empty"));
  return UrlFor(services_, std::move(exec), &streaming::Server::ExecUrl, response->mutable_url());
}

grpc::Status RuntimeServiceImpl::Attach(grpc::ServerContext*,
                                        const runtime::v1::AttachRequest* request,
                                        runtime::v1::AttachResponse* response) {
  streaming::AttachRequest attach;
  attach.container_id = request->container_id();
  attach.flags = {request->stdin(), request->stdout(), request->stderr(), request->tty()};
  return UrlFor(services_, std::move(attach), &streaming::Server::AttachUrl,
                response->mutable_url());
}

grpc::Status RuntimeServiceImpl::PortForward(grpc::ServerContext*,
                                             const runtime::v1::PortForwardRequest* request,
                                             runtime::v1::PortForwardResponse* response) {
  if (services_.streaming == nullptr) {
    return ToGrpc(absl::UnavailableError("the streaming server is not running"));
  }
  if (request->pod_sandbox_id().empty()) {
    return ToGrpc(absl::InvalidArgumentError("pod sandbox ID should not be empty"));
  }
  absl::StatusOr<sandbox::Sandbox> pod = services_.sandboxes->Get(request->pod_sandbox_id());
  if (!pod.ok()) return ToGrpc(pod.status());
  if (pod->state != sandbox::SandboxState::kReady) {
    return ToGrpc(absl::FailedPreconditionError(StrCat("pod sandbox ", pod->id, " is not ready")));
  }
  streaming::PortForwardRequest forward;
  forward.pod_id = pod->id;
  for (int32_t port : request->port()) {
    if (port <= 0 || port > 65535) {
      return ToGrpc(absl::InvalidArgumentError(StrCat("invalid port ", port)));
    }
    forward.ports.push_back(port);
  }
  absl::StatusOr<std::string> url = services_.streaming->PortForwardUrl(forward);
  if (!url.ok()) return ToGrpc(url.status());
  response->set_url(*url);
  return grpc::Status::OK;
}

}  // namespace crio::server
