// Containers: bookkeeping, create, start, stop, remove, exec-sync, restore.
#include "crio/container/manager.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/log.h"
#include "crio/common/mountinfo.h"
#include "crio/common/rollback.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/config/options.h"
#include "crio/image/image_manager.h"
#include "crio/oci/cgroup_stats.h"
#include "crio/oci/checkpoint.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime_set.h"
#include "crio/oci/spec.h"
#include "crio/sandbox/manager.h"
#include "crio/storage/layer_record.h"
#include "crio/storage/store.h"
#include "entry.h"
#include "idmapped_volumes.h"

namespace crio::container {

namespace {

oci::PodContext PodContextOf(const sandbox::Sandbox& pod) {
  oci::PodContext context;
  context.pod_id = pod.id;
  context.pod_name = pod.config.metadata().name();
  context.pod_namespace = pod.config.metadata().namespace_();
  context.pod_uid = pod.config.metadata().uid();
  context.hostname = pod.hostname;
  context.cgroup_parent = pod.cgroup_parent;
  context.net_ns = pod.net_ns.string();
  context.ipc_ns = pod.ipc_ns.string();
  context.uts_ns = pod.uts_ns.string();
  context.user_ns = pod.user_ns.string();
  context.resolv_conf = pod.resolv_conf_path().string();
  context.hostname_file = pod.hostname_path().string();
  context.hosts_file = pod.hosts_path().string();
  context.shm_path = pod.shm_path.string();
  context.host_network = pod.host_network();
  context.host_ipc = pod.host_ipc();
  context.host_pid = pod.host_pid();
  context.infra_pid = pod.infra ? pod.infra->pid : 0;
  return context;
}

// Where the kubelet wants the log: the pod's log directory joined with the container's
// log_path; CRI-O's <log_dir>/<pod id>/<container id>.log when the pod names no directory.
std::string LogPathOf(const sandbox::Sandbox& pod, const runtime::v1::ContainerConfig& config,
                      const config::Config& settings, const std::string& id) {
  std::filesystem::path dir = pod.config.log_directory().empty()
                                  ? std::filesystem::path(settings.crio.log_dir) / pod.id
                                  : std::filesystem::path(pod.config.log_directory());
  if (config.log_path().empty()) return (dir / StrCat(id, ".log")).string();
  return (dir / config.log_path()).string();
}

}  // namespace

int SignalNumber(const std::string& raw) {
  if (raw.empty()) return 0;
  if (raw.find_first_not_of("0123456789") == std::string::npos) return std::stoi(raw);
  std::string name = raw.rfind("SIG", 0) == 0 ? raw.substr(3) : raw;
  for (int signal = 1; signal < NSIG; ++signal) {
    const char* abbrev = sigabbrev_np(signal);
    if (abbrev != nullptr && name == abbrev) return signal;
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<ContainerManager>> ContainerManager::Open(
    ContainerManagerOptions options) {
  std::error_code error;
  std::filesystem::create_directories(options.state_dir, error);
  if (error) {
    return absl::InternalError(StrCat("creating the container state directory ",
                                      options.state_dir.string(), ": ", error.message()));
  }
  auto manager = std::make_unique<ContainerManager>(std::move(options));
  if (absl::Status recovered = manager->Recover(); !recovered.ok()) return recovered;
  ContainerManager* self = manager.get();
  manager->options_.exits->SetCallback(
      [self](const std::string& id, const oci::ExitInfo&) { self->OnExit(id); });
  manager->options_.sandboxes->SetContainerHooks(
      [self](const std::string& pod) { return self->StopPod(pod); },
      [self](const std::string& pod) { return self->RemovePod(pod); });
  return manager;
}

ContainerManager::~ContainerManager() { options_.exits->SetCallback({}); }

void ContainerManager::Emit(const Container& container, LifecycleEvent::Type type) {
  if (options_.events == nullptr) return;
  options_.events->Publish({.container_id = container.id,
                            .pod_id = container.pod_id,
                            .type = type,
                            .created_at = absl::ToUnixNanos(absl::Now()),
                            .subject = std::make_shared<const std::any>(container)});
}

void ContainerManager::OnExit(const std::string& id) {
  std::shared_ptr<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    auto found = containers_.find(id);
    if (found == containers_.end()) return;  // a pause container, or not ours
    entry = found->second;
  }
  absl::MutexLock lock(&entry->mu);
  if (!entry->removed) Refresh(entry->container);
}

std::shared_ptr<ContainerManager::Entry> ContainerManager::Find(const std::string& id_or_prefix,
                                                                absl::Status* error) {
  absl::MutexLock lock(&mu_);
  if (id_or_prefix.empty()) {
    *error = absl::InvalidArgumentError("container id is empty");
    return nullptr;
  }
  if (auto exact = containers_.find(id_or_prefix); exact != containers_.end()) return exact->second;
  std::shared_ptr<Entry> match;
  for (auto it = containers_.lower_bound(id_or_prefix);
       it != containers_.end() && it->first.compare(0, id_or_prefix.size(), id_or_prefix) == 0;
       ++it) {
    if (match != nullptr) {
      *error = absl::InvalidArgumentError(
          StrCat("container id prefix \"", id_or_prefix, "\" is ambiguous"));
      return nullptr;
    }
    match = it->second;
  }
  if (match == nullptr) {
    *error = absl::NotFoundError(StrCat("container \"", id_or_prefix, "\" not found"));
  }
  return match;
}

void ContainerManager::Refresh(Container& container) {
  if (container.state != ContainerState::kRunning && container.state != ContainerState::kCreated) {
    return;
  }
  std::optional<oci::ExitInfo> exit = options_.exits->Wait(container.id, absl::ZeroDuration());
  if (!exit) return;
  container.state = ContainerState::kExited;
  container.exit_code = exit->exit_code;
  // The exit file's mtime comes from the kernel's coarse clock, up to a tick behind the clock
  // started_at was read from: a process that ends right after it starts could seem to end first.
  container.finished_at = std::max(absl::ToUnixNanos(exit->finished), container.started_at);
  if (oci::WasOomKilled(container.dir)) {
    container.reason = "OOMKilled";
  } else {
    container.reason = exit->exit_code == 0 ? "Completed" : "Error";
  }
  if (absl::Status saved = SaveContainer(container); !saved.ok()) {
    spdlog::warn("container {}: {}", container.id, saved.message());
  }
  Emit(container, LifecycleEvent::Type::kStopped);
}

namespace {

// The handler's container_min_memory, as CRI-O: a memory limit, when one is set, may not be
// below it (the kernel would kill the container while it starts).
absl::Status CheckMinimumMemory(const config::Config& settings, const std::string& handler_name,
                                int64_t limit) {
  if (limit == 0) return absl::OkStatus();
  const std::string name = handler_name.empty() ? settings.runtime.default_runtime : handler_name;
  auto handler = settings.runtime.runtimes.find(name);
  absl::StatusOr<int64_t> minimum = config::ContainerMinMemory(
      handler != settings.runtime.runtimes.end() ? handler->second
                                                 : config::DefaultRuntimeHandler(),
      name);
  if (!minimum.ok()) return minimum.status();
  if (limit < *minimum) {
    return absl::InvalidArgumentError(
        StrCat("set memory limit ", limit, " too low; should be at least ", *minimum, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ContainerManager::Create(const std::string& pod_id,
                                                     const runtime::v1::ContainerConfig& config) {
  if (!config.has_metadata() || config.metadata().name().empty()) {
    return absl::InvalidArgumentError("container metadata.name is empty");
  }
  if (config.image().image().empty()) {
    return absl::InvalidArgumentError("container image is empty");
  }
  absl::StatusOr<sandbox::Sandbox> pod = options_.sandboxes->Get(pod_id);
  if (!pod.ok()) return pod.status();
  if (pod->state != sandbox::SandboxState::kReady) {
    return absl::FailedPreconditionError(StrCat("pod sandbox ", pod->id, " is not ready"));
  }
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(pod->runtime_handler);
  if (!runtime.ok()) return runtime.status();
  std::shared_ptr<const config::Config> settings = options_.config->Get();
  if (absl::Status s = CheckMinimumMemory(*settings, pod->runtime_handler,
                                          config.linux().resources().memory_limit_in_bytes());
      !s.ok()) {
    return s;
  }

  auto entry = std::make_shared<Entry>();
  absl::MutexLock entry_lock(&entry->mu);
  Container& container = entry->container;
  container.id = storage::RandomId();
  container.name = ReservedContainerName(config.metadata(), pod->config.metadata());
  container.pod_id = pod->id;
  container.config = config;
  container.runtime_handler = pod->runtime_handler;
  container.created_at = absl::ToUnixNanos(absl::Now());
  container.dir = options_.state_dir / container.id;
  container.log_path = LogPathOf(*pod, config, *settings, container.id);
  container.cgroup_parent = pod->cgroup_parent;

  Rollback rollback;
  {
    absl::MutexLock lock(&mu_);
    if (auto taken = names_.find(container.name); taken != names_.end()) {
      return absl::AlreadyExistsError(StrCat("container name \"", container.name,
                                             "\" is already reserved for container ",
                                             taken->second));
    }
    names_[container.name] = container.id;
  }
  rollback.Add([&] {
    absl::MutexLock lock(&mu_);
    names_.erase(container.name);
  });

  absl::StatusOr<image::ImageInfo> image = options_.images->Status(config.image().image());
  if (!image.ok()) {
    if (absl::IsNotFound(image.status())) {
      return absl::NotFoundError(StrCat("image not known: ", config.image().image()));
    }
    return image.status();
  }
  container.image_id = image->id;
  container.image_ref = image->repo_digests.empty() ? image->id : image->repo_digests.front();
  absl::StatusOr<oci::ImageConfigView> image_config = oci::ImageConfigView::Parse(image->config);
  if (!image_config.ok()) return image_config.status();
  container.stop_signal = image_config->stop_signal;

  nlohmann::json metadata = {
      {"pod-name", pod->name}, {"pod-id", pod->id},      {"image-name", config.image().image()},
      {"image-id", image->id}, {"name", container.name}, {"created-by", storage::kCreatedByUs}};
  // The pod's labels with the container's options on top; the rootfs is mounted with its mount
  // label, so they are settled before the storage exists.
  const auto& security = config.linux().security_context();
  absl::StatusOr<oci::SelinuxLabels> labels =
      oci::ContainerSelinuxLabels(pod->selinux, security.selinux_options(), security.privileged());
  if (!labels.ok()) return labels.status();
  container.selinux = *labels;
  if (options_.selinux != nullptr) {
    options_.selinux->Hold(container.selinux);
    rollback.Add([&] { options_.selinux->Release(container.selinux); });
  }
  absl::StatusOr<storage::ContainerRecord> record = options_.store->CreateContainer(
      container.id, {container.name}, image->id, metadata.dump(), labels->mount, labels->process);
  if (!record.ok()) return record.status();
  rollback.Add([&] { (void)options_.store->DeleteContainer(container.id); });
  std::optional<storage::UsernsMount> userns = sandbox::UsernsMountOf(*pod);
  absl::StatusOr<std::filesystem::path> rootfs =
      options_.store->MountContainer(container.id, userns ? &*userns : nullptr);
  if (!rootfs.ok()) return rootfs.status();

  std::error_code error;
  std::filesystem::create_directories(container.dir, error);
  if (error) {
    return absl::InternalError(StrCat("creating ", container.dir.string(), ": ", error.message()));
  }
  rollback.Add([&] {
    // Idmapped volume clones are attached below it: never remove what is still mounted there.
    if (absl::Status detached = DetachMountsBelow(container.dir); !detached.ok()) {
      spdlog::error("container {}: {}", container.id, detached.message());
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(container.dir, ignored);
  });
  // Written again as the creation makes more to undo, and complete at the end: a crash leaves a
  // record the next daemon recognises and takes apart (src/container/recovery.cc).
  container.incomplete = true;
  if (absl::Status saved = SaveContainer(container); !saved.ok()) return saved;
  std::filesystem::create_directories(std::filesystem::path(container.log_path).parent_path(),
                                      error);

  oci::SpecInputs inputs;
  inputs.container_id = container.id;
  inputs.container_name = container.name;
  inputs.config = &config;
  inputs.pod_config = &pod->config;
  inputs.pod = PodContextOf(*pod);
  inputs.image = *image_config;
  inputs.image_name = config.image().image();
  inputs.image_ref = container.image_ref;
  inputs.rootfs = rootfs->string();
  inputs.log_path = container.log_path;
  inputs.default_capabilities = settings->runtime.default_capabilities;
  inputs.default_env = settings->runtime.default_env;
  inputs.default_ulimits = settings->runtime.default_ulimits;
  inputs.pids_limit = settings->runtime.pids_limit;
  inputs.read_only = settings->runtime.read_only;
  inputs.systemd_cgroup = settings->runtime.cgroup_manager == "systemd";
  inputs.image_volumes = settings->image.image_volumes;
  // The handler's own profile wins over the daemon-wide one, as in CRI-O.
  if (auto handler = settings->runtime.runtimes.find(container.runtime_handler.empty()
                                                         ? settings->runtime.default_runtime
                                                         : container.runtime_handler);
      handler != settings->runtime.runtimes.end()) {
    inputs.privileged_without_host_devices = handler->second.privileged_without_host_devices;
    for (const std::string& allowed : handler->second.allowed_annotations) {
      if (allowed == oci::kDevicesAnnotation || allowed == oci::kLegacyDevicesAnnotation) {
        inputs.devices_annotation_allowed = true;
      }
    }
    inputs.seccomp_profile_path = handler->second.seccomp_profile.empty()
                                      ? settings->runtime.seccomp_profile
                                      : handler->second.seccomp_profile;
  } else {
    inputs.seccomp_profile_path = settings->runtime.seccomp_profile;
  }
  // Image volumes: each image mounted read-only (one shared, counted mount per image), recorded
  // in the container so that removal, or this rollback, gives every mount back.
  rollback.Add([&] { (void)UnmountImageVolumes(container); });
  for (int index = 0; index < config.mounts_size(); ++index) {
    const runtime::v1::Mount& mount = config.mounts(index);
    if (!mount.has_image() || mount.image().image().empty()) continue;
    absl::StatusOr<image::ImageInfo> volume_image = options_.images->Status(mount.image().image());
    if (!volume_image.ok()) {
      if (absl::IsNotFound(volume_image.status())) {
        return absl::NotFoundError(StrCat("image volume ", mount.container_path(),
                                          ": image not known: ", mount.image().image(),
                                          " (it must be pulled first)"));
      }
      return volume_image.status();
    }
    absl::StatusOr<storage::ImageMount> mounted = options_.store->MountImage(volume_image->id);
    if (!mounted.ok()) {
      return absl::Status(mounted.status().code(),
                          StrCat("image volume ", mount.container_path(), ": mounting image ",
                                 mount.image().image(), ": ", mounted.status().message()));
    }
    container.image_volume_layers.push_back(mounted->layer_id);
    inputs.image_volume_sources[index] = mounted->path.string();
    if (absl::Status saved = SaveContainer(container); !saved.ok()) return saved;
  }
  // ID-mapped CRI mounts: attached below the container's directory, detached before it goes.
  absl::StatusOr<std::map<int, std::string>> idmapped =
      AttachIdmappedVolumes(config, *pod, container.dir, container.idmapped_volumes);
  if (!idmapped.ok()) return idmapped.status();
  inputs.idmapped_mount_sources = *std::move(idmapped);
  inputs.image_volumes_dir = (options_.store->options().runroot / "overlay-containers" /
                              container.id / "userdata" / "mounts")
                                 .string();
  if (const auto& ns = config.linux().security_context().namespace_options();
      ns.pid() == runtime::v1::TARGET) {
    absl::Status find_error;
    std::shared_ptr<Entry> target = Find(ns.target_id(), &find_error);
    if (target == nullptr) {
      return absl::Status(find_error.code(),
                          StrCat("PID namespace target: ", find_error.message()));
    }
    absl::MutexLock target_lock(&target->mu);
    Refresh(target->container);
    // Only a container of the same pod, as the kubelet uses it (ephemeral debug containers).
    if (target->removed || target->container.pod_id != pod->id) {
      return absl::NotFoundError(StrCat("PID namespace target: container \"", ns.target_id(),
                                        "\" is not in pod ", pod->id));
    }
    if (target->container.state == ContainerState::kExited || target->container.pid <= 0) {
      return absl::FailedPreconditionError(
          StrCat("PID namespace target: container ", target->container.id, " is not running"));
    }
    inputs.target_pid = target->container.pid;
  }
  inputs.runtime_handler = container.runtime_handler.empty() ? settings->runtime.default_runtime
                                                             : container.runtime_handler;
  inputs.recursive_read_only_mounts = (*runtime)->Features().recursive_read_only_mounts;
  inputs.privileged_seccomp_profile = settings->runtime.privileged_seccomp_profile;
  inputs.apparmor_profile = settings->runtime.apparmor_profile;
  inputs.selinux = settings->runtime.selinux;
  inputs.selinux_labels = *labels;
  inputs.hooks = hooks_.Get(settings->runtime.hooks_dir);
  inputs.cdi_spec_dirs = settings->runtime.cdi_spec_dirs;
  inputs.timezone = settings->runtime.timezone;
  inputs.localtime_copy = (container.dir / "localtime").string();
  inputs.add_inheritable_capabilities = settings->runtime.add_inheritable_capabilities;
  inputs.additional_devices = settings->runtime.additional_devices;
  inputs.allowed_devices = settings->runtime.allowed_devices;
  inputs.device_ownership_from_security_context =
      settings->runtime.device_ownership_from_security_context;
  absl::StatusOr<oci::GeneratedSpec> spec = oci::GenerateContainerSpec(inputs);
  if (!spec.ok()) return spec.status();
  container.notes = spec->notes;
  for (const std::string& note : spec->notes) spdlog::debug("container {}: {}", container.id, note);
  if (absl::Status written = WriteFileAtomically(container.dir / "config.json", spec->json, 0644,
                                                 Durability::kVolatile);
      !written.ok()) {
    return written;
  }

  oci::CreateOptions create{.id = container.id,
                            .name = container.name,
                            .bundle = container.dir,
                            .log_path = container.log_path,
                            .persist_dir = container.dir,
                            .terminal = config.tty(),
                            .stdin = config.stdin(),
                            .stdin_once = config.stdin_once(),
                            .cgroup_parent = pod->cgroup_parent};
  absl::StatusOr<pid_t> pid = (*runtime)->Create(create);
  if (!pid.ok()) {
    (void)(*runtime)->Delete(container.id);
    (void)(*runtime)->RemoveMonitorCgroup(container.id, pod->cgroup_parent);
    return pid.status();
  }
  container.pid = *pid;
  container.state = ContainerState::kCreated;
  container.incomplete = false;
  if (absl::Status saved = SaveContainer(container); !saved.ok()) {
    (void)(*runtime)->Kill(container.id, SIGKILL, true);
    (void)(*runtime)->Delete(container.id);
    return saved;
  }
  {
    absl::MutexLock lock(&mu_);
    containers_[container.id] = entry;
  }
  rollback.Commit();
  Emit(container, LifecycleEvent::Type::kCreated);
  spdlog::info("Created container {} ({})", container.id, container.name);
  return container.id;
}

absl::Status ContainerManager::Start(const std::string& id) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  Container& container = entry->container;
  if (entry->removed) return absl::NotFoundError(StrCat("container \"", id, "\" not found"));
  Refresh(container);
  if (container.state != ContainerState::kCreated) {
    return absl::FailedPreconditionError(
        StrCat("container ", container.id, " is not in the created state"));
  }
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(container.runtime_handler);
  if (!runtime.ok()) return runtime.status();
  // Taken before the process runs: a short-lived one may finish before Start returns.
  int64_t started_at = absl::ToUnixNanos(absl::Now());
  if (absl::Status started =
          (*runtime)->Start(container.id, {.init_pid = container.pid, .bundle = container.dir});
      !started.ok()) {
    container.state = ContainerState::kExited;
    container.reason = "Error";
    container.message = std::string(started.message());
    container.finished_at = absl::ToUnixNanos(absl::Now());
    (void)SaveContainer(container);
    return started;
  }
  container.state = ContainerState::kRunning;
  container.started_at = started_at;
  Emit(container, LifecycleEvent::Type::kStarted);
  Refresh(container);  // it may have finished already
  return SaveContainer(container);
}

absl::Status ContainerManager::StopLocked(Container& container, absl::Duration timeout) {
  Refresh(container);
  if (container.state == ContainerState::kExited) return absl::OkStatus();
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(container.runtime_handler);
  if (!runtime.ok()) return runtime.status();
  int signal = SignalNumber(container.stop_signal);
  if (absl::Status stopped = oci::StopContainer(**runtime, *options_.exits, container.id,
                                                signal == 0 ? SIGTERM : signal, timeout);
      !stopped.ok()) {
    return stopped;
  }
  Refresh(container);
  if (container.state != ContainerState::kExited) {
    // The runtime no longer knows it (it was never started, or vanished): it is not running.
    container.state = ContainerState::kExited;
    container.finished_at = absl::ToUnixNanos(absl::Now());
    container.reason = "Error";
    container.exit_code = 137;
    Emit(container, LifecycleEvent::Type::kStopped);
    return SaveContainer(container);
  }
  return absl::OkStatus();
}

absl::Status ContainerManager::Stop(const std::string& id, absl::Duration timeout) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("container \"", id, "\" not found"));
  return StopLocked(entry->container, timeout);
}

absl::Status ContainerManager::RemoveLocked(Entry& entry) {
  Container& container = entry.container;
  if (absl::Status stopped = StopLocked(container, absl::ZeroDuration()); !stopped.ok()) {
    return stopped;
  }
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(container.runtime_handler);
  if (!runtime.ok()) return runtime.status();
  if (absl::Status deleted = (*runtime)->Delete(container.id); !deleted.ok()) return deleted;
  // Not from the pod manager: it may be the caller (pod removal), holding the pod's lock.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if ((*runtime)->RemoveMonitorCgroup(container.id, container.cgroup_parent).ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  options_.exits->Forget(container.id);
  if (absl::Status unmounted = UnmountImageVolumes(container); !unmounted.ok()) return unmounted;
  absl::Status storage = options_.store->DeleteContainer(container.id);
  if (!storage.ok() && !absl::IsNotFound(storage)) return storage;
  // Before the directory goes: removing it must never reach into a volume.
  if (absl::Status detached = DetachIdmappedVolumes(container.idmapped_volumes); !detached.ok()) {
    return detached;
  }
  std::error_code error;
  std::filesystem::remove_all(container.dir, error);
  if (error) {
    return absl::InternalError(StrCat("removing ", container.dir.string(), ": ", error.message()));
  }
  entry.removed = true;
  if (options_.selinux != nullptr) options_.selinux->Release(container.selinux);
  absl::MutexLock lock(&mu_);
  names_.erase(container.name);
  containers_.erase(container.id);
  spdlog::info("Removed container {} ({})", container.id, container.name);
  Emit(container, LifecycleEvent::Type::kDeleted);
  return absl::OkStatus();
}

absl::Status ContainerManager::UnmountImageVolumes(Container& container) {
  // Last first; an entry goes once its mount is given back, so a retry never unmounts twice.
  bool changed = false;
  absl::Status result;
  while (!container.image_volume_layers.empty()) {
    const std::string& layer = container.image_volume_layers.back();
    absl::Status unmounted = options_.store->layers().Unmount(layer);
    if (!unmounted.ok()) {
      result = absl::Status(unmounted.code(),
                            StrCat("container ", container.id, ": unmounting image volume layer ",
                                   layer, ": ", unmounted.message()));
      break;
    }
    container.image_volume_layers.pop_back();
    changed = true;
  }
  if (changed && std::filesystem::exists(container.state_path())) {
    if (absl::Status saved = SaveContainer(container); !saved.ok() && result.ok()) result = saved;
  }
  return result;
}

absl::Status ContainerManager::Remove(const std::string& id) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("container \"", id, "\" not found"));
  return RemoveLocked(*entry);
}

absl::StatusOr<Container> ContainerManager::Get(const std::string& id) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("container \"", id, "\" not found"));
  Refresh(entry->container);
  return entry->container;
}

std::vector<Container> ContainerManager::List(const ContainerFilter& filter) {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, entry] : containers_) {
      if (id.compare(0, filter.id.size(), filter.id) == 0) entries.push_back(entry);
    }
  }
  std::vector<Container> out;
  for (const auto& entry : entries) {
    absl::MutexLock lock(&entry->mu);
    if (entry->removed) continue;
    Refresh(entry->container);
    const Container& container = entry->container;
    if (!filter.pod_id.empty() &&
        container.pod_id.compare(0, filter.pod_id.size(), filter.pod_id) != 0) {
      continue;
    }
    if (filter.state && container.state != *filter.state) continue;
    bool labels_match = true;
    for (const auto& [key, value] : filter.labels) {
      auto found = container.config.labels().find(key);
      if (found == container.config.labels().end() || found->second != value) labels_match = false;
    }
    if (labels_match) out.push_back(container);
  }
  std::sort(out.begin(), out.end(),
            [](const Container& a, const Container& b) { return a.created_at < b.created_at; });
  return out;
}

absl::StatusOr<oci::ExecSyncResult> ContainerManager::ExecSync(
    const std::string& id, const std::vector<std::string>& command, absl::Duration timeout) {
  if (command.empty()) return absl::InvalidArgumentError("exec command is empty");
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  Container snapshot;
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->removed) return absl::NotFoundError(StrCat("container \"", id, "\" not found"));
    Refresh(entry->container);
    snapshot = entry->container;
  }
  // Not under the container's lock: a long exec must not block status calls.
  if (snapshot.state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(StrCat("container ", snapshot.id, " is not running"));
  }
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(snapshot.runtime_handler);
  if (!runtime.ok()) return runtime.status();
  return (*runtime)->ExecSync(snapshot.id, snapshot.name, snapshot.dir, command, timeout);
}

absl::StatusOr<ContainerManager::RunningContainer> ContainerManager::Running(
    const std::string& id) {
  absl::StatusOr<Container> container = Get(id);
  if (!container.ok()) return container.status();
  if (container->state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(StrCat("container ", container->id, " is not running"));
  }
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(container->runtime_handler);
  if (!runtime.ok()) return runtime.status();
  return RunningContainer{*std::move(container), *runtime};
}

absl::StatusOr<int> ContainerManager::ExecStream(const std::string& id,
                                                 const std::vector<std::string>& command,
                                                 const oci::StreamIo& io) {
  if (command.empty()) return absl::InvalidArgumentError("exec command is empty");
  absl::StatusOr<RunningContainer> running = Running(id);
  if (!running.ok()) return running.status();
  return running->runtime->ExecStream(running->container.id, running->container.dir, command, io);
}

absl::Status ContainerManager::Attach(const std::string& id, const oci::StreamIo& io) {
  absl::StatusOr<RunningContainer> running = Running(id);
  if (!running.ok()) return running.status();
  return running->runtime->Attach(running->container.id, running->container.dir, io);
}

absl::Status ContainerManager::UpdateResources(
    const std::string& id, const runtime::v1::LinuxContainerResources& resources) {
  absl::Status error;
  std::shared_ptr<Entry> entry = Find(id, &error);
  if (entry == nullptr) return error;
  absl::MutexLock lock(&entry->mu);
  if (entry->removed) return absl::NotFoundError(StrCat("container \"", id, "\" not found"));
  Container& container = entry->container;
  Refresh(container);
  if (container.state == ContainerState::kExited) {
    return absl::FailedPreconditionError(StrCat("container ", container.id, " is not running"));
  }
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(container.runtime_handler);
  if (!runtime.ok()) return runtime.status();
  std::shared_ptr<const config::Config> settings = options_.config->Get();
  if (absl::Status s = CheckMinimumMemory(*settings, container.runtime_handler,
                                          resources.memory_limit_in_bytes());
      !s.ok()) {
    return s;
  }
  nlohmann::json update = oci::LinuxResources(resources, settings->runtime.pids_limit);
  if (absl::Status updated = (*runtime)->UpdateResources(container.id, update.dump());
      !updated.ok()) {
    return updated;
  }
  // oom_score_adj is not a cgroup setting and cannot change on a running process through the
  // runtime; it keeps its creation value, as in CRI-O.
  int64_t oom = container.config.linux().resources().oom_score_adj();
  *container.config.mutable_linux()->mutable_resources() = resources;
  container.config.mutable_linux()->mutable_resources()->set_oom_score_adj(oom);
  return SaveContainer(container);
}

absl::Status ContainerManager::Checkpoint(const std::string& id) {
  if (absl::StatusOr<Container> found = Get(id); !found.ok()) return found.status();
  return oci::CheckpointSupport(FindInPath("criu"));
}

absl::Status ContainerManager::ReopenLog(const std::string& id) {
  absl::StatusOr<Container> container = Get(id);
  if (!container.ok()) return container.status();
  if (container->state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(StrCat("container ", container->id, " is not running"));
  }
  // The monitor's control FIFO: message type 2 reopens the log (the kubelet has just renamed it).
  UniqueFd ctl(::open((container->dir / "ctl").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!ctl.valid()) {
    return absl::InternalError(
        StrCat("container ", container->id, ": cannot reach its monitor: ", std::strerror(errno)));
  }
  constexpr std::string_view kReopen = "2 0 0\n";
  if (::write(ctl.get(), kReopen.data(), kReopen.size()) != static_cast<ssize_t>(kReopen.size())) {
    return absl::InternalError(
        StrCat("container ", container->id, ": writing to its monitor: ", std::strerror(errno)));
  }
  // Answer once the new file exists, so the kubelet's next look finds it.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (std::filesystem::exists(container->log_path)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(
      StrCat("container ", container->id, ": the log was not reopened within 1s"));
}

ContainerStatsData ContainerManager::StatsOf(const Container& container, bool with_processes) {
  ContainerStatsData data;
  data.container = container;
  data.timestamp = absl::ToUnixNanos(absl::Now());
  if (container.state == ContainerState::kRunning || container.state == ContainerState::kCreated) {
    std::string cgroup_path =
        oci::CgroupsPath(container.cgroup_parent, container.id, /*systemd=*/false);
    absl::StatusOr<oci::CgroupStats> cgroup = oci::ReadCgroupStats(cgroup_path);
    if (cgroup.ok()) {
      data.cgroup = *cgroup;
      data.has_cgroup = true;
    }
    if (with_processes) {
      absl::StatusOr<oci::ProcessStats> processes = oci::ReadCgroupProcessStats(cgroup_path);
      if (processes.ok()) {
        data.processes = *processes;
        data.has_processes = true;
      }
    }
  }
  if (absl::StatusOr<storage::Usage> usage = options_.store->ContainerUsage(container.id);
      usage.ok()) {
    data.writable_layer_bytes = usage->bytes;
    data.writable_layer_inodes = usage->inodes;
  }
  data.writable_layer_mountpoint = (options_.store->options().root / "overlay-containers").string();
  return data;
}

absl::StatusOr<ContainerStatsData> ContainerManager::Stats(const std::string& id) {
  absl::StatusOr<Container> container = Get(id);
  if (!container.ok()) return container.status();
  return StatsOf(*container);
}

std::vector<ContainerStatsData> ContainerManager::ListStats(const ContainerFilter& filter) {
  std::vector<ContainerStatsData> out;
  for (const Container& container : List(filter)) {
    if (container.state == ContainerState::kExited) continue;  // the kubelet wants live ones
    out.push_back(StatsOf(container));
  }
  return out;
}

absl::StatusOr<PodStatsData> ContainerManager::PodStats(const std::string& pod_id,
                                                        bool with_processes) {
  absl::StatusOr<sandbox::Sandbox> pod = options_.sandboxes->Get(pod_id);
  if (!pod.ok()) return pod.status();
  PodStatsData data;
  data.pod = *pod;
  data.timestamp = absl::ToUnixNanos(absl::Now());
  if (!pod->cgroup_parent.empty()) {
    absl::StatusOr<oci::CgroupStats> cgroup = oci::ReadCgroupStats(pod->cgroup_parent);
    if (cgroup.ok()) {
      data.cgroup = *cgroup;
      data.has_cgroup = true;
    }
  }
  if (!pod->net_ns.empty() && pod->state == sandbox::SandboxState::kReady) {
    absl::StatusOr<std::vector<network::InterfaceStats>> interfaces =
        network::ReadInterfaceStats(pod->net_ns);
    if (interfaces.ok()) data.interfaces = *std::move(interfaces);
  }
  for (const Container& container : List({.pod_id = pod->id})) {
    if (container.state == ContainerState::kExited) continue;  // the kubelet wants live ones
    data.containers.push_back(StatsOf(container, with_processes));
  }
  return data;
}

std::vector<std::shared_ptr<ContainerManager::Entry>> ContainerManager::AllEntries() {
  std::vector<std::shared_ptr<Entry>> entries;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, entry] : containers_) entries.push_back(entry);
  return entries;
}

absl::Status ContainerManager::StopPod(const std::string& pod_id) {
  for (const auto& entry : AllEntries()) {
    absl::MutexLock lock(&entry->mu);
    if (entry->removed || entry->container.pod_id != pod_id) continue;
    // The kubelet has already given each container its grace period; what is left is killed.
    if (absl::Status stopped = StopLocked(entry->container, absl::ZeroDuration()); !stopped.ok()) {
      return stopped;
    }
  }
  return absl::OkStatus();
}

absl::Status ContainerManager::RemovePod(const std::string& pod_id) {
  for (const auto& entry : AllEntries()) {
    absl::MutexLock lock(&entry->mu);
    if (entry->removed || entry->container.pod_id != pod_id) continue;
    if (absl::Status removed = RemoveLocked(*entry); !removed.ok()) return removed;
  }
  return absl::OkStatus();
}

}  // namespace crio::container
