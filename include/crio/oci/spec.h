#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crio/oci/selinux.h"

namespace crio::oci {

struct HookDefinition;  // hooks.h

// The parts of an OCI image config ({"config": {...}}) that shape a container's spec.
struct ImageConfigView {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;      // KEY=value
  std::vector<std::string> volumes;  // container paths, sorted
  std::string working_dir;
  std::string user;
  std::string stop_signal;

  // A config without a "config" object (or with null members) gives empty fields; malformed JSON
  // or members of the wrong type are InvalidArgument.
  static absl::StatusOr<ImageConfigView> Parse(const std::string& image_config_json);
};

// What a pod gives its containers. The caller fills it from sandbox::Sandbox: oci sits below
// sandbox and must not include it.
struct PodContext {
  std::string pod_id;
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string hostname;
  std::string cgroup_parent;
  // Pinned namespace paths; "" means the container stays in the host's.
  std::string net_ns;
  std::string ipc_ns;
  std::string uts_ns;
  std::string user_ns;
  // The pod's files; "" when the pod has none.
  std::string resolv_conf;
  std::string hostname_file;
  std::string hosts_file;
  std::string shm_path;
  bool host_network = false;
  bool host_ipc = false;
  bool host_pid = false;
  pid_t infra_pid = 0;  // the pause container, when the pod shares one PID namespace
};

// Which Linux security modules this host has enabled.
struct HostLsm {
  bool apparmor = false;
  bool selinux = false;
};

// Looks at /sys/kernel/security/apparmor and /sys/fs/selinux/enforce.
HostLsm DetectHostLsm();

// The pod annotation that gives its containers devices (HOST[:CONTAINER][:PERMISSIONS], comma
// separated), and the older name CRI-O still reads.
inline constexpr std::string_view kDevicesAnnotation = "devices.crio.io";
inline constexpr std::string_view kLegacyDevicesAnnotation = "io.kubernetes.cri-o.Devices";

struct SpecInputs {
  std::string container_id;
  std::string container_name;  // k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
  const runtime::v1::ContainerConfig* config = nullptr;
  const runtime::v1::PodSandboxConfig* pod_config = nullptr;
  PodContext pod;
  ImageConfigView image;
  std::string image_name;
  std::string image_ref;
  std::string rootfs;  // the mounted rootfs; /etc/passwd and /etc/group are read from it
  std::string log_path;
  // PID namespace mode TARGET: the target container's process, whose PID namespace is joined.
  pid_t target_pid = 0;
  // image_volumes = bind: one host directory per image VOLUME is made below it.
  std::string image_volumes_dir;
  // Image volumes (a Mount with `image` set): the index of the mount in config->mounts() -> where
  // the caller mounted that image's root filesystem read-only on the host.
  std::map<int, std::string> image_volume_sources;
  // ID-mapped mounts (a Mount with uid/gid mappings): the index of the mount -> the idmapped
  // clone of its host path the caller attached, bound instead of the host path.
  std::map<int, std::string> idmapped_mount_sources;

  // From crio.conf.
  std::vector<std::string> default_capabilities;  // "CHOWN" or "CAP_CHOWN"
  bool add_inheritable_capabilities = false;      // the set goes to inheritable too
  std::vector<std::string> default_env;           // KEY=value
  std::vector<std::string> default_ulimits;       // "nofile=1024:2048"
  int64_t pids_limit = -1;
  bool read_only = false;
  bool systemd_cgroup = false;
  bool no_new_privileges_default = false;
  std::string image_volumes = "mkdir";           // mkdir | bind | ignore
  bool privileged_without_host_devices = false;  // the runtime handler's option
  // additional_devices: HOST[:CONTAINER][:PERMISSIONS] nodes every container gets.
  std::vector<std::string> additional_devices;
  // The pod's devices annotation (kDevicesAnnotation) is honoured only when the runtime handler's
  // allowed_annotations name it, and then only for the host paths of allowed_devices.
  bool devices_annotation_allowed = false;
  std::vector<std::string> allowed_devices;
  // device_ownership_from_security_context: CRI devices owned by run_as_user/run_as_group.
  bool device_ownership_from_security_context = false;
  std::string runtime_handler;              // for messages
  bool recursive_read_only_mounts = false;  // the handler's runtime can do "rro"
  std::string seccomp_profile_path;         // seccomp_profile: RuntimeDefault's file; "" = built-in
  // privileged_seccomp_profile: the profile file of every privileged container; "" = none.
  std::string privileged_seccomp_profile;
  // apparmor_profile: what RuntimeDefault (or no choice) means on AppArmor hosts; "unconfined"
  // for none.
  std::string apparmor_profile = "crio-default";
  // crio.conf selinux: label containers (and relabel mounts) where the host has SELinux. Off,
  // as in CRI-O, leaves SELinux out of the spec even on SELinux hosts.
  bool selinux = false;
  // The container's labels (ContainerSelinuxLabels of its pod's); empty when it runs unlabeled.
  // The mount label also relabels the CRI mounts that ask for it.
  SelinuxLabels selinux_labels;
  // crio.conf timezone: a zone name, "Local" (the host's), or empty (the image's own). Where
  // the image has no zone data, the host's zone file is copied to `localtime_copy` and bound.
  std::string timezone;
  std::string localtime_copy;
  // cdi_spec_dirs: where the CDI devices a container asks for are described, lowest priority
  // first.
  std::vector<std::string> cdi_spec_dirs;
  // hooks_dir's definitions; the matching ones go into spec.hooks. Null means none.
  std::shared_ptr<const std::vector<HookDefinition>> hooks;

  // Seams for tests; the defaults look at the real host.
  std::function<HostLsm()> lsm_probe;                        // empty: DetectHostLsm
  std::filesystem::path mountinfo = "/proc/self/mountinfo";  // for propagation checks
  std::filesystem::path host_dev = "/dev";                   // scanned for privileged containers
};

// Checks crio.conf's additional_devices: each HOST[:CONTAINER][:PERMISSIONS] entry names a device
// node on the host and a path below /dev in the container.
absl::Status CheckAdditionalDevices(const std::vector<std::string>& entries);

struct GeneratedSpec {
  std::string json;                // config.json
  std::vector<std::string> notes;  // what was adjusted or ignored, for the caller's log
};

// The OCI runtime spec (runtime-spec 1.0.2) of a CRI container. It also prepares the rootfs: the
// working directory and, with image_volumes = mkdir, the image's VOLUME directories are created.
absl::StatusOr<GeneratedSpec> GenerateContainerSpec(const SpecInputs& in);

// process.args by the Kubernetes rules: a CRI command replaces the image's Entrypoint and drops
// its Cmd; CRI args replace Cmd.
std::vector<std::string> ProcessArgs(const runtime::v1::ContainerConfig& config,
                                     const ImageConfigView& image);

// The environment by CRI-O's precedence, lowest first: `defaults` (crio.conf default_env), the
// image's Env, the CRI envs. A key appears once, where it first appeared; PATH gets the usual
// default when nobody set it.
std::vector<std::string> MergeEnv(
    const std::vector<std::string>& image_env,
    const google::protobuf::RepeatedPtrField<runtime::v1::KeyValue>& cri_envs,
    const std::vector<std::string>& defaults);

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // the primary gid first
  std::string home = "/";
};

// The user the container runs as: run_as_user / run_as_username, else the image's User, with
// run_as_group replacing any group. Names are looked up in the rootfs' /etc/passwd and
// /etc/group, which are read as if the rootfs were "/" (an absolute symlink stays inside).
absl::StatusOr<ResolvedUser> ResolveUser(const std::filesystem::path& rootfs,
                                         const runtime::v1::LinuxContainerSecurityContext& sc,
                                         const std::string& image_user);

// `path` inside `root`, with every symlink resolved as if `root` were "/": nothing escapes it.
// Components that do not exist are kept as they are.
absl::StatusOr<std::filesystem::path> ResolveInRoot(const std::filesystem::path& root,
                                                    const std::string& path);

// The contents of `path` inside `root` (openat2 RESOLVE_IN_ROOT, or ResolveInRoot where the kernel
// lacks it). NotFound when it does not exist.
absl::StatusOr<std::string> ReadFileInRoot(const std::filesystem::path& root,
                                           const std::string& path);

// Creates `path` inside `root` and its missing parents (0755); only the directories it creates
// are given to uid:gid.
absl::Status MkdirAllInRoot(const std::filesystem::path& root, const std::string& path,
                            uint32_t uid, uint32_t gid);

// linux.resources (without devices) for CRI resources; also what `runtime update` takes.
nlohmann::json LinuxResources(const runtime::v1::LinuxContainerResources& resources,
                              int64_t pids_limit);

// What Kubernetes hides from (masked) or freezes for (read-only) in unprivileged containers when
// the kubelet does not say otherwise.
const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

// "CAP_*" names of the capabilities in this process's bounding set, by number.
std::vector<std::string> DaemonBoundingCapabilities();

// linux.cgroupsPath of container `id`: "<parent>/crio-<id>" (cgroupfs) or
// "<parent slice>:crio:<id>" (systemd).
std::string CgroupsPath(const std::string& cgroup_parent, const std::string& id, bool systemd);

// The pieces GenerateContainerSpec assembles; they live in separate files (spec_security.cc,
// spec_mounts.cc) and are not meant for other callers.
namespace spec_internal {

// process.capabilities, noNewPrivileges, apparmorProfile, selinuxLabel, rlimits; linux.seccomp,
// maskedPaths, readonlyPaths.
absl::Status AddSecurity(const SpecInputs& in, nlohmann::json& spec,
                         std::vector<std::string>& notes);

// mounts (and linux.rootfsPropagation); creates image VOLUME directories as configured, owned
// by `user` as the host sees it (mapped through the pod's user namespace).
absl::Status AddMounts(const SpecInputs& in, const ResolvedUser& user, bool readonly_root,
                       nlohmann::json& spec);

// linux.devices and linux.resources.devices.
absl::Status AddDevices(const SpecInputs& in, nlohmann::json& spec);

// Sets up /etc/localtime in the rootfs for `timezone`; the mount to add when the host's zone
// file has to be bound (the image has no zone data), none when a link in the image does.
absl::StatusOr<std::optional<nlohmann::json>> PrepareTimezone(const SpecInputs& in);

}  // namespace spec_internal

}  // namespace crio::oci
