#include "daemon.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "crio/common/log.h"

#include "crio/common/host.h"
#include "crio/common/logging.h"
#include "crio/common/reaper.h"
#include "crio/common/sd_notify.h"
#include "crio/config/holder.h"
#include "crio/oci/runtime_handler.h"
#include "crio/server/cri_server.h"

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
  return oci::CheckHandlers(config);
}

void Reload(const config::Sources& sources, config::ConfigHolder& holder) {
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
  holder.Replace(std::move(next));
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

  auto holder = std::make_shared<config::ConfigHolder>(std::move(loaded.config));
  absl::StatusOr<std::unique_ptr<server::CriServer>> server = server::CriServer::Start(holder);
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
      Reload(sources, *holder);
      continue;
    }
    spdlog::info("Received SIG{}, shutting down", sigabbrev_np(signo));
    (void)NotifyServiceManager("STOPPING=1");
    (*server)->Shutdown(kShutdownGrace);
    spdlog::info("Shutdown complete");
    spdlog::default_logger()->flush();
    return 0;
  }
}

}  // namespace crio::daemon
