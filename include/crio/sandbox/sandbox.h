#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/oci/selinux.h"
#include "crio/storage/layer_store.h"

namespace crio::sandbox {

enum class SandboxState { kReady, kNotReady };

// The pause container that holds a pod's namespaces when it needs one (a shared PID namespace).
struct InfraContainer {
  std::string id;  // also the pod's id, as in CRI-O
  pid_t pid = 0;
  std::filesystem::path bundle;
  std::string image_id;
};

// Everything that makes up a pod and must survive a daemon restart. Written atomically to
// <state dir>/<id>/sandbox.json before any RPC that changed it returns.
struct Sandbox {
  std::string id;
  std::string name;  // the reserved name: k8s_<name>_<namespace>_<uid>_<attempt>
  runtime::v1::PodSandboxConfig config;
  std::string runtime_handler;  // as requested ("" is the default handler)
  int64_t created_at = 0;       // Unix nanoseconds
  SandboxState state = SandboxState::kReady;

  std::filesystem::path dir;  // the pod's own files: hostname, resolv.conf, hosts, shm
  std::string hostname;
  std::filesystem::path shm_path;  // the tmpfs, or /dev/shm for host IPC pods
  bool shm_mounted = false;
  std::string cgroup_parent;
  // Empty when the pod runs unlabeled (no SELinux, labeling off, host PID or IPC).
  oci::SelinuxLabels selinux;

  // Pinned namespaces; empty when the pod uses the host's.
  std::filesystem::path net_ns;
  std::filesystem::path ipc_ns;
  std::filesystem::path uts_ns;
  std::filesystem::path user_ns;

  // CNI outcome; `network_attached` stays true until the DEL succeeded.
  bool network_attached = false;
  std::string network_name;
  std::vector<std::string> ips;  // primary first

  std::optional<InfraContainer> infra;

  // Set while RunPodSandbox is still running, whose record is written at each step that makes
  // something to undo: a daemon that finds it so after a restart (its predecessor died halfway)
  // undoes all of it. The infra container, when there is one, has the pod's id.
  bool incomplete = false;

  bool host_network() const;
  bool host_ipc() const;
  bool host_pid() const;

  std::filesystem::path hostname_path() const { return dir / "hostname"; }
  std::filesystem::path resolv_conf_path() const { return dir / "resolv.conf"; }
  std::filesystem::path hosts_path() const { return dir / "hosts"; }
  std::filesystem::path state_path() const { return dir / "sandbox.json"; }
};

// The user namespace the pod's containers run in, for their storage mounts; nullopt when the pod
// shares the host's.
std::optional<storage::UsernsMount> UsernsMountOf(const Sandbox& sandbox);

// The reserved name of a pod, unique per node among live pods.
std::string ReservedName(const runtime::v1::PodSandboxMetadata& metadata);

std::string SerializeSandbox(const Sandbox& sandbox);
absl::StatusOr<Sandbox> ParseSandbox(const std::string& json);

// Persists `sandbox` at its state_path(), atomically.
absl::Status SaveSandbox(const Sandbox& sandbox);

}  // namespace crio::sandbox
