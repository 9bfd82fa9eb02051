// The option table: every crio.conf key with its default, its documentation and where it lives in
// the model. Parsing, `crio config`, the reference doc and flag handling all read this one table.
#include "crio/config/options.h"

#include <algorithm>

namespace crio::config {
namespace {

using Strings = std::vector<std::string>;

#define FIELD(member) [](Config& c) -> FieldRef { return &c.member; }
#define HFIELD(member) [](RuntimeHandler& h) -> FieldRef { return &h.member; }

constexpr Reload kLive = Reload::kLive;
constexpr Reload kRestart = Reload::kRestart;
constexpr Support kYes = Support::kSupported;
constexpr Support kNo = Support::kNotYet;

const Strings kDefaultCapabilities = {"CHOWN",   "DAC_OVERRIDE",     "FSETID",
                                      "FOWNER",  "SETGID",           "SETUID",
                                      "SETPCAP", "NET_BIND_SERVICE", "KILL"};

// The tables below are data, laid out one option per row group; clang-format would put every
// field on its own line.
// clang-format off
std::vector<ConfigOption> BuildConfigOptions() {
  return {
      // [crio]
      {"crio", "root", "/var/lib/containers/storage", "Directory of the image and layer store.",
       FIELD(crio.root), kRestart, kYes, {}, Check::kNone, "root"},
      {"crio", "runroot", "/var/run/containers/storage",
       "Directory of the store's volatile state (mounts, locks).", FIELD(crio.runroot), kRestart,
       kYes, {}, Check::kNone, "runroot"},
      {"crio", "imagestore", "", "Separate directory for newly pulled images; empty uses root.",
       FIELD(crio.imagestore), kRestart, kNo, {}, Check::kNone, "imagestore"},
      {"crio", "storage_driver", "overlay", "Storage driver for layers (overlay).",
       FIELD(crio.storage_driver), kRestart, kYes, {}, Check::kNone, "storage-driver"},
      {"crio", "storage_option", Strings{}, "Driver options such as \"overlay.mountopt=nodev\".",
       FIELD(crio.storage_option), kRestart, kYes, {}, Check::kNone, "storage-opt"},
      {"crio", "log_dir", "/var/log/crio/pods", "Default directory for container logs.",
       FIELD(crio.log_dir), kRestart, kYes, {}, Check::kNone, "log-dir"},
      {"crio", "version_file", "/var/run/crio/version",
       "Version file on tmpfs; its absence after a reboot triggers a container wipe.",
       FIELD(crio.version_file), kRestart, kNo, {}, Check::kNone, "version-file"},
      {"crio", "version_file_persist", "",
       "Persistent version file; a change after an upgrade triggers an image wipe.",
       FIELD(crio.version_file_persist), kRestart, kNo, {}, Check::kNone, "version-file-persist"},
      {"crio", "clean_shutdown_file", "/var/lib/crio/clean.shutdown",
       "Written at clean shutdown; its absence at start means storage may be damaged.",
       FIELD(crio.clean_shutdown_file), kRestart, kNo, {}, Check::kNone, "clean-shutdown-file"},
      {"crio", "internal_wipe", true, "Wipe stale containers and images at startup (deprecated).",
       FIELD(crio.internal_wipe), kRestart, kNo, {}, Check::kNone, "internal-wipe"},
      {"crio", "internal_repair", true, "Check and repair the store after an unclean shutdown.",
       FIELD(crio.internal_repair), kRestart, kNo, {}, Check::kNone, "internal-repair"},

      // [crio.api]
      {"crio.api", "listen", "/var/run/crio/crio.sock", "Unix socket the CRI gRPC API listens on.",
       FIELD(api.listen), kRestart, kYes, {}, Check::kNone, "listen"},
      {"crio.api", "stream_address", "127.0.0.1", "Address of the exec/attach/port-forward server.",
       FIELD(api.stream_address), kRestart, kYes, {}, Check::kNone, "stream-address"},
      {"crio.api", "stream_port", "0", "Port of the streaming server; 0 picks a free port.",
       FIELD(api.stream_port), kRestart, kYes, {}, Check::kPort, "stream-port"},
      {"crio.api", "stream_enable_tls", false, "Serve the streaming server over TLS.",
       FIELD(api.stream_enable_tls), kRestart, kYes, {}, Check::kNone, "stream-enable-tls"},
      {"crio.api", "stream_idle_timeout", "",
       "Close streaming connections idle this long (Go duration); empty keeps the default of 4h.",
       FIELD(api.stream_idle_timeout), kRestart, kYes, {}, Check::kDuration, "stream-idle-timeout"},
      {"crio.api", "stream_tls_cert", "", "Certificate of the streaming server (reloaded on change).",
       FIELD(api.stream_tls_cert), kRestart, kYes, {}, Check::kNone, "stream-tls-cert"},
      {"crio.api", "stream_tls_key", "", "Private key of the streaming server (reloaded on change).",
       FIELD(api.stream_tls_key), kRestart, kYes, {}, Check::kNone, "stream-tls-key"},
      {"crio.api", "stream_tls_ca", "", "CA bundle that streaming clients' certificates must chain to.",
       FIELD(api.stream_tls_ca), kRestart, kYes, {}, Check::kNone, "stream-tls-ca"},
      {"crio.api", "grpc_max_send_msg_size", int64_t{83886080},
       "Largest gRPC message the daemon sends, in bytes.", FIELD(api.grpc_max_send_msg_size),
       kRestart, kYes, {}, Check::kPositive, "grpc-max-send-msg-size"},
      {"crio.api", "grpc_max_recv_msg_size", int64_t{83886080},
       "Largest gRPC message the daemon accepts, in bytes.", FIELD(api.grpc_max_recv_msg_size),
       kRestart, kYes, {}, Check::kPositive, "grpc-max-recv-msg-size"},

      // [crio.runtime]
      {"crio.runtime", "default_runtime", "runc",
       "Runtime handler used when a pod names none; must have a [crio.runtime.runtimes.*] table.",
       FIELD(runtime.default_runtime), kLive, kYes, {}, Check::kNone, "default-runtime"},
      {"crio.runtime", "conmon", "", "Monitor binary (deprecated: use the handler's monitor_path).",
       FIELD(runtime.conmon), kRestart, kYes, {}, Check::kNone, "conmon"},
      {"crio.runtime", "conmon_cgroup", "",
       "Monitor cgroup (deprecated: use the handler's monitor_cgroup).",
       FIELD(runtime.conmon_cgroup), kRestart, kYes, {}, Check::kNone, "conmon-cgroup"},
      {"crio.runtime", "conmon_env", Strings{},
       "Environment of the monitor for handlers without a monitor_env (deprecated: use the "
       "handler's monitor_env).",
       FIELD(runtime.conmon_env), kRestart, kYes, {}, Check::kNone, "conmon-env"},
      {"crio.runtime", "cgroup_manager", "systemd",
       "Cgroup driver: systemd or cgroupfs (cgroupfs where systemd is not PID 1).",
       FIELD(runtime.cgroup_manager), kRestart, kYes, {"systemd", "cgroupfs"}, Check::kNone,
       "cgroup-manager"},
      {"crio.runtime", "default_capabilities", kDefaultCapabilities,
       "Capabilities a container gets unless its security context changes them.",
       FIELD(runtime.default_capabilities), kRestart, kYes, {}, Check::kNone,
       "default-capabilities"},
      {"crio.runtime", "add_inheritable_capabilities", false,
       "Also put the capabilities in the inheritable set.",
       FIELD(runtime.add_inheritable_capabilities), kRestart, kYes, {}, Check::kNone,
       "add-inheritable-capabilities"},
      {"crio.runtime", "default_sysctls", Strings{}, "Sysctls (key=value) set in every pod.",
       FIELD(runtime.default_sysctls), kRestart, kYes, {}, Check::kKeyValue, "default-sysctls"},
      {"crio.runtime", "default_ulimits", Strings{},
       "Resource limits (name=soft:hard) of every container; empty inherits the daemon's.",
       FIELD(runtime.default_ulimits), kRestart, kYes, {}, Check::kUlimit, "default-ulimits"},
      {"crio.runtime", "default_env", Strings{}, "Environment variables (KEY=value) of every container.",
       FIELD(runtime.default_env), kRestart, kYes, {}, Check::kKeyValue, "default-env"},
      {"crio.runtime", "allowed_devices", Strings{"/dev/fuse", "/dev/net/tun"},
       "Host devices the pod devices annotation (devices.crio.io) may add to its containers.",
       FIELD(runtime.allowed_devices), kRestart, kYes, {}, Check::kNone, "allowed-devices"},
      {"crio.runtime", "additional_devices", Strings{},
       "Host devices added to every container (host[:container][:permissions]); checked at "
       "startup.",
       FIELD(runtime.additional_devices), kRestart, kYes, {}, Check::kNone, "additional-devices"},
      {"crio.runtime", "cdi_spec_dirs", Strings{"/etc/cdi", "/var/run/cdi"},
       "Directories of Container Device Interface specs (*.json, *.yaml); a later directory's "
       "device wins over an earlier one's.", FIELD(runtime.cdi_spec_dirs), kLive, kYes, {},
       Check::kNone, "cdi-spec-dirs"},
      {"crio.runtime", "device_ownership_from_security_context", false,
       "Give devices the container's run_as_user/run_as_group instead of the host's owner.",
       FIELD(runtime.device_ownership_from_security_context), kRestart, kYes, {}, Check::kNone,
       "device-ownership-from-security-context"},
      {"crio.runtime", "seccomp_profile", "",
       "Seccomp profile file for RuntimeDefault; empty uses the built-in profile.",
       FIELD(runtime.seccomp_profile), kLive, kYes, {}, Check::kNone, "seccomp-profile"},
      {"crio.runtime", "privileged_seccomp_profile", "",
       "Seccomp profile file applied to every privileged container; empty leaves them unconfined.",
       FIELD(runtime.privileged_seccomp_profile), kLive, kYes, {}, Check::kNone,
       "privileged-seccomp-profile"},
      {"crio.runtime", "apparmor_profile", "crio-default",
       "AppArmor profile for RuntimeDefault (used only where AppArmor is enabled).",
       FIELD(runtime.apparmor_profile), kRestart, kYes, {}, Check::kNone, "apparmor-profile"},
      {"crio.runtime", "selinux", false,
       "Label pods and containers with SELinux where the host has it: each pod gets the "
       "policy's container label with a level of its own (the CRI's selinux_options on top), "
       "and mounts that ask for it are relabeled. Off, SELinux is left out of the spec.",
       FIELD(runtime.selinux), kRestart, kYes, {}, Check::kNone, "selinux"},
      {"crio.runtime", "hooks_dir", Strings{"/usr/share/containers/oci/hooks.d"},
       "Directories of OCI hook definitions (JSON); a later directory's file overrides an earlier "
       "one of the same name.", FIELD(runtime.hooks_dir), kRestart, kYes, {},
       Check::kNone, "hooks-dir"},
      {"crio.runtime", "pids_limit", int64_t{-1},
       "Process limit per container; -1 leaves it to the kubelet (deprecated).",
       FIELD(runtime.pids_limit), kRestart, kYes, {}, Check::kNone, "pids-limit"},
      {"crio.runtime", "log_size_max", int64_t{-1},
       "Largest container log in bytes (negative: unlimited, else at least 8192); the monitor "
       "then starts the file over (deprecated: the kubelet rotates logs).",
       FIELD(runtime.log_size_max), kRestart, kYes, {}, Check::kNone, "log-size-max"},
      {"crio.runtime", "log_to_journald", false, "Also send container logs to the journal.",
       FIELD(runtime.log_to_journald), kRestart, kNo, {}, Check::kNone, "log-journald"},
      {"crio.runtime", "container_exits_dir", "/var/run/crio/exits",
       "Directory where monitors write container exit codes.", FIELD(runtime.container_exits_dir),
       kRestart, kYes, {}, Check::kNone, "container-exits-dir"},
      {"crio.runtime", "container_attach_socket_dir", "/var/run/crio",
       "Directory of the containers' attach sockets.", FIELD(runtime.container_attach_socket_dir),
       kRestart, kNo, {}, Check::kNone, "container-attach-socket-dir"},
      {"crio.runtime", "bind_mount_prefix", "", "Prefix added to the host side of bind mounts.",
       FIELD(runtime.bind_mount_prefix), kRestart, kNo, {}, Check::kNone, "bind-mount-prefix"},
      {"crio.runtime", "read_only", false, "Run every container with a read-only root filesystem.",
       FIELD(runtime.read_only), kRestart, kYes, {}, Check::kNone, "read-only"},
      {"crio.runtime", "log_level", "info",
       "Daemon log level: fatal, panic, error, warn, info, debug or trace.",
       FIELD(runtime.log_level), kLive, kYes,
       {"fatal", "panic", "error", "warn", "warning", "info", "debug", "trace"}, Check::kNone,
       "log-level"},
      {"crio.runtime", "log_filter", "", "Regular expression; only matching log messages are written.",
       FIELD(runtime.log_filter), kLive, kYes, {}, Check::kRegex, "log-filter"},
      {"crio.runtime", "uid_mappings", "",
       "User namespace UID ranges containerID:hostID:size (deprecated).",
       FIELD(runtime.uid_mappings), kRestart, kNo, {}, Check::kMapping, "uid-mappings"},
      {"crio.runtime", "gid_mappings", "",
       "User namespace GID ranges containerID:hostID:size (deprecated).",
       FIELD(runtime.gid_mappings), kRestart, kNo, {}, Check::kMapping, "gid-mappings"},
      {"crio.runtime", "minimum_mappable_uid", int64_t{-1},
       "Lowest host UID a user namespace may map; -1 means no limit.",
       FIELD(runtime.minimum_mappable_uid), kRestart, kNo, {}, Check::kNone,
       "minimum-mappable-uid"},
      {"crio.runtime", "minimum_mappable_gid", int64_t{-1},
       "Lowest host GID a user namespace may map; -1 means no limit.",
       FIELD(runtime.minimum_mappable_gid), kRestart, kNo, {}, Check::kNone,
       "minimum-mappable-gid"},
      {"crio.runtime", "ctr_stop_timeout", int64_t{30},
       "Least time in seconds a container gets to stop before it is killed.",
       FIELD(runtime.ctr_stop_timeout), kRestart, kNo, {}, Check::kNone, "ctr-stop-timeout"},
      {"crio.runtime", "drop_infra_ctr", true,
       "Run no pause container unless the pod shares its PID namespace.",
       FIELD(runtime.drop_infra_ctr), kRestart, kYes, {}, Check::kNone, "drop-infra-ctr"},
      {"crio.runtime", "infra_ctr_cpuset", "", "CPUs (cpuset syntax) that infra containers run on.",
       FIELD(runtime.infra_ctr_cpuset), kRestart, kYes, {}, Check::kNone, "infra-ctr-cpuset"},
      {"crio.runtime", "shared_cpuset", "", "CPUs that guaranteed containers may share.",
       FIELD(runtime.shared_cpuset), kRestart, kNo, {}, Check::kNone, "shared-cpuset"},
      {"crio.runtime", "namespaces_dir", "/var/run",
       "Where pod namespaces are pinned (netns/, ipcns/, utsns/ below it).",
       FIELD(runtime.namespaces_dir), kRestart, kYes, {}, Check::kNone, "namespaces-dir"},
      {"crio.runtime", "pinns_path", "", "The pinns helper; empty uses the one installed with crio.",
       FIELD(runtime.pinns_path), kRestart, kYes, {}, Check::kNone, "pinns-path"},
      {"crio.runtime", "enable_criu_support", true,
       "Allow checkpoint/restore with CRIU where it is installed.",
       FIELD(runtime.enable_criu_support), kRestart, kNo, {}, Check::kNone, "enable-criu-support"},
      {"crio.runtime", "enable_pod_events", false,
       "Serve GetContainerEvents for the kubelet's evented PLEG.",
       FIELD(runtime.enable_pod_events), kRestart, kNo, {}, Check::kNone, "enable-pod-events"},
      {"crio.runtime", "no_pivot", false, "Ask the runtime not to pivot_root (for ramdisk roots).",
       FIELD(runtime.no_pivot), kRestart, kYes, {}, Check::kNone, "no-pivot"},
      {"crio.runtime", "decryption_keys_path", "/etc/crio/keys/",
       "Keys for pulling encrypted images.", FIELD(runtime.decryption_keys_path), kLive, kNo, {},
       Check::kNone, "decryption-keys-path"},
      {"crio.runtime", "disable_hostport_mapping", false,
       "Leave host port mappings to the CNI plugins.", FIELD(runtime.disable_hostport_mapping),
       kRestart, kNo, {}, Check::kNone, "disable-hostport-mapping"},
      {"crio.runtime", "timezone", "",
       "Time zone of every container's /etc/localtime: a zone name (Europe/Paris), \"Local\" "
       "for the host's, or empty for the image's own.",
       FIELD(runtime.timezone), kRestart, kYes, {}, Check::kNone, "timezone"},
      {"crio.runtime", "default_mounts_file", "", "File listing host:container bind mounts for all.",
       FIELD(runtime.default_mounts_file), kRestart, kNo, {}, Check::kNone, "default-mounts-file"},
      {"crio.runtime", "absent_mount_sources_to_reject", Strings{},
       "Host paths that must exist when mounted; others are created.",
       FIELD(runtime.absent_mount_sources_to_reject), kRestart, kNo, {}, Check::kNone,
       "absent-mount-sources-to-reject"},
      {"crio.runtime", "irqbalance_config_file", "/etc/sysconfig/irqbalance",
       "irqbalance configuration updated for CPU-isolated pods.",
       FIELD(runtime.irqbalance_config_file), kRestart, kNo, {}, Check::kNone,
       "irqbalance-config-file"},
      {"crio.runtime", "separate_pull_cgroup", "",
       "Cgroup for image pulls: empty (the daemon's) or \"pod\".",
       FIELD(runtime.separate_pull_cgroup), kRestart, kNo, {}, Check::kNone,
       "separate-pull-cgroup"},
      {"crio.runtime", "blockio_config_file", "", "Block I/O class definitions for containers.",
       FIELD(runtime.blockio_config_file), kLive, kNo, {}, Check::kNone, "blockio-config-file"},
      {"crio.runtime", "blockio_reload", false, "Re-read blockio_config_file on reload.",
       FIELD(runtime.blockio_reload), kLive, kNo, {}, Check::kNone, "blockio-reload"},
      {"crio.runtime", "rdt_config_file", "", "Intel RDT class definitions for containers.",
       FIELD(runtime.rdt_config_file), kLive, kNo, {}, Check::kNone, "rdt-config-file"},
      {"crio.runtime", "hostnetwork_disable_selinux", true,
       "Run host-network pods without an SELinux process label (their files keep the pod's "
       "level).",
       FIELD(runtime.hostnetwork_disable_selinux), kRestart, kYes, {}, Check::kNone,
       "hostnetwork-disable-selinux"},
      {"crio.runtime", "irqbalance_config_restore_file", "/etc/sysconfig/orig_irq_banned_cpus",
       "Where the original irqbalance banned CPUs are saved for restore.",
       FIELD(runtime.irqbalance_config_restore_file), kRestart, kNo, {}, Check::kNone,
       "irqbalance-config-restore-file"},
      {"crio.runtime", "min_injected_gomaxprocs", int64_t{0},
       "Least GOMAXPROCS injected into containers with CPU limits; 0 disables.",
       FIELD(runtime.min_injected_gomaxprocs), kRestart, kNo, {}, Check::kNone,
       "min-injected-gomaxprocs"},

      // [crio.image]
      {"crio.image", "default_transport", "docker://", "Transport for image names without one.",
       FIELD(image.default_transport), kRestart, kNo, {}, Check::kNone, "default-transport"},
      {"crio.image", "global_auth_file", "",
       "Registry credentials file (containers-auth.json); when set, the only one read. Empty: "
       "$REGISTRY_AUTH_FILE, else /run/containers/0/auth.json, ~/.config/containers/auth.json, "
       "~/.docker/config.json.",
       FIELD(image.global_auth_file), kRestart, kYes, {}, Check::kNone, "global-auth-file"},
      {"crio.image", "namespaced_auth_dir", "/etc/crio/auth",
       "Per-namespace credentials files (<namespace>-<hash>.json).",
       FIELD(image.namespaced_auth_dir), kRestart, kNo, {}, Check::kNone, "namespaced-auth-dir"},
      {"crio.image", "pause_image", "registry.k8s.io/pause:3.10.1", "Image of infra containers.",
       FIELD(image.pause_image), kLive, kYes, {}, Check::kNone, "pause-image"},
      {"crio.image", "pause_image_auth_file", "",
       "Credentials file (containers-auth.json) for pulling the pause image, instead of the others.",
       FIELD(image.pause_image_auth_file), kLive, kYes, {}, Check::kNone, "pause-image-auth-file"},
      {"crio.image", "pause_command", "/pause", "Command of infra containers.",
       FIELD(image.pause_command), kLive, kYes, {}, Check::kNone, "pause-command"},
      {"crio.image", "pinned_images", Strings{},
       "Images kept from garbage collection: exact, \"prefix*\" or \"*keyword*\".",
       FIELD(image.pinned_images), kLive, kYes, {}, Check::kNone, "pinned-images"},
      {"crio.image", "signature_policy", "",
       "policy.json path; empty uses /etc/containers/policy.json.", FIELD(image.signature_policy),
       kRestart, kYes, {}, Check::kNone, "signature-policy"},
      {"crio.image", "signature_policy_dir", "/etc/crio/policies",
       "Directory of per-namespace policies: <namespace>.json, when it exists, replaces "
       "signature_policy for the pulls of pods in that namespace.",
       FIELD(image.signature_policy_dir), kRestart, kYes, {}, Check::kNone,
       "signature-policy-dir"},
      {"crio.image", "insecure_registries", Strings{},
       "Registries reached without TLS verification (deprecated: use registries.conf).",
       FIELD(image.insecure_registries), kRestart, kNo, {}, Check::kNone, "insecure-registry"},
      {"crio.image", "image_volumes", "mkdir", "Image VOLUMEs: mkdir, bind or ignore.",
       FIELD(image.image_volumes), kRestart, kYes, {"mkdir", "bind", "ignore"}, Check::kNone,
       "image-volumes"},
      {"crio.image", "big_files_temporary_dir", "",
       "Directory for layers downloaded ahead of their turn (unlinked files); empty uses /var/tmp.",
       FIELD(image.big_files_temporary_dir), kRestart, kYes, {}, Check::kNone,
       "big-files-temporary-dir"},
      {"crio.image", "pull_progress_timeout", "0s",
       "Cancel a pull that makes no progress this long (Go duration), logging progress every "
       "tenth of it; 0s disables.",
       FIELD(image.pull_progress_timeout), kRestart, kYes, {}, Check::kDuration,
       "pull-progress-timeout"},
      {"crio.image", "registries", Strings{},
       "Registries searched for short names (deprecated: use registries.conf).",
       FIELD(image.registries), kRestart, kNo, {}, Check::kNone, "registry"},
      {"crio.image", "short_name_mode", "enforcing",
       "Short-name resolution: enforcing or disabled.", FIELD(image.short_name_mode), kRestart,
       kNo, {"enforcing", "disabled"}, Check::kNone, "short-name-mode"},
      {"crio.image", "auto_reload_registries", false,
       "Reload registries.conf when it or a file in registries.conf.d changes, without SIGHUP.",
       FIELD(image.auto_reload_registries), kRestart, kYes, {}, Check::kNone,
       "auto-reload-registries"},
      {"crio.image", "oci_artifact_mount_support", true, "Allow OCI artifacts as image volumes.",
       FIELD(image.oci_artifact_mount_support), kRestart, kNo, {}, Check::kNone,
       "oci-artifact-mount-support"},

      // [crio.network]
      {"crio.network", "cni_default_network", "",
       "CNI network to use; empty picks the first valid config.",
       FIELD(network.cni_default_network), kRestart, kYes, {}, Check::kNone,
       "cni-default-network"},
      {"crio.network", "network_dir", "/etc/cni/net.d/", "Directory of CNI network configs.",
       FIELD(network.network_dir), kRestart, kYes, {}, Check::kNone, "cni-config-dir"},
      {"crio.network", "plugin_dir", "", "Single CNI plugin directory (deprecated: use plugin_dirs).",
       FIELD(network.plugin_dir), kRestart, kYes, {}, Check::kNone, {}},
      {"crio.network", "plugin_dirs", Strings{"/opt/cni/bin/"}, "Directories of CNI plugin binaries.",
       FIELD(network.plugin_dirs), kRestart, kYes, {}, Check::kNone, "cni-plugin-dir"},
      {"crio.network", "cni_status_grace_period", "0s",
       "How long CNI STATUS may fail before NetworkReady turns false; 0s checks only at start.",
       FIELD(network.cni_status_grace_period), kRestart, kNo, {}, Check::kDuration,
       "cni-status-grace-period"},

      // [crio.metrics]
      {"crio.metrics", "enable_metrics", false, "Serve Prometheus metrics.",
       FIELD(metrics.enable_metrics), kRestart, kNo, {}, Check::kNone, "enable-metrics"},
      {"crio.metrics", "metrics_collectors",
       Strings{"image_pulls_layer_size", "containers_events_dropped_total",
               "containers_oom_total", "processes_defunct", "operations_total",
               "operations_latency_seconds", "operations_latency_seconds_total",
               "operations_errors_total", "image_pulls_bytes_total",
               "image_pulls_skipped_bytes_total", "image_pulls_failure_total",
               "image_pulls_success_total", "image_layer_reuse_total",
               "containers_oom_count_total", "containers_seccomp_notifier_count_total",
               "resources_stalled_at_stage", "containers_stopped_monitor_count",
               "default_runtime"},
       "Metric collectors to enable.", FIELD(metrics.metrics_collectors), kRestart, kNo, {},
       Check::kNone, "metrics-collectors"},
      {"crio.metrics", "metrics_host", "127.0.0.1", "Address the metrics server listens on.",
       FIELD(metrics.metrics_host), kRestart, kNo, {}, Check::kNone, "metrics-host"},
      {"crio.metrics", "metrics_port", int64_t{9090}, "Port of the metrics server.",
       FIELD(metrics.metrics_port), kRestart, kNo, {}, Check::kNone, "metrics-port"},
      {"crio.metrics", "metrics_socket", "", "Unix socket for metrics, instead of host and port.",
       FIELD(metrics.metrics_socket), kRestart, kNo, {}, Check::kNone, "metrics-socket"},
      {"crio.metrics", "metrics_cert", "", "Certificate for serving metrics over TLS.",
       FIELD(metrics.metrics_cert), kRestart, kNo, {}, Check::kNone, "metrics-cert"},
      {"crio.metrics", "metrics_key", "", "Private key for serving metrics over TLS.",
       FIELD(metrics.metrics_key), kRestart, kNo, {}, Check::kNone, "metrics-key"},

      // [crio.tracing]
      {"crio.tracing", "enable_tracing", false, "Export OpenTelemetry traces.",
       FIELD(tracing.enable_tracing), kRestart, kNo, {}, Check::kNone, "enable-tracing"},
      {"crio.tracing", "tracing_endpoint", "127.0.0.1:4317", "OTLP/gRPC collector address.",
       FIELD(tracing.tracing_endpoint), kRestart, kNo, {}, Check::kNone, "tracing-endpoint"},
      {"crio.tracing", "tracing_sampling_rate_per_million", int64_t{0},
       "Traces sampled per million requests.", FIELD(tracing.tracing_sampling_rate_per_million),
       kRestart, kNo, {}, Check::kNone, "tracing-sampling-rate-per-million"},

      // [crio.stats]
      {"crio.stats", "stats_collection_period", int64_t{0},
       "Seconds between stats collections; 0 collects on demand (deprecated).",
       FIELD(stats.stats_collection_period), kRestart, kNo, {}, Check::kNone,
       "stats-collection-period"},
      {"crio.stats", "collection_period", int64_t{0},
       "Seconds between stats collections; 0 collects on demand.",
       FIELD(stats.collection_period), kRestart, kNo, {}, Check::kNone, "collection-period"},
      {"crio.stats", "included_pod_metrics", Strings{},
       "Pod metric groups served by ListPodSandboxMetrics: cpu, memory, network, process.",
       FIELD(stats.included_pod_metrics), kRestart, kYes, {}, Check::kNone,
       "included-pod-metrics"},

      // [crio.nri]
      {"crio.nri", "enable_nri", true, "Accept Node Resource Interface plugins.",
       FIELD(nri.enable_nri), kRestart, kNo, {}, Check::kNone, "enable-nri"},
      {"crio.nri", "nri_listen", "/var/run/nri/nri.sock", "Socket NRI plugins connect to.",
       FIELD(nri.nri_listen), kRestart, kNo, {}, Check::kNone, "nri-listen"},
      {"crio.nri", "nri_plugin_dir", "/opt/nri/plugins", "Directory of NRI plugins started by crio.",
       FIELD(nri.nri_plugin_dir), kRestart, kNo, {}, Check::kNone, "nri-plugin-dir"},
      {"crio.nri", "nri_plugin_config_dir", "/etc/nri/conf.d", "Directory of NRI plugin configs.",
       FIELD(nri.nri_plugin_config_dir), kRestart, kNo, {}, Check::kNone,
       "nri-plugin-config-dir"},
      {"crio.nri", "nri_plugin_registration_timeout", "5s",
       "How long a plugin may take to register.", FIELD(nri.nri_plugin_registration_timeout),
       kRestart, kNo, {}, Check::kDuration, "nri-plugin-registration-timeout"},
      {"crio.nri", "nri_plugin_request_timeout", "2s", "How long a plugin may take to answer.",
       FIELD(nri.nri_plugin_request_timeout), kRestart, kNo, {}, Check::kDuration,
       "nri-plugin-request-timeout"},
      {"crio.nri", "nri_disable_connections", false, "Refuse externally started NRI plugins.",
       FIELD(nri.nri_disable_connections), kRestart, kNo, {}, Check::kNone,
       "nri-disable-connections"},
  };
}

std::vector<HandlerOption> BuildHandlerOptions() {
  return {
      {"crio.runtime.runtimes.*", "runtime_path", "",
       "OCI runtime binary; empty searches $PATH for the handler's name.", HFIELD(runtime_path),
       kLive, kYes},
      {"crio.runtime.runtimes.*", "runtime_type", "oci",
       "oci (monitor + runtime), vm or pod; only oci is planned.", HFIELD(runtime_type), kLive, kNo,
       {"oci", "vm", "pod"}},
      {"crio.runtime.runtimes.*", "runtime_root", "",
       "State directory passed to the runtime as --root; empty uses /run/<name>.",
       HFIELD(runtime_root), kLive, kYes},
      {"crio.runtime.runtimes.*", "runtime_config_path", "", "Runtime config file (vm runtimes).",
       HFIELD(runtime_config_path), kLive, kNo},
      {"crio.runtime.runtimes.*", "monitor_path", "",
       "Monitor (conmon) binary; empty uses the one installed with crio.", HFIELD(monitor_path),
       kLive, kYes},
      {"crio.runtime.runtimes.*", "monitor_cgroup", "",
       "Monitor cgroup: a systemd slice, \"pod\", or empty (system.slice / pod by driver).",
       HFIELD(monitor_cgroup), kLive, kYes},
      {"crio.runtime.runtimes.*", "monitor_env", Strings{}, "Environment of the monitor.",
       HFIELD(monitor_env), kLive, kYes, {}, Check::kKeyValue},
      {"crio.runtime.runtimes.*", "monitor_exec_cgroup", "",
       "Cgroup of exec monitors: empty (the monitor's) or \"container\".",
       HFIELD(monitor_exec_cgroup), kLive, kNo},
      {"crio.runtime.runtimes.*", "allowed_annotations", Strings{},
       "Experimental annotations this handler honours; of CRI-O's, the devices annotation "
       "(devices.crio.io, io.kubernetes.cri-o.Devices) is implemented, others are ignored.",
       HFIELD(allowed_annotations), kLive, kYes},
      {"crio.runtime.runtimes.*", "privileged_without_host_devices", false,
       "Privileged containers get no host devices.", HFIELD(privileged_without_host_devices),
       kLive, kYes},
      {"crio.runtime.runtimes.*", "container_min_memory", "",
       "Smallest memory limit a container may have (CreateContainer and "
       "UpdateContainerResources refuse less); empty means CRI-O's default: 500KiB for crun, "
       "12MiB for other runtimes.",
       HFIELD(container_min_memory), kLive, kYes, {}, Check::kMemory},
      {"crio.runtime.runtimes.*", "no_sync_log", false,
       "Do not fsync container logs when the container exits.", HFIELD(no_sync_log), kLive, kYes},
      {"crio.runtime.runtimes.*", "stream_websockets", false,
       "Serve exec/attach/port-forward over WebSocket too.", HFIELD(stream_websockets), kLive, kNo},
      {"crio.runtime.runtimes.*", "seccomp_profile", "",
       "RuntimeDefault seccomp profile for this handler.", HFIELD(seccomp_profile), kLive, kYes},
      {"crio.runtime.runtimes.*", "container_create_timeout", int64_t{240},
       "Seconds a container create may take (at least 30).", HFIELD(container_create_timeout),
       kLive, kNo},
      {"crio.runtime.runtimes.*", "exec_cpu_affinity", "",
       "CPUs exec processes run on: empty or \"first\".", HFIELD(exec_cpu_affinity), kLive, kNo},
      {"crio.runtime.runtimes.*", "inherit_default_runtime", false,
       "Copy unset keys from the default handler.", HFIELD(inherit_default_runtime), kLive, kNo},
      {"crio.runtime.runtimes.*", "runtime_pull_image", false,
       "Let the runtime pull images itself.", HFIELD(runtime_pull_image), kLive, kNo},
  };
}

// clang-format on

#undef FIELD
#undef HFIELD

}  // namespace

const std::vector<ConfigOption>& ConfigOptions() {
  static const std::vector<ConfigOption> options = BuildConfigOptions();
  return options;
}

const std::vector<HandlerOption>& HandlerOptions() {
  static const std::vector<HandlerOption> options = BuildHandlerOptions();
  return options;
}

const std::vector<std::string_view>& Tables() {
  static const std::vector<std::string_view> tables = {
      "crio",         "crio.api",     "crio.runtime", "crio.image", "crio.network",
      "crio.metrics", "crio.tracing", "crio.stats",   "crio.nri"};
  return tables;
}

const ConfigOption* FindOption(std::string_view dotted_name) {
  for (const ConfigOption& spec : ConfigOptions()) {
    if (dotted_name.size() == spec.table.size() + 1 + spec.key.size() &&
        dotted_name.substr(0, spec.table.size()) == spec.table &&
        dotted_name[spec.table.size()] == '.' &&
        dotted_name.substr(spec.table.size() + 1) == spec.key) {
      return &spec;
    }
  }
  return nullptr;
}

}  // namespace crio::config
