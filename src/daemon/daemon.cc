// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include "daemon.h"
#include "image_setup.h"
#include "registries_watch.h"

#include <signal.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "crio/common/log.h"

#include "crio/build_info.h"
#include "crio/common/event_hub.h"
#include "crio/common/host.h"
#include "crio/common/logging.h"
#include "crio/common/reaper.h"
#include "crio/common/sd_notify.h"
#include "crio/common/strings.h"
#include "crio/config/holder.h"
#include "crio/config/options.h"
#include "crio/container/manager.h"
#include "crio/image/image_manager.h"
#include "crio/network/cni.h"
#include "crio/oci/apparmor.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime_handler.h"
#include "crio/oci/runtime_set.h"
#include "crio/oci/selinux.h"
#include "crio/oci/spec.h"
#include "crio/sandbox/manager.h"
#include "crio/server/cri_server.h"
#include "crio/server/streaming_backend.h"
#include "crio/storage/store.h"
#include "crio/streaming/server.h"

namespace crio::daemon {
namespace {

// How long calls in flight may run on after SIGTERM before they are cancelled.
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);

sigset_t DaemonSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

void LogWarnings(const config::Loaded& loaded) {
  for (const auto& warning : loaded.warnings) spdlog::warn("{}", warning.ToString());
  for (const auto& option : config::UnsupportedSettings(loaded.config)) {
    spdlog::warn("{} is set but not supported yet; it has no effect", option);
  }
}

// Checks what the configuration needs from this host before any state is touched.
absl::Status CheckHost(const config::Config& config) {
  if (config.runtime.cgroup_manager == "systemd" && !SystemdIsInit()) {
    return absl::FailedPreconditionError(
        "crio.runtime.cgroup_manager = \"systemd\" needs systemd as the host's init, and this "
        "host's init is not systemd; use cgroup_manager = \"cgroupfs\" (--cgroup-manager "
        "cgroupfs)");
  }
  if (!config.crio.storage_driver.empty() && config.crio.storage_driver != "overlay") {
    return absl::UnimplementedError(StrCat("crio.storage_driver \"", config.crio.storage_driver,
                                           "\" is not supported yet (only overlay)"));
  }
  if (auto status =
          oci::PrepareAppArmor(config.runtime.apparmor_profile, oci::DetectHostLsm().apparmor);
      !status.ok()) {
    return status;
  }
  // As CRI-O: a device every container is to get must be there when the daemon starts.
  if (auto status = oci::CheckAdditionalDevices(config.runtime.additional_devices); !status.ok()) {
    return status;
  }
  return oci::CheckHandlers(config);
}

storage::StoreOptions StoreOptionsOf(const config::Config& config) {
  storage::StoreOptions options;
  options.root = config.crio.root;
  options.runroot = config.crio.runroot;
  for (const std::string& option : config.crio.storage_option) {
    constexpr std::string_view kMountOpt = "overlay.mountopt=";
    if (option.starts_with(kMountOpt)) {
      options.mount_options.clear();
      for (std::string_view part : StrSplit(option.substr(kMountOpt.size()), ',', true)) {
        options.mount_options.emplace_back(part);
      }
    }
  }
  return options;
}

network::CniOptions CniOptionsOf(const config::Config& config) {
  network::CniOptions options;
  options.network_dir = config.network.network_dir;
  options.plugin_dirs.clear();
  // The deprecated single plugin_dir comes first, as CRI-O reads it.
  if (!config.network.plugin_dir.empty()) options.plugin_dirs.push_back(config.network.plugin_dir);
  for (const auto& dir : config.network.plugin_dirs) options.plugin_dirs.push_back(dir);
  options.default_network = config.network.cni_default_network;
  return options;
}

// pinns_path, or the pinns installed beside crio, or one on $PATH.
// The exec/attach/port-forward server on stream_address:stream_port.
absl::StatusOr<std::unique_ptr<streaming::Server>> StartStreamingServer(
    const config::Config& config, streaming::Backend& backend) {
  streaming::ServerOptions options;
  options.address = config.api.stream_address;
  int port = 0;
  std::from_chars(config.api.stream_port.data(),
                  config.api.stream_port.data() + config.api.stream_port.size(), port);
  options.port = port;
  options.enable_tls = config.api.stream_enable_tls;
  options.tls_cert = config.api.stream_tls_cert;
  options.tls_key = config.api.stream_tls_key;
  options.tls_ca = config.api.stream_tls_ca;
  // Empty means the kubelet streaming server's default, as in CRI-O.
  options.idle_timeout = absl::Hours(4);
  if (!config.api.stream_idle_timeout.empty()) {
    absl::StatusOr<int64_t> idle = config::ParseDuration(config.api.stream_idle_timeout);
    if (!idle.ok()) return idle.status();
    options.idle_timeout = absl::Nanoseconds(*idle);
  }
  absl::StatusOr<std::unique_ptr<streaming::Server>> server =
      streaming::Server::Start(options, backend);
  if (server.ok()) spdlog::info("Streaming server listening on {}", (*server)->BaseUrl());
  return server;
}

std::filesystem::path PinnsPath(const config::Config& config) {
  if (!config.runtime.pinns_path.empty()) return config.runtime.pinns_path;
  std::filesystem::path installed = std::filesystem::path(build_info::kLibexecDir) / "pinns";
  if (std::filesystem::exists(installed)) return installed;
  return "pinns";
}

// What SIGHUP reloads: crio.conf's live options, then registries.conf (as CRI-O, whose reload
// stops at the first failure, a crio.conf that does not load leaves registries.conf alone too).
void Reload(const config::Sources& sources, config::ConfigHolder& holder,
            const RegistriesFiles& registries, image::ImageManager& images) {
  spdlog::info("SIGHUP received: reloading the configuration");
  absl::StatusOr<config::Loaded> loaded = config::Load(sources);
  if (!loaded.ok()) {
    spdlog::error("Reload failed, keeping the running configuration: {}",
                  loaded.status().message());
    return;
  }
  for (const auto& warning : loaded->warnings) spdlog::warn("{}", warning.ToString());
  std::shared_ptr<const config::Config> running = holder.Get();
  std::vector<config::Change> changes;
  config::Config next = config::ApplyReload(*running, loaded->config, changes);
  if (auto status = ConfigureLogging(next.runtime.log_level, next.runtime.log_filter);
      !status.ok()) {
    spdlog::error("Reload failed, keeping the running configuration: {}", status.message());
    return;
  }
  for (const config::Change& change : changes) {
    switch (change.effect) {
      case config::Change::Effect::kApplied:
        spdlog::info("Reload: {} changed from {} to {}", change.option, change.old_value,
                     change.new_value);
        break;
      case config::Change::Effect::kNeedsRestart:
        spdlog::warn("Reload: {} changed from {} to {}; it takes effect after a restart",
                     change.option, change.old_value, change.new_value);
        break;
      case config::Change::Effect::kNotSupported:
        spdlog::warn("Reload: {} changed from {} to {}, but it is not supported yet", change.option,
                     change.old_value, change.new_value);
        break;
    }
  }
  if (changes.empty()) spdlog::info("Reload: the configuration is unchanged");
  // pinned_images and pause_image: what ImageStatus and ListImages call pinned.
  images.ReplacePinnedImages(PinnedImages(next));
  holder.Replace(std::move(next));
  ReloadRegistries(registries, images);
}

}  // namespace

void BlockDaemonSignals() {
  sigset_t set = DaemonSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client that hangs up mid-write must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
}

int Run(const config::Sources& sources, config::Loaded loaded) {
  if (auto status =
          ConfigureLogging(loaded.config.runtime.log_level, loaded.config.runtime.log_filter);
      !status.ok()) {
    spdlog::critical("{}", status.message());
    return 1;
  }
  LogWarnings(loaded);
  if (auto status = CheckHost(loaded.config); !status.ok()) {
    spdlog::critical("{}", status.message());
    return 1;
  }

  // Monitors daemonize; as subreaper we collect them when they end instead of leaving that to an
  // init that may reap late.
  if (auto status = Reaper::Get().BecomeSubreaper(); !status.ok()) {
    spdlog::warn("{}; exited monitors may linger as zombies", status.message());
  }

  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(StoreOptionsOf(loaded.config));
  if (!store.ok()) {
    spdlog::critical("Cannot open the container storage: {}", store.status().message());
    return 1;
  }
  RegistriesFiles registries = RegistriesFilesFromEnvironment();
  image::ImageManager images(**store, LoadRegistriesAtStart(registries),
                             PolicyFilesOf(loaded.config), PinnedImages(loaded.config),
                             ImageContextOf(loaded.config));
  std::unique_ptr<RegistriesWatch> registries_watch;
  if (loaded.config.image.auto_reload_registries) {
    absl::StatusOr<std::unique_ptr<RegistriesWatch>> watch = RegistriesWatch::Start(
        registries, [&registries, &images] { ReloadRegistries(registries, images); });
    if (watch.ok()) {
      registries_watch = *std::move(watch);
    } else {
      spdlog::warn("auto_reload_registries: {}; registries.conf is reloaded on SIGHUP only",
                   watch.status().message());
    }
  }

  absl::StatusOr<std::unique_ptr<oci::RuntimeSet>> runtimes =
      oci::RuntimeSet::FromConfig(loaded.config);
  if (!runtimes.ok()) {
    spdlog::critical("{}", runtimes.status().message());
    return 1;
  }
  std::error_code dir_error;
  std::filesystem::create_directories(loaded.config.runtime.container_exits_dir, dir_error);
  absl::StatusOr<std::unique_ptr<oci::ExitWatcher>> exits =
      oci::ExitWatcher::Start(loaded.config.runtime.container_exits_dir);
  if (!exits.ok()) {
    spdlog::critical("Cannot watch container exits: {}", exits.status().message());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<network::CniManager>> cni =
      network::CniManager::Create(CniOptionsOf(loaded.config));
  if (!cni.ok()) {
    spdlog::critical("Cannot set up CNI: {}", cni.status().message());
    return 1;
  }
  std::filesystem::path pinns = PinnsPath(loaded.config);
  std::filesystem::path pod_state = std::filesystem::path(loaded.config.crio.runroot) / "crio-pods";

  oci::SelinuxSetup selinux =
      oci::SetUpSelinuxLabeling(loaded.config.runtime.selinux, oci::DetectHostLsm().selinux);
  if (loaded.config.runtime.selinux) spdlog::info("{}", selinux.message);
  auto holder = std::make_shared<config::ConfigHolder>(std::move(loaded.config));
  EventHub events;
  absl::StatusOr<std::unique_ptr<sandbox::SandboxManager>> sandboxes =
      sandbox::SandboxManager::Open({.config = holder,
                                     .runtimes = runtimes->get(),
                                     .exits = exits->get(),
                                     .store = store->get(),
                                     .images = &images,
                                     .cni = cni->get(),
                                     .state_dir = pod_state,
                                     .pinns = pinns,
                                     .events = &events,
                                     .selinux = selinux.labeler.get()});
  if (!sandboxes.ok()) {
    spdlog::critical("Cannot restore pods: {}", sandboxes.status().message());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<container::ContainerManager>> containers =
      container::ContainerManager::Open(
          {.config = holder,
           .runtimes = runtimes->get(),
           .exits = exits->get(),
           .store = store->get(),
           .images = &images,
           .sandboxes = sandboxes->get(),
           .events = &events,
           .state_dir = std::filesystem::path(holder->Get()->crio.runroot) / "crio-containers",
           .selinux = selinux.labeler.get()});
  if (!containers.ok()) {
    spdlog::critical("Cannot restore containers: {}", containers.status().message());
    return 1;
  }
  server::StreamingBackend streaming_backend(**containers, **sandboxes);
  absl::StatusOr<std::unique_ptr<streaming::Server>> streaming_server =
      StartStreamingServer(*holder->Get(), streaming_backend);
  if (!streaming_server.ok()) {
    spdlog::critical("Cannot start the streaming server: {}", streaming_server.status().message());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<server::CriServer>> server =
      server::CriServer::Start(holder, {.images = &images,
                                        .sandboxes = sandboxes->get(),
                                        .containers = containers->get(),
                                        .events = &events,
                                        .cni = cni->get(),
                                        .streaming = streaming_server->get(),
                                        .runtimes = runtimes->get()});
  if (!server.ok()) {
    spdlog::critical("{}", server.status().message());
    return 1;
  }
  if (auto status = NotifyServiceManager("READY=1"); !status.ok()) {
    spdlog::warn("Cannot tell the service manager that crio is ready: {}", status.message());
  }

  std::optional<absl::Duration> watchdog = WatchdogInterval();
  sigset_t signals = DaemonSignals();
  while (true) {
    siginfo_t info{};
    int signo;
    if (watchdog) {
      timespec timeout = absl::ToTimespec(*watchdog);
      signo = sigtimedwait(&signals, &info, &timeout);
    } else {
      signo = sigwaitinfo(&signals, &info);
    }
    if (signo < 0) {
      if (errno == EAGAIN) (void)NotifyServiceManager("WATCHDOG=1");
      continue;  // the watchdog tick, or EINTR
    }
    if (signo == SIGHUP) {
      Reload(sources, *holder, registries, images);
      continue;
    }
    spdlog::info("Received SIG{}, shutting down", sigabbrev_np(signo));
    (void)NotifyServiceManager("STOPPING=1");
    (*server)->Shutdown(kShutdownGrace);
    if (auto status = (*store)->Shutdown(); !status.ok()) {
      spdlog::warn("Storage left set up: {}", status.message());
    }
    spdlog::info("Shutdown complete");
    spdlog::default_logger()->flush();
    return 0;
  }
}

}  // namespace crio::daemon
