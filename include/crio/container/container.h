#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/oci/selinux.h"

namespace crio::container {

enum class ContainerState { kCreated, kRunning, kExited, kUnknown };

// Everything a container is that must survive a daemon restart; written atomically to
// <state dir>/<id>/container.json before any RPC that changed it returns.
struct Container {
  std::string id;
  std::string name;  // the reserved name: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
  std::string pod_id;
  runtime::v1::ContainerConfig config;
  std::string image_id;
  std::string image_ref;  // a repo digest of the image when it has one, else its id
  std::string runtime_handler;
  int64_t created_at = 0;  // Unix nanoseconds
  int64_t started_at = 0;
  int64_t finished_at = 0;
  ContainerState state = ContainerState::kCreated;
  int32_t exit_code = 0;
  std::string reason;  // Completed, Error, OOMKilled
  std::string message;
  pid_t pid = 0;
  std::filesystem::path dir;  // the bundle: config.json and the monitor's files
  std::string log_path;
  std::string cgroup_parent;       // the pod's
  std::string stop_signal;         // from the image ("" is SIGTERM)
  std::vector<std::string> notes;  // what spec generation adjusted (e.g. an oom_score_adj clamp)
  // The top layers of the images mounted read-only for the container's image volumes, one entry
  // per counted mount; each is given back when the container is removed.
  std::vector<std::string> image_volume_layers;
  // The idmapped clones of ID-mapped CRI mounts' host paths, attached below `dir` until removal.
  std::vector<std::string> idmapped_volumes;
  // Its SELinux labels (empty: unlabeled); its level stays held while the container exists.
  oci::SelinuxLabels selinux;
  // Set while CreateContainer is still running: a daemon that finds it so after a restart
  // (its predecessor died halfway) removes whatever the creation had made.
  bool incomplete = false;

  std::filesystem::path state_path() const { return dir / "container.json"; }
};

std::string ReservedContainerName(const runtime::v1::ContainerMetadata& container,
                                  const runtime::v1::PodSandboxMetadata& pod);

std::string SerializeContainer(const Container& container);
absl::StatusOr<Container> ParseContainer(const std::string& json);
absl::Status SaveContainer(const Container& container);

}  // namespace crio::container
