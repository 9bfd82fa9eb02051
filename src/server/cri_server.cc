#include "crio/server/cri_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <grpcpp/grpcpp.h>
#include "crio/common/log.h"

#include "crio/common/strings.h"
#include "image_service.h"
#include "info_server.h"
#include "request_log.h"
#include "runtime_service.h"
#include "socket_path.h"

namespace crio::server {

absl::StatusOr<std::unique_ptr<CriServer>> CriServer::Start(
    const std::shared_ptr<config::ConfigHolder>& config, const Services& services) {
  std::shared_ptr<const config::Config> settings = config->Get();
  auto server = std::make_unique<CriServer>(StartTag{});
  server->socket_path_ = settings->api.listen;
  if (auto status = PrepareSocketPath(server->socket_path_); !status.ok()) return status;

  server->calls_ = std::make_unique<InFlightCalls>();
  server->runtime_service_ = std::make_unique<RuntimeServiceImpl>(config, services);
  server->image_service_ = std::make_unique<ImageServiceImpl>(*services.images);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(StrCat("unix:", server->socket_path_.string()),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(server->runtime_service_.get());
  builder.RegisterService(server->image_service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(settings->api.grpc_max_recv_msg_size));
  builder.SetMaxSendMessageSize(static_cast<int>(settings->api.grpc_max_send_msg_size));
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RequestLogFactory>(server->calls_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(
        StrCat("cannot listen on unix socket ", server->socket_path_.string()));
  }
  if (::chmod(server->socket_path_.c_str(), 0660) != 0) {
    int err = errno;
    server->Shutdown(absl::ZeroDuration());
    return absl::InternalError(StrCat("cannot set mode 0660 on ", server->socket_path_.string(),
                                      ": ", std::strerror(err)));
  }
  spdlog::info("Serving CRI on unix://{}", server->socket_path_.string());
  // The info endpoint is a convenience (crioctl's pull progress): without it the CRI still works.
  absl::StatusOr<std::unique_ptr<InfoServer>> info =
      services.images == nullptr
          ? absl::FailedPreconditionError("no image service")
          : InfoServer::Start(server->socket_path_.string() + ".info", *services.images);
  if (info.ok()) {
    server->info_server_ = *std::move(info);
  } else {
    spdlog::warn("No info endpoint: {}", info.status().message());
  }
  return server;
}

void CriServer::Shutdown(absl::Duration grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  info_server_.reset();
  if (::unlink(socket_path_.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("Cannot remove socket {}: {}", socket_path_.string(), std::strerror(errno));
  }
  // gRPC's own deadline-based shutdown also waits for idle client connections to go away (the
  // kubelet keeps one open), so drain the calls ourselves and then stop at once.
  if (!calls_->WaitIdle(grace)) {
    spdlog::warn("Calls still in flight after {}; cancelling them", absl::FormatDuration(grace));
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now()));
  server_->Wait();
}

CriServer::CriServer(StartTag) {}

CriServer::~CriServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace crio::server
