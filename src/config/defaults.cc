// The built-in configuration, assembled from the option table's defaults.
#include <cstdlib>

#include "crio/common/host.h"
#include "crio/config/config.h"
#include "crio/config/options.h"

namespace crio::config {
namespace {

template <class Owner>
void ApplyDefaults(const std::vector<OptionSpec<Owner>>& options, Owner& owner) {
  for (const auto& spec : options) {
    // A default whose type differs from its field is a bug in the option table.
    if (!Set(spec.field(owner), spec.default_value).ok()) std::abort();
  }
}

}  // namespace

Config Defaults() {
  Config config;
  ApplyDefaults(ConfigOptions(), config);

  // CRI-O defaults to the systemd driver; on a host whose init is not systemd that driver cannot
  // work at all, so the built-in default there is cgroupfs (an explicit "systemd" is still refused
  // at startup with a clear error).
  if (!SystemdIsInit()) config.runtime.cgroup_manager = "cgroupfs";

  // CRI-O ships one handler, for its default runtime. Ours is runc: Debian 12's crun 1.8 cannot
  // run containers on hosts with a hybrid cgroup v1/v2 layout (see docs/crio.conf.5.md).
  RuntimeHandler runc = DefaultRuntimeHandler();
  runc.runtime_root = "/run/runc";
  runc.monitor_env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  runc.allowed_annotations = {"io.containers.trace-syscall", "io.kubernetes.cri-o.Devices"};
  config.runtime.runtimes.emplace("runc", std::move(runc));
  return config;
}

RuntimeHandler DefaultRuntimeHandler() {
  RuntimeHandler handler;
  ApplyDefaults(HandlerOptions(), handler);
  return handler;
}

const RuntimeHandler* Config::DefaultHandler() const {
  auto it = runtime.runtimes.find(runtime.default_runtime);
  return it == runtime.runtimes.end() ? nullptr : &it->second;
}

}  // namespace crio::config
