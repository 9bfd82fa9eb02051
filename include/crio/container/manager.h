#pragma once

#include "crio/container/container.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crio/common/event_hub.h"
#include "crio/config/holder.h"
#include "crio/network/interface_stats.h"
#include "crio/oci/cgroup_stats.h"
#include "crio/oci/hooks.h"
#include "crio/oci/runtime.h"
#include "crio/sandbox/sandbox.h"

namespace crio::image {
class ImageManager;
}
namespace crio::oci {
class ExitWatcher;
class RuntimeSet;
}  // namespace crio::oci
namespace crio::sandbox {
class SandboxManager;
}
namespace crio::storage {
class Store;
}

namespace crio::container {

struct ContainerManagerOptions {
  std::shared_ptr<config::ConfigHolder> config;
  oci::RuntimeSet* runtimes = nullptr;
  oci::ExitWatcher* exits = nullptr;
  storage::Store* store = nullptr;
  image::ImageManager* images = nullptr;
  sandbox::SandboxManager* sandboxes = nullptr;
  EventHub* events = nullptr;       // container lifecycle events go here when set
  std::filesystem::path state_dir;  // one directory (the bundle) per container below it
  // The pods' labeler: a container's level (its own, when its options name one) stays held
  // while it exists. Null when labeling is off.
  oci::SelinuxLabeler* selinux = nullptr;
};

// A container's figures for the CRI stats RPCs.
struct ContainerStatsData {
  Container container;
  int64_t timestamp = 0;  // Unix nanoseconds
  oci::CgroupStats cgroup;
  bool has_cgroup = false;  // false once the container has exited
  uint64_t writable_layer_bytes = 0;
  uint64_t writable_layer_inodes = 0;
  std::string writable_layer_mountpoint;
  oci::ProcessStats processes;  // only when asked for (it reads every process's fds)
  bool has_processes = false;
};

struct PodStatsData {
  sandbox::Sandbox pod;
  int64_t timestamp = 0;
  oci::CgroupStats cgroup;  // the pod's cgroup parent: every container of the pod
  bool has_cgroup = false;
  std::vector<network::InterfaceStats> interfaces;  // empty for host-network pods
  std::vector<ContainerStatsData> containers;
};

struct ContainerFilter {
  std::string id;  // a full id or a prefix
  std::string pod_id;
  std::optional<ContainerState> state;
  std::map<std::string, std::string> labels;
};

// Containers in pods: create (storage, spec, monitor), start, stop, remove, status, exec-sync,
// and restore after a restart. Operations on one container are serialized; others run in
// parallel. Also installs itself as the pod manager's container hooks, so stopping or removing a
// pod stops or removes its containers first.
class ContainerManager {
 public:
  static absl::StatusOr<std::unique_ptr<ContainerManager>> Open(ContainerManagerOptions options);
  ~ContainerManager();

  absl::StatusOr<std::string> Create(const std::string& pod_id,
                                     const runtime::v1::ContainerConfig& config);
  absl::Status Start(const std::string& id);
  // The image's stop signal (or SIGTERM), then SIGKILL after `timeout`. Idempotent.
  absl::Status Stop(const std::string& id, absl::Duration timeout);
  // Kills a running container, then removes everything of it. NotFound when unknown.
  absl::Status Remove(const std::string& id);
  absl::StatusOr<Container> Get(const std::string& id);
  std::vector<Container> List(const ContainerFilter& filter);
  // Applies new resources through the runtime (`update`) and records them for ContainerStatus.
  absl::Status UpdateResources(const std::string& id,
                               const runtime::v1::LinuxContainerResources& resources);
  // Asks the container's monitor to reopen its log file (after the kubelet rotated it).
  absl::Status ReopenLog(const std::string& id);
  // CheckpointContainer: NotFound for an unknown container; otherwise what this node lacks to
  // checkpoint it (oci::CheckpointSupport).
  absl::Status Checkpoint(const std::string& id);
  absl::StatusOr<ContainerStatsData> Stats(const std::string& id);
  std::vector<ContainerStatsData> ListStats(const ContainerFilter& filter);
  // `with_processes` adds each container's process, fd and socket counts.
  absl::StatusOr<PodStatsData> PodStats(const std::string& pod_id, bool with_processes = false);

  absl::StatusOr<oci::ExecSyncResult> ExecSync(const std::string& id,
                                               const std::vector<std::string>& command,
                                               absl::Duration timeout);
  // Interactive exec and attach for the streaming server; the container must be running.
  // ExecStream returns the command's exit code.
  absl::StatusOr<int> ExecStream(const std::string& id, const std::vector<std::string>& command,
                                 const oci::StreamIo& io);
  absl::Status Attach(const std::string& id, const oci::StreamIo& io);

  struct Entry;
  explicit ContainerManager(ContainerManagerOptions options) : options_(std::move(options)) {}

 private:
  // A running container and its runtime handler, for exec and attach.
  struct RunningContainer {
    Container container;
    oci::Runtime* runtime = nullptr;
  };
  absl::StatusOr<RunningContainer> Running(const std::string& id);
  absl::Status Recover();
  // Recovery: what a CreateContainer that never finished left behind (its predecessor died
  // halfway) goes: the runtime's container, the monitor's cgroup, storage, mounts, directory.
  void DiscardUnfinished(Container& container);
  // Recovery: storage containers this daemon made that no container or pod it knows owns (their
  // state went with a reboot's tmpfs, or with a creation that never finished).
  void RemoveOrphanedStorage();
  std::shared_ptr<Entry> Find(const std::string& id_or_prefix, absl::Status* error);
  // Folds an exit the monitor recorded into the container's state (persisting it).
  void Refresh(Container& container);
  absl::Status StopLocked(Container& container, absl::Duration timeout);
  absl::Status RemoveLocked(Entry& entry);
  // Gives back the read-only image mounts of the container's image volumes, persisting the
  // shorter list when the container has a saved state.
  absl::Status UnmountImageVolumes(Container& container);
  absl::Status StopPod(const std::string& pod_id);
  ContainerStatsData StatsOf(const Container& container, bool with_processes = false);
  void Emit(const Container& container, LifecycleEvent::Type type);
  // The exit watcher saw `id` end: fold it in now, so the STOPPED event goes out at once.
  void OnExit(const std::string& id);
  absl::Status RemovePod(const std::string& pod_id);
  std::vector<std::shared_ptr<Entry>> AllEntries();

  ContainerManagerOptions options_;
  oci::HookCache hooks_;  // hooks_dir's definitions, re-read when they change
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> containers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> names_ ABSL_GUARDED_BY(mu_);  // reserved name -> id
};

// "SIGTERM", "TERM" or "15" as a signal number; 0 when unknown.
int SignalNumber(const std::string& name);

}  // namespace crio::container
