// RunPodSandbox: namespaces, files, network and (when needed) the pause container, undone step by
// step when any of them fails.
#include <sys/stat.h>

#include "crio/common/atomic_file.h"
#include "crio/common/event_hub.h"
#include "crio/common/host.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/network/cni.h"
#include "crio/network/namespaces.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime_set.h"
#include "crio/oci/selinux.h"
#include "crio/sandbox/infra.h"
#include "crio/sandbox/manager.h"
#include "crio/sandbox/pod_files.h"
#include "crio/sandbox/sysctls.h"
#include "crio/storage/layer_record.h"
#include "entry.h"

namespace crio::sandbox {
namespace {

// Kubernetes' default /dev/shm size for a pod.
constexpr uint64_t kDefaultShmSize = 64ULL << 20;

absl::Status ValidateMetadata(const runtime::v1::PodSandboxConfig& config) {
  if (!config.has_metadata()) return absl::InvalidArgumentError("pod sandbox metadata is missing");
  const auto& metadata = config.metadata();
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"name", &metadata.name()},
        {"namespace", &metadata.namespace_()},
        {"uid", &metadata.uid()}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(StrCat("pod sandbox metadata.", field, " is empty"));
    }
    if (value->find('_') != std::string::npos && std::string_view(field) != "uid") {
      // '_' separates the parts of the reserved name; Kubernetes names never contain it.
      return absl::InvalidArgumentError(
          StrCat("pod sandbox metadata.", field, " \"", *value, "\" contains '_'"));
    }
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> ToMap(
    const google::protobuf::Map<std::string, std::string>& in) {
  return {in.begin(), in.end()};
}

}  // namespace

network::PodNetwork PodNetworkOf(const Sandbox& sandbox) {
  const auto& metadata = sandbox.config.metadata();
  network::PodNetwork pod;
  pod.pod_id = sandbox.id;
  pod.name = metadata.name();
  pod.namespace_name = metadata.namespace_();
  pod.uid = metadata.uid();
  pod.netns = sandbox.net_ns;
  pod.cgroup_path = sandbox.cgroup_parent;
  pod.annotations = ToMap(sandbox.config.annotations());
  const auto& dns = sandbox.config.dns_config();
  if (dns.servers_size() + dns.searches_size() + dns.options_size() > 0) {
    pod.dns = network::DnsConfig{{dns.servers().begin(), dns.servers().end()},
                                 {dns.searches().begin(), dns.searches().end()},
                                 {dns.options().begin(), dns.options().end()}};
  }
  for (const auto& mapping : sandbox.config.port_mappings()) {
    if (mapping.host_port() <= 0) continue;  // only host ports need a mapping
    network::PortMapping port;
    switch (mapping.protocol()) {
      case runtime::v1::UDP:
        port.protocol = "udp";
        break;
      case runtime::v1::SCTP:
        port.protocol = "sctp";
        break;
      default:
        port.protocol = "tcp";
    }
    port.container_port = mapping.container_port();
    port.host_port = mapping.host_port();
    port.host_ip = mapping.host_ip();
    pod.port_mappings.push_back(port);
  }
  return pod;
}

absl::StatusOr<std::string> SandboxManager::Run(const runtime::v1::PodSandboxConfig& pod_config,
                                                const std::string& runtime_handler) {
  if (absl::Status valid = ValidateMetadata(pod_config); !valid.ok()) return valid;
  absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(runtime_handler);
  if (!runtime.ok()) return absl::InvalidArgumentError(runtime.status().message());
  std::shared_ptr<const config::Config> config = options_.config->Get();

  auto entry = std::make_shared<Entry>();
  absl::MutexLock pod_lock(&entry->mu);
  Sandbox& sandbox = entry->sandbox;
  sandbox.id = storage::RandomId();
  sandbox.name = ReservedName(pod_config.metadata());
  sandbox.config = pod_config;
  sandbox.runtime_handler = runtime_handler;
  sandbox.created_at = absl::ToUnixNanos(absl::Now());
  sandbox.dir = options_.state_dir / sandbox.id;
  sandbox.cgroup_parent = pod_config.linux().cgroup_parent();

  Rollback rollback;
  {
    absl::MutexLock lock(&mu_);
    if (auto taken = names_.find(sandbox.name); taken != names_.end()) {
      return absl::AlreadyExistsError(StrCat("pod sandbox name \"", sandbox.name,
                                             "\" is already reserved for pod ", taken->second));
    }
    names_[sandbox.name] = sandbox.id;
  }
  rollback.Add([&] {
    absl::MutexLock lock(&mu_);
    names_.erase(sandbox.name);
  });

  std::error_code error;
  std::filesystem::create_directories(sandbox.dir, error);
  if (error) {
    return absl::InternalError(StrCat("creating ", sandbox.dir.string(), ": ", error.message()));
  }
  rollback.Add([&] {
    std::error_code ignored;
    std::filesystem::remove_all(sandbox.dir, ignored);
  });
  // Written again at each step that makes something to undo, until the pod is complete.
  sandbox.incomplete = true;
  sandbox.state = SandboxState::kNotReady;
  auto checkpoint = [&] { return SaveSandbox(sandbox); };
  if (absl::Status saved = checkpoint(); !saved.ok()) return saved;
  if (!pod_config.log_directory().empty()) {
    std::filesystem::create_directories(pod_config.log_directory(), error);
    if (error) {
      return absl::InternalError(StrCat("creating the pod log directory ",
                                        pod_config.log_directory(), ": ", error.message()));
    }
  }

  // Hostname: the pod's own, or the node's when it has none (host network pods get the node's
  // from the kubelet anyway).
  sandbox.hostname = pod_config.hostname().empty() ? NodeHostname() : pod_config.hostname();

  PodNamespaces shared{.host_network = sandbox.host_network(), .host_ipc = sandbox.host_ipc()};
  if (!shared.host_network) {
    network::Readiness readiness = options_.cni->Status();
    if (!readiness.ready) {
      return absl::FailedPreconditionError(
          StrCat("the pod network is not ready: ", readiness.message));
    }
  }
  absl::StatusOr<std::map<std::string, std::string>> sysctls =
      PodSysctls(ToMap(pod_config.linux().sysctls()), config->runtime.default_sysctls, shared);
  if (!sysctls.ok()) return sysctls.status();

  network::NamespaceRequest request{.pinns = options_.pinns,
                                    .dir = config->runtime.namespaces_dir,
                                    .name = sandbox.id,
                                    .net = !shared.host_network,
                                    .ipc = !shared.host_ipc,
                                    .uts = !shared.host_network,
                                    .sysctls = *sysctls};
  if (request.uts) request.sysctls["kernel.hostname"] = sandbox.hostname;
  const auto& userns = pod_config.linux().security_context().namespace_options().userns_options();
  // Without userns_options (older kubelets) the pod shares the node's user namespace.
  if (pod_config.linux().security_context().namespace_options().has_userns_options() &&
      userns.mode() == runtime::v1::POD) {
    if (userns.uids().empty() || userns.gids().empty()) {
      return absl::InvalidArgumentError(
          "a pod user namespace needs uid and gid mappings in userns_options");
    }
    request.user = true;
    for (const auto& id : userns.uids()) {
      request.uid_mappings.push_back({id.container_id(), id.host_id(), id.length()});
    }
    for (const auto& id : userns.gids()) {
      request.gid_mappings.push_back({id.container_id(), id.host_id(), id.length()});
    }
  }
  absl::StatusOr<network::PinnedNamespaces> pinned = network::PinNamespaces(request);
  if (!pinned.ok()) return pinned.status();
  sandbox.net_ns = pinned->net.value_or("");
  sandbox.ipc_ns = pinned->ipc.value_or("");
  sandbox.uts_ns = pinned->uts.value_or("");
  sandbox.user_ns = pinned->user.value_or("");
  rollback.Add([paths = pinned->All()] {
    for (const auto& path : paths) (void)network::UnpinNamespace(path);
  });
  if (absl::Status saved = checkpoint(); !saved.ok()) return saved;
  // Pods talk to themselves over localhost whatever the CNI chain does, as under CRI-O (whose
  // CNI library brings the loopback up for every pod).
  if (!sandbox.net_ns.empty()) {
    if (absl::Status up = network::BringUpLoopback(sandbox.net_ns); !up.ok()) return up;
  }

  if (options_.selinux != nullptr) {
    const auto& security = pod_config.linux().security_context();
    oci::PodSelinuxMode mode = oci::PodSelinuxMode::kSeparated;
    if (sandbox.host_pid() || sandbox.host_ipc()) {
      mode = oci::PodSelinuxMode::kHostNamespaces;
    } else if (security.privileged()) {
      mode = oci::PodSelinuxMode::kPrivileged;
    } else if (sandbox.host_network() && config->runtime.hostnetwork_disable_selinux) {
      mode = oci::PodSelinuxMode::kHostNetwork;
    }
    absl::StatusOr<oci::SelinuxLabels> labels =
        options_.selinux->ForPod(security.selinux_options(), mode);
    if (!labels.ok()) return labels.status();
    sandbox.selinux = *labels;
    rollback.Add([&] { options_.selinux->Release(sandbox.selinux); });
  }

  // Files the pod's containers get bind-mounted.
  if (absl::Status written = WriteFileAtomically(sandbox.hostname_path(), sandbox.hostname + "\n",
                                                 0644, Durability::kVolatile);
      !written.ok()) {
    return written;
  }
  DnsSettings dns;
  const auto& dns_config = pod_config.dns_config();
  dns.servers.assign(dns_config.servers().begin(), dns_config.servers().end());
  dns.searches.assign(dns_config.searches().begin(), dns_config.searches().end());
  dns.options.assign(dns_config.options().begin(), dns_config.options().end());
  if (absl::Status written = WriteResolvConf(sandbox.resolv_conf_path(), dns); !written.ok()) {
    return written;
  }

  if (shared.host_ipc) {
    sandbox.shm_path = "/dev/shm";
  } else {
    absl::StatusOr<uint64_t> shm_size =
        ShmSizeFromAnnotations(ToMap(pod_config.annotations()), kDefaultShmSize);
    if (!shm_size.ok()) return shm_size.status();
    sandbox.shm_path = sandbox.dir / "shm";
    if (absl::Status mounted = MountShm(sandbox.shm_path, *shm_size, sandbox.selinux.mount);
        !mounted.ok()) {
      return mounted;
    }
    sandbox.shm_mounted = true;
    rollback.Add([&] { (void)UnmountShm(sandbox.shm_path); });
    if (absl::Status saved = checkpoint(); !saved.ok()) return saved;
  }

  if (!shared.host_network) {
    network::PodNetwork pod = PodNetworkOf(sandbox);
    absl::StatusOr<std::optional<network::Bandwidth>> bandwidth =
        network::BandwidthFromAnnotations(pod.annotations);
    if (!bandwidth.ok()) return bandwidth.status();
    pod.bandwidth = *bandwidth;
    // Before the ADD: one cut short leaves allocations that only a DEL gives back.
    sandbox.network_attached = true;
    if (absl::Status saved = checkpoint(); !saved.ok()) return saved;
    sandbox.network_attached = false;
    absl::StatusOr<network::AttachResult> attached = options_.cni->Attach(pod);
    if (!attached.ok()) {
      return absl::Status(attached.status().code(), StrCat("setting up the pod network: ",
                                                           View(attached.status().message())));
    }
    sandbox.network_attached = true;
    sandbox.network_name = attached->network_name;
    for (const network::PodIp& ip : attached->ips) sandbox.ips.push_back(ip.address);
    rollback.Add([&, pod] {
      if (absl::Status detached = options_.cni->Detach(pod); !detached.ok()) {
        spdlog::error("pod {}: undoing its network: {}", sandbox.id, detached.message());
      }
    });
  }

  absl::StatusOr<std::string> host_hosts =
      shared.host_network ? ReadFile("/etc/hosts") : absl::StatusOr<std::string>(std::string());
  std::string hosts = shared.host_network && host_hosts.ok()
                          ? *host_hosts
                          : RenderHosts(sandbox.hostname, sandbox.ips);
  if (absl::Status written =
          WriteFileAtomically(sandbox.hosts_path(), hosts, 0644, Durability::kVolatile);
      !written.ok()) {
    return written;
  }
  // Every container of the pod reads them: the pod's own label (its level), as in CRI-O.
  for (const std::filesystem::path& file :
       {sandbox.hostname_path(), sandbox.resolv_conf_path(), sandbox.hosts_path()}) {
    if (absl::Status relabeled = oci::RelabelPath(file, sandbox.selinux.mount, false);
        !relabeled.ok()) {
      return relabeled;
    }
  }

  if (NeedsInfraContainer(sandbox, *config)) {
    InfraDeps deps{config.get(), *runtime, options_.exits, options_.store, options_.images};
    if (absl::Status started = StartInfraContainer(sandbox, deps); !started.ok()) return started;
    rollback.Add([&, deps] {
      (void)StopInfraContainer(sandbox, deps);
      if (absl::Status removed = RemoveInfraContainer(sandbox, deps); !removed.ok()) {
        spdlog::error("pod {}: undoing its pause container: {}", sandbox.id, removed.message());
      }
    });
  }

  sandbox.state = SandboxState::kReady;
  sandbox.incomplete = false;
  if (absl::Status saved = SaveSandbox(sandbox); !saved.ok()) return saved;
  {
    absl::MutexLock lock(&mu_);
    sandboxes_[sandbox.id] = entry;
  }
  rollback.Commit();
  Emit(sandbox.id, LifecycleEvent::Type::kCreated);
  Emit(sandbox.id, LifecycleEvent::Type::kStarted);
  spdlog::info("Ran pod sandbox {} ({}){}", sandbox.id, sandbox.name,
               sandbox.ips.empty() ? "" : StrCat(" with IP ", sandbox.ips.front()));
  return sandbox.id;
}

}  // namespace crio::sandbox
