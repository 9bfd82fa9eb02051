#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/sandbox/sandbox.h"

namespace crio::container {

// The CRI mounts that carry uid/gid mappings (the kubelet's volumes in a pod with its own user
// namespace): each host path is attached below `dir` as a clone idmapped through the pod's
// namespace, so the runtime binds that instead (runc 1.1 cannot idmap mounts itself). Every
// attached path is appended to `attached` as it is made, also when a later one fails. Returns
// mount index -> the path to bind. Mappings other than the pod's are Unimplemented; mappings in
// a pod without a user namespace are InvalidArgument.
absl::StatusOr<std::map<int, std::string>> AttachIdmappedVolumes(
    const runtime::v1::ContainerConfig& config, const sandbox::Sandbox& pod,
    const std::filesystem::path& dir, std::vector<std::string>& attached);

// Detaches what AttachIdmappedVolumes attached, last first; an entry goes once detached.
absl::Status DetachIdmappedVolumes(std::vector<std::string>& attached);

}  // namespace crio::container
