// Pod bookkeeping: recovery, lookup, listing, stop and removal. Creation is in run.cc.
#include "crio/sandbox/manager.h"

#include <signal.h>

#include "crio/common/atomic_file.h"
#include "crio/common/event_hub.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/network/cni.h"
#include "crio/network/namespaces.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime_set.h"
#include "crio/sandbox/infra.h"
#include "crio/sandbox/pod_files.h"
#include "crio/storage/store.h"
#include "entry.h"

namespace crio::sandbox {

absl::StatusOr<std::unique_ptr<SandboxManager>> SandboxManager::Open(
    SandboxManagerOptions options) {
  std::error_code error;
  std::filesystem::create_directories(options.state_dir, error);
  if (error) {
    return absl::InternalError(StrCat("creating the pod state directory ",
                                      options.state_dir.string(), ": ", error.message()));
  }
  auto manager = std::make_unique<SandboxManager>(std::move(options));
  if (absl::Status recovered = manager->Recover(); !recovered.ok()) return recovered;
  return manager;
}

SandboxManager::~SandboxManager() = default;

void SandboxManager::Emit(const std::string& pod_id, LifecycleEvent::Type type) {
  if (options_.events == nullptr) return;
  options_.events->Publish({.container_id = pod_id,
                            .pod_id = pod_id,
                            .type = type,
                            .created_at = absl::ToUnixNanos(absl::Now())});
}

absl::Status SandboxManager::Recover() {
  std::vector<Sandbox> restored;
  for (const auto& entry : std::filesystem::directory_iterator(options_.state_dir)) {
    if (!entry.is_directory()) continue;
    std::filesystem::path state = entry.path() / "sandbox.json";
    absl::StatusOr<std::string> text = ReadFile(state);
    if (!text.ok()) {
      if (absl::IsNotFound(text.status())) {
        // The first write comes right after the directory: nothing else was made yet.
        spdlog::warn("Removing {}: a pod creation that did not finish", entry.path().string());
        std::error_code ignored;
        std::filesystem::remove_all(entry.path(), ignored);
      }
      continue;
    }
    absl::StatusOr<Sandbox> sandbox = ParseSandbox(*text);
    if (!sandbox.ok()) {
      spdlog::error("Unreadable pod state {}: {}", state.string(), sandbox.status().message());
      continue;
    }
    if (sandbox->incomplete) {
      DiscardUnfinished(*sandbox);
      continue;
    }
    restored.push_back(*std::move(sandbox));
  }
  // Entries are filled before they are published: the map lock is never held while taking a
  // pod's lock (the order everywhere else is pod, then map).
  std::vector<std::shared_ptr<Entry>> entries;
  for (Sandbox& sandbox : restored) {
    auto pod = std::make_shared<Entry>();
    absl::MutexLock pod_lock(&pod->mu);
    pod->sandbox = std::move(sandbox);
    entries.push_back(std::move(pod));
  }
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& id = entries[i]->sandbox.id;  // immutable once published
    names_[entries[i]->sandbox.name] = id;
    sandboxes_[id] = entries[i];
    // No new pod may be handed the level a restored one runs with.
    if (options_.selinux != nullptr) options_.selinux->Hold(entries[i]->sandbox.selinux);
  }
  if (!sandboxes_.empty()) spdlog::info("Restored {} pod(s)", sandboxes_.size());
  return absl::OkStatus();
}

void SandboxManager::DiscardUnfinished(Sandbox& sandbox) {
  spdlog::warn("Removing pod sandbox {} ({}): its creation did not finish", sandbox.id,
               sandbox.name);
  // The pause container has the pod's id; whether runc and storage got that far or not, asking
  // them to remove it is safe.
  if (absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(sandbox.runtime_handler);
      runtime.ok()) {
    (void)(*runtime)->Delete(sandbox.id);
    (void)(*runtime)->RemoveMonitorCgroup(sandbox.id, sandbox.cgroup_parent);
  }
  options_.exits->Forget(sandbox.id);
  if (absl::Status storage = options_.store->DeleteContainer(sandbox.id);
      !storage.ok() && !absl::IsNotFound(storage)) {
    spdlog::warn("pod {}: removing the pause container's storage: {}", sandbox.id,
                 storage.message());
  }
  if (sandbox.network_attached) {
    if (absl::Status detached = options_.cni->Detach(PodNetworkOf(sandbox)); !detached.ok()) {
      spdlog::warn("pod {}: tearing down its network: {}", sandbox.id, detached.message());
    }
  }
  if (sandbox.shm_mounted) (void)UnmountShm(sandbox.shm_path);
  for (const std::filesystem::path* ns :
       {&sandbox.net_ns, &sandbox.ipc_ns, &sandbox.uts_ns, &sandbox.user_ns}) {
    if (!ns->empty()) (void)network::UnpinNamespace(*ns);
  }
  std::error_code ignored;
  std::filesystem::remove_all(sandbox.dir, ignored);
}

void SandboxManager::SetContainerHooks(PodHook stop_containers, PodHook remove_containers) {
  stop_containers_ = std::move(stop_containers);
  remove_containers_ = std::move(remove_containers);
}

std::shared_ptr<SandboxManager::Entry> SandboxManager::Find(const std::string& id_or_prefix,
                                                            absl::Status* error) {
  absl::MutexLock lock(&mu_);
  if (id_or_prefix.empty()) {
    *error = absl::InvalidArgumentError("pod sandbox id is empty");
    return nullptr;
  }
  auto exact = sandboxes_.find(id_or_prefix);
  if (exact != sandboxes_.end()) return exact->second;
  std::shared_ptr<Entry> match;
  for (auto it = sandboxes_.lower_bound(id_or_prefix);
       it != sandboxes_.end() && it->first.compare(0, id_or_prefix.size(), id_or_prefix) == 0;
       ++it) {
    if (match != nullptr) {
      *error = absl::InvalidArgumentError(
          StrCat("pod sandbox id prefix \"", id_or_prefix, "\" is ambiguous"));
      return nullptr;
    }
    match = it->second;
  }
  if (match == nullptr) {
    *error = absl::NotFoundError(StrCat("pod sandbox \"", id_or_prefix, "\" not found"));
  }
  return match;
}

bool SandboxManager::InfraRunning(const Sandbox& sandbox) {
  if (!sandbox.infra) return true;
  return !options_.exits->Wait(sandbox.infra->id, absl::ZeroDuration()).has_value();
}

absl::StatusOr<Sandbox> SandboxManager::Get(const std::string& id) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("pod sandbox \"", id, "\" not found"));
  Sandbox copy = entry->sandbox;
  // A pod whose pause container died can no longer hold its namespaces: it is not ready.
  if (copy.state == SandboxState::kReady && !InfraRunning(copy)) {
    copy.state = SandboxState::kNotReady;
  }
  return copy;
}

absl::StatusOr<UniqueFd> SandboxManager::DialPort(const std::string& id, int32_t port) {
  absl::StatusOr<Sandbox> pod = Get(id);
  if (!pod.ok()) return pod.status();
  if (pod->state != SandboxState::kReady) {
    return absl::FailedPreconditionError(StrCat("pod sandbox ", pod->id, " is not ready"));
  }
  // A host-network pod has no namespace of its own: its ports are the node's.
  return network::DialLoopback(pod->host_network() ? std::filesystem::path() : pod->net_ns, port);
}

std::vector<Sandbox> SandboxManager::List(const SandboxFilter& filter) {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, entry] : sandboxes_) {
      if (id.compare(0, filter.id.size(), filter.id) == 0) entries.push_back(entry);
    }
  }
  std::vector<Sandbox> out;
  for (const auto& entry : entries) {
    // A pod busy being created or stopped is listed once that finishes, as it then is.
    absl::MutexLock lock(&entry->mu);
    if (entry->removed) continue;
    Sandbox copy = entry->sandbox;
    if (copy.state == SandboxState::kReady && !InfraRunning(copy)) {
      copy.state = SandboxState::kNotReady;
    }
    if (filter.state && copy.state != *filter.state) continue;
    bool labels_match = true;
    for (const auto& [key, value] : filter.labels) {
      auto found = copy.config.labels().find(key);
      if (found == copy.config.labels().end() || found->second != value) labels_match = false;
    }
    if (labels_match) out.push_back(std::move(copy));
  }
  std::sort(out.begin(), out.end(),
            [](const Sandbox& a, const Sandbox& b) { return a.created_at < b.created_at; });
  return out;
}

absl::Status SandboxManager::StopLocked(Sandbox& sandbox) {
  std::shared_ptr<const config::Config> config = options_.config->Get();
  if (stop_containers_) {
    if (absl::Status stopped = stop_containers_(sandbox.id); !stopped.ok()) return stopped;
  }
  if (sandbox.infra) {
    absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(sandbox.runtime_handler);
    if (!runtime.ok()) return runtime.status();
    InfraDeps deps{config.get(), *runtime, options_.exits, options_.store, options_.images};
    if (absl::Status stopped = StopInfraContainer(sandbox, deps); !stopped.ok()) {
      return absl::Status(stopped.code(),
                          StrCat("stopping the pause container: ", View(stopped.message())));
    }
  }
  if (sandbox.network_attached) {
    network::PodNetwork pod = PodNetworkOf(sandbox);
    if (absl::Status detached = options_.cni->Detach(pod); !detached.ok()) {
      return absl::Status(detached.code(),
                          StrCat("tearing down the pod network: ", View(detached.message())));
    }
    sandbox.network_attached = false;
  }
  if (sandbox.shm_mounted) {
    if (absl::Status unmounted = UnmountShm(sandbox.shm_path); !unmounted.ok()) return unmounted;
    sandbox.shm_mounted = false;
  }
  sandbox.state = SandboxState::kNotReady;
  return SaveSandbox(sandbox);
}

absl::Status SandboxManager::Stop(const std::string& id) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("pod sandbox \"", id, "\" not found"));
  bool was_ready = entry->sandbox.state == SandboxState::kReady;
  absl::Status stopped = StopLocked(entry->sandbox);
  if (stopped.ok() && was_ready) {
    Emit(entry->sandbox.id, LifecycleEvent::Type::kStopped);
  }
  return stopped;
}

absl::Status SandboxManager::Remove(const std::string& id) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("pod sandbox \"", id, "\" not found"));
  Sandbox& sandbox = entry->sandbox;
  if (absl::Status stopped = StopLocked(sandbox); !stopped.ok()) return stopped;
  if (remove_containers_) {
    if (absl::Status removed = remove_containers_(sandbox.id); !removed.ok()) return removed;
  }
  if (sandbox.infra) {
    std::shared_ptr<const config::Config> config = options_.config->Get();
    absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(sandbox.runtime_handler);
    if (!runtime.ok()) return runtime.status();
    InfraDeps deps{config.get(), *runtime, options_.exits, options_.store, options_.images};
    if (absl::Status removed = RemoveInfraContainer(sandbox, deps); !removed.ok()) return removed;
  }
  for (const std::filesystem::path* ns :
       {&sandbox.net_ns, &sandbox.ipc_ns, &sandbox.uts_ns, &sandbox.user_ns}) {
    if (ns->empty()) continue;
    if (absl::Status unpinned = network::UnpinNamespace(*ns); !unpinned.ok()) return unpinned;
  }
  std::error_code fs_error;
  std::filesystem::remove_all(sandbox.dir, fs_error);
  if (fs_error) {
    return absl::InternalError(StrCat("removing ", sandbox.dir.string(), ": ", fs_error.message()));
  }
  entry->removed = true;
  if (options_.selinux != nullptr) options_.selinux->Release(sandbox.selinux);
  absl::MutexLock map_lock(&mu_);
  names_.erase(sandbox.name);
  sandboxes_.erase(sandbox.id);
  spdlog::info("Removed pod sandbox {} ({})", sandbox.id, sandbox.name);
  Emit(sandbox.id, LifecycleEvent::Type::kDeleted);
  return absl::OkStatus();
}

}  // namespace crio::sandbox
