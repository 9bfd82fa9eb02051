#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace crio::config {

// One `[crio.runtime.runtimes.NAME]` table: an OCI runtime and the monitor that drives it.
struct RuntimeHandler {
  std::string runtime_path;
  std::string runtime_type = "oci";
  std::string runtime_root;
  std::string runtime_config_path;
  std::string monitor_path;
  std::string monitor_cgroup;
  std::vector<std::string> monitor_env;
  std::string monitor_exec_cgroup;
  std::vector<std::string> allowed_annotations;
  bool privileged_without_host_devices = false;
  std::string container_min_memory;
  bool no_sync_log = false;
  bool stream_websockets = false;
  std::string seccomp_profile;
  int64_t container_create_timeout = 240;
  std::string exec_cpu_affinity;
  bool inherit_default_runtime = false;
  bool runtime_pull_image = false;

  bool operator==(const RuntimeHandler&) const = default;
};

// The typed crio.conf model. Field names are CRI-O's option names; defaults are set by
// Defaults() (config/defaults.cc) so that they live next to their documentation.
struct Config {
  struct Root {  // [crio]
    std::string root;
    std::string runroot;
    std::string imagestore;
    std::string storage_driver;
    std::vector<std::string> storage_option;
    std::string log_dir;
    std::string version_file;
    std::string version_file_persist;
    std::string clean_shutdown_file;
    bool internal_wipe = true;
    bool internal_repair = true;
    bool operator==(const Root&) const = default;
  } crio;

  struct Api {  // [crio.api]
    std::string listen;
    std::string stream_address;
    std::string stream_port;
    bool stream_enable_tls = false;
    std::string stream_idle_timeout;
    std::string stream_tls_cert;
    std::string stream_tls_key;
    std::string stream_tls_ca;
    int64_t grpc_max_send_msg_size = 0;
    int64_t grpc_max_recv_msg_size = 0;
    bool operator==(const Api&) const = default;
  } api;

  struct Runtime {  // [crio.runtime]
    std::string default_runtime;
    std::string conmon;
    std::string conmon_cgroup;
    std::vector<std::string> conmon_env;
    std::string cgroup_manager;
    std::vector<std::string> default_capabilities;
    bool add_inheritable_capabilities = false;
    std::vector<std::string> default_sysctls;
    std::vector<std::string> default_ulimits;
    std::vector<std::string> default_env;
    std::vector<std::string> allowed_devices;
    std::vector<std::string> additional_devices;
    std::vector<std::string> cdi_spec_dirs;
    bool device_ownership_from_security_context = false;
    std::string seccomp_profile;
    std::string privileged_seccomp_profile;
    std::string apparmor_profile;
    bool selinux = false;
    std::vector<std::string> hooks_dir;
    int64_t pids_limit = 0;
    int64_t log_size_max = 0;
    bool log_to_journald = false;
    std::string container_exits_dir;
    std::string container_attach_socket_dir;
    std::string bind_mount_prefix;
    bool read_only = false;
    std::string log_level;
    std::string log_filter;
    std::string uid_mappings;
    std::string gid_mappings;
    int64_t minimum_mappable_uid = 0;
    int64_t minimum_mappable_gid = 0;
    int64_t ctr_stop_timeout = 0;
    bool drop_infra_ctr = true;
    std::string infra_ctr_cpuset;
    std::string shared_cpuset;
    std::string namespaces_dir;
    std::string pinns_path;
    bool enable_criu_support = false;
    bool enable_pod_events = false;
    bool no_pivot = false;
    std::string decryption_keys_path;
    bool disable_hostport_mapping = false;
    std::string timezone;
    std::string default_mounts_file;
    std::vector<std::string> absent_mount_sources_to_reject;
    std::string irqbalance_config_file;
    std::string separate_pull_cgroup;
    std::string blockio_config_file;
    bool blockio_reload = false;
    std::string rdt_config_file;
    bool hostnetwork_disable_selinux = true;
    std::string irqbalance_config_restore_file;
    int64_t min_injected_gomaxprocs = 0;
    std::map<std::string, RuntimeHandler> runtimes;
    bool operator==(const Runtime&) const = default;
  } runtime;

  struct Image {  // [crio.image]
    std::string default_transport;
    std::string global_auth_file;
    std::string namespaced_auth_dir;
    std::string pause_image;
    std::string pause_image_auth_file;
    std::string pause_command;
    std::vector<std::string> pinned_images;
    std::string signature_policy;
    std::string signature_policy_dir;
    std::vector<std::string> insecure_registries;
    std::string image_volumes;
    std::string big_files_temporary_dir;
    std::string pull_progress_timeout;
    std::vector<std::string> registries;
    std::string short_name_mode;
    bool auto_reload_registries = false;
    bool oci_artifact_mount_support = true;
    bool operator==(const Image&) const = default;
  } image;

  struct Network {  // [crio.network]
    std::string cni_default_network;
    std::string network_dir;
    std::string plugin_dir;
    std::vector<std::string> plugin_dirs;
    std::string cni_status_grace_period;
    bool operator==(const Network&) const = default;
  } network;

  struct Metrics {  // [crio.metrics]
    bool enable_metrics = false;
    std::vector<std::string> metrics_collectors;
    std::string metrics_host;
    int64_t metrics_port = 0;
    std::string metrics_socket;
    std::string metrics_cert;
    std::string metrics_key;
    bool operator==(const Metrics&) const = default;
  } metrics;

  struct Tracing {  // [crio.tracing]
    bool enable_tracing = false;
    std::string tracing_endpoint;
    int64_t tracing_sampling_rate_per_million = 0;
    bool operator==(const Tracing&) const = default;
  } tracing;

  struct Stats {  // [crio.stats]
    int64_t stats_collection_period = 0;
    int64_t collection_period = 0;
    std::vector<std::string> included_pod_metrics;
    bool operator==(const Stats&) const = default;
  } stats;

  struct Nri {  // [crio.nri]
    bool enable_nri = true;
    std::string nri_listen;
    std::string nri_plugin_dir;
    std::string nri_plugin_config_dir;
    std::string nri_plugin_registration_timeout;
    std::string nri_plugin_request_timeout;
    bool nri_disable_connections = false;
    bool operator==(const Nri&) const = default;
  } nri;

  bool operator==(const Config&) const = default;

  // The handler that default_runtime names; nullptr when the configuration has none (Validate
  // rejects such a configuration).
  const RuntimeHandler* DefaultHandler() const;
};

// The built-in configuration: CRI-O's documented defaults, adjusted for this host where noted
// in docs/crio.conf.5.md.
Config Defaults();

// A runtime handler table with every key at its default: what a `[crio.runtime.runtimes.NAME]`
// table that sets no key means.
RuntimeHandler DefaultRuntimeHandler();

}  // namespace crio::config
