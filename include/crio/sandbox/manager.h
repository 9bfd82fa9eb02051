#pragma once

#include "crio/sandbox/sandbox.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crio/common/event_hub.h"
#include "crio/common/unique_fd.h"
#include "crio/config/holder.h"

namespace crio::image {
class ImageManager;
}
namespace crio::network {
class CniManager;
}
namespace crio::oci {
class ExitWatcher;
class RuntimeSet;
}  // namespace crio::oci
namespace crio::storage {
class Store;
}

namespace crio::sandbox {

struct SandboxManagerOptions {
  std::shared_ptr<config::ConfigHolder> config;
  oci::RuntimeSet* runtimes = nullptr;
  oci::ExitWatcher* exits = nullptr;
  storage::Store* store = nullptr;
  image::ImageManager* images = nullptr;
  network::CniManager* cni = nullptr;
  std::filesystem::path state_dir;  // one directory per pod below it
  std::filesystem::path pinns;      // the pinns helper
  EventHub* events = nullptr;       // pod lifecycle events go here when set
  // Labels pods when SELinux labeling is on; null: pods run unlabeled.
  oci::SelinuxLabeler* selinux = nullptr;
};

struct SandboxFilter {
  std::string id;  // a full id or a unique prefix of one
  std::optional<SandboxState> state;
  std::map<std::string, std::string> labels;  // every one must match
};

// Pods: creation (namespaces, files, network, infra container), stop, removal, listing and
// recovery after a restart. Every public method is safe to call from many threads; operations on
// one pod are serialized, different pods proceed in parallel.
class SandboxManager {
 public:
  static absl::StatusOr<std::unique_ptr<SandboxManager>> Open(SandboxManagerOptions options);
  ~SandboxManager();

  // Creates and starts a pod; returns its id. On failure nothing of it remains.
  absl::StatusOr<std::string> Run(const runtime::v1::PodSandboxConfig& config,
                                  const std::string& runtime_handler);
  // Stops the pod's containers (through the hook), its infra container, and its network.
  // Idempotent. NotFound for an unknown pod.
  absl::Status Stop(const std::string& id);
  // Stops, then removes everything of the pod. NotFound for an unknown pod.
  absl::Status Remove(const std::string& id);

  // The pod `id` (full or a unique prefix), with its state as of now.
  absl::StatusOr<Sandbox> Get(const std::string& id);
  // A connection to `port` on the loopback inside a ready pod's network namespace.
  absl::StatusOr<UniqueFd> DialPort(const std::string& id, int32_t port);
  std::vector<Sandbox> List(const SandboxFilter& filter);
  // Where each pod's directory is (named by its id).
  const std::filesystem::path& state_dir() const { return options_.state_dir; }

  // Called by Stop/Remove with the pod's id to stop/remove the pod's containers first (set by the
  // container layer once it exists).
  using PodHook = std::function<absl::Status(const std::string& pod_id)>;
  void SetContainerHooks(PodHook stop_containers, PodHook remove_containers);

  struct Entry;
  SandboxManager(SandboxManagerOptions options) : options_(std::move(options)) {}

 private:
  absl::Status Recover();
  // Recovery: undoes what a RunPodSandbox cut short had made (pause container, network,
  // shm, pinned namespaces, storage, directory), as far as its record tells.
  void DiscardUnfinished(Sandbox& sandbox);
  std::shared_ptr<Entry> Find(const std::string& id_or_prefix, absl::Status* error);
  absl::Status StopLocked(Sandbox& sandbox);
  bool InfraRunning(const Sandbox& sandbox);
  void Emit(const std::string& pod_id, LifecycleEvent::Type type);

  SandboxManagerOptions options_;
  PodHook stop_containers_;
  PodHook remove_containers_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> sandboxes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> names_ ABSL_GUARDED_BY(mu_);  // reserved name -> id
};

}  // namespace crio::sandbox
