#pragma once

#include "crio/container/manager.h"
#include "crio/sandbox/manager.h"
#include "crio/streaming/backend.h"

namespace crio::server {

// Connects the streaming server's sessions to the container and pod managers.
class StreamingBackend final : public streaming::Backend {
 public:
  StreamingBackend(container::ContainerManager& containers, sandbox::SandboxManager& sandboxes)
      : containers_(containers), sandboxes_(sandboxes) {}

  absl::StatusOr<int> Exec(const streaming::ExecRequest& request,
                           streaming::Session& session) override;
  absl::Status Attach(const streaming::AttachRequest& request,
                      streaming::Session& session) override;
  absl::StatusOr<UniqueFd> DialPod(const std::string& pod_id, int32_t port) override;

 private:
  container::ContainerManager& containers_;
  sandbox::SandboxManager& sandboxes_;
};

}  // namespace crio::server
