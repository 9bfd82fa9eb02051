#pragma once

#include "crio/sandbox/sandbox.h"

#include "absl/status/status.h"
#include "crio/config/config.h"

namespace crio::image {
class ImageManager;
}
namespace crio::oci {
class ExitWatcher;
class Runtime;
}  // namespace crio::oci
namespace crio::storage {
class Store;
}

namespace crio::sandbox {

// Whether a pod needs a pause container to hold its namespaces: only when its containers share
// a PID namespace (or drop_infra_ctr is off), as in CRI-O.
bool NeedsInfraContainer(const Sandbox& sandbox, const config::Config& config);

struct InfraDeps {
  const config::Config* config;
  oci::Runtime* runtime;
  oci::ExitWatcher* exits;
  storage::Store* store;
  image::ImageManager* images;
};

// Pulls pause_image when missing, creates the container's root file system, writes its spec and
// starts it through the monitor. Sets sandbox.infra. On failure nothing of it remains.
absl::Status StartInfraContainer(Sandbox& sandbox, const InfraDeps& deps);
// Stops the pause container (SIGTERM, then SIGKILL); success when it is not running.
absl::Status StopInfraContainer(const Sandbox& sandbox, const InfraDeps& deps);
// Removes it from the runtime, its monitor cgroup and its storage.
absl::Status RemoveInfraContainer(const Sandbox& sandbox, const InfraDeps& deps);

}  // namespace crio::sandbox
