#pragma once

#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crio/config/holder.h"

namespace grpc {
class Server;
}

namespace crio {
class EventHub;
}
namespace crio::image {
class ImageManager;
}
namespace crio::network {
class CniManager;
}
namespace crio::sandbox {
class SandboxManager;
}
namespace crio::container {
class ContainerManager;
}

namespace crio::streaming {
class Server;
}
namespace crio::oci {
class RuntimeSet;
}

namespace crio::server {

class RuntimeServiceImpl;
class ImageServiceImpl;
class InFlightCalls;
class InfoServer;

// The areas the CRI services call into; all outlive the server.
struct Services {
  image::ImageManager* images = nullptr;
  sandbox::SandboxManager* sandboxes = nullptr;
  container::ContainerManager* containers = nullptr;
  EventHub* events = nullptr;
  network::CniManager* cni = nullptr;
  streaming::Server* streaming = nullptr;  // exec, attach and port-forward sessions
  oci::RuntimeSet* runtimes = nullptr;     // the handlers' features, for Status
};

// The CRI gRPC API (RuntimeService and ImageService) on a unix socket.
class CriServer {
 public:
  // Prepares the socket path (creates its directory; replaces a stale socket; refuses a socket a
  // live daemon answers on), starts serving and makes the socket mode 0660.
  static absl::StatusOr<std::unique_ptr<CriServer>> Start(
      const std::shared_ptr<config::ConfigHolder>& config, const Services& services);

  // Removes the socket so no new client can connect, lets calls in flight finish for up to
  // `grace`, then cancels what is left and stops. Idempotent.
  void Shutdown(absl::Duration grace);

  const std::filesystem::path& socket_path() const { return socket_path_; }

  // Only Start() constructs servers; the tag keeps the constructor out of other hands.
  struct StartTag {
    explicit StartTag() = default;
  };
  explicit CriServer(StartTag);
  ~CriServer();
  CriServer(const CriServer&) = delete;
  CriServer& operator=(const CriServer&) = delete;

 private:
  std::filesystem::path socket_path_;
  std::unique_ptr<InFlightCalls> calls_;
  std::unique_ptr<InfoServer> info_server_;  // <socket_path_>.info
  std::unique_ptr<RuntimeServiceImpl> runtime_service_;
  std::unique_ptr<ImageServiceImpl> image_service_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

}  // namespace crio::server
