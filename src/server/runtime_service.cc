#include "runtime_service.h"

#include <spdlog/spdlog.h>

#include "crio/build_info.h"
#include "crio/config/render.h"
#include "crio/network/cni.h"
#include "crio/network/readiness.h"
#include "crio/oci/runtime_set.h"

namespace crio::server {
namespace {

// The CRI version string CRI-O answers in VersionResponse.version.
constexpr char kKubeRuntimeApiVersion[] = "0.1.0";
constexpr char kRuntimeName[] = "crio-cpp";

void AddCondition(runtime::v1::RuntimeStatus* status, const char* type, bool ready,
                  const std::string& reason, const std::string& message) {
  runtime::v1::RuntimeCondition* condition = status->add_conditions();
  condition->set_type(type);
  condition->set_status(ready);
  condition->set_reason(reason);
  condition->set_message(message);
}

}  // namespace

grpc::Status RuntimeServiceImpl::Version(grpc::ServerContext*, const runtime::v1::VersionRequest*,
                                         runtime::v1::VersionResponse* response) {
  response->set_version(kKubeRuntimeApiVersion);
  response->set_runtime_name(kRuntimeName);
  response->set_runtime_version(build_info::kVersion);
  response->set_runtime_api_version("v1");
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::Status(grpc::ServerContext*,
                                        const runtime::v1::StatusRequest* request,
                                        runtime::v1::StatusResponse* response) {
  std::shared_ptr<const config::Config> config = config_->Get();
  // The daemon checked every handler's runtime at startup and serves: the runtime is ready.
  AddCondition(response->mutable_status(), "RuntimeReady", true, "", "");
  network::Readiness network =
      services_.cni != nullptr ? services_.cni->Status() : network::NetworkReadiness();
  AddCondition(response->mutable_status(), "NetworkReady", network.ready, network.reason,
               network.message);

  // Like CRI-O: every handler by name, then the default one again under the empty name, each
  // with the features its runtime has (recursive read-only mounts, user namespaces).
  auto add_handler = [&](const std::string& name, const std::string& handler_name) {
    runtime::v1::RuntimeHandler* handler = response->add_runtime_handlers();
    handler->set_name(name);
    absl::StatusOr<oci::Runtime*> runtime = services_.runtimes != nullptr
                                                ? services_.runtimes->Get(handler_name)
                                                : absl::NotFoundError("no runtimes");
    handler->mutable_features()->set_recursive_read_only_mounts(
        runtime.ok() && (*runtime)->Features().recursive_read_only_mounts);
    // Pods with their own user namespace run, volumes idmapped by the daemon (docs/containers.md).
    handler->mutable_features()->set_user_namespaces(runtime.ok());
  };
  for (const auto& [name, handler] : config->runtime.runtimes) add_handler(name, name);
  add_handler("", config->runtime.default_runtime);
  response->mutable_features();

  if (request->verbose()) {
    (*response->mutable_info())["config"] = config::RenderJson(*config);
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::RuntimeConfig(grpc::ServerContext*,
                                               const runtime::v1::RuntimeConfigRequest*,
                                               runtime::v1::RuntimeConfigResponse* response) {
  std::shared_ptr<const config::Config> config = config_->Get();
  response->mutable_linux()->set_cgroup_driver(
      config->runtime.cgroup_manager == "systemd" ? runtime::v1::SYSTEMD : runtime::v1::CGROUPFS);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::UpdateRuntimeConfig(
    grpc::ServerContext*, const runtime::v1::UpdateRuntimeConfigRequest* request,
    runtime::v1::UpdateRuntimeConfigResponse*) {
  // The kubelet sends the node's pod CIDR here. As in CRI-O, pod networks come from the CNI
  // configuration files alone (a CIDR is the IPAM section's business), so it is only recorded.
  const std::string& cidr = request->runtime_config().network_config().pod_cidr();
  if (!cidr.empty()) {
    spdlog::info("The node's pod CIDR is {}; pod addresses come from the CNI configuration in {}",
                 cidr, config_->Get()->network.network_dir);
  }
  return grpc::Status::OK;
}

}  // namespace crio::server
