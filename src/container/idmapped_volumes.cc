// ID-mapped CRI mounts, made by the daemon since the runtime (runc 1.1) cannot.
#include "idmapped_volumes.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <tuple>

#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "crio/storage/idmapped_mount.h"

namespace crio::container {
namespace {

using Mappings = std::set<std::tuple<uint32_t, uint32_t, uint32_t>>;

Mappings AsSet(const google::protobuf::RepeatedPtrField<runtime::v1::IDMapping>& mappings) {
  Mappings out;
  for (const auto& m : mappings) out.emplace(m.container_id(), m.host_id(), m.length());
  return out;
}

}  // namespace

absl::StatusOr<std::map<int, std::string>> AttachIdmappedVolumes(
    const runtime::v1::ContainerConfig& config, const sandbox::Sandbox& pod,
    const std::filesystem::path& dir, std::vector<std::string>& attached) {
  std::map<int, std::string> sources;
  UniqueFd userns;
  const auto& pod_userns =
      pod.config.linux().security_context().namespace_options().userns_options();
  for (int index = 0; index < config.mounts_size(); ++index) {
    const runtime::v1::Mount& mount = config.mounts(index);
    if (mount.uidmappings_size() == 0 && mount.gidmappings_size() == 0) continue;
    if (pod.user_ns.empty()) {
      return absl::InvalidArgumentError(StrCat("mount ", mount.container_path(),
                                               ": ID mappings need a pod with its own user "
                                               "namespace"));
    }
    if (mount.propagation() != runtime::v1::PROPAGATION_PRIVATE) {
      // The clone is a mount of its own, outside the host path's peer group.
      return absl::UnimplementedError(StrCat("mount ", mount.container_path(),
                                             ": ID-mapped mounts with propagation other than "
                                             "private are not supported yet"));
    }
    if (AsSet(mount.uidmappings()) != AsSet(pod_userns.uids()) ||
        AsSet(mount.gidmappings()) != AsSet(pod_userns.gids())) {
      return absl::UnimplementedError(StrCat("mount ", mount.container_path(),
                                             ": ID mappings other than the pod's are not "
                                             "supported yet"));
    }
    struct stat st {};
    // A missing host path is reported by the spec, as for any mount.
    if (::stat(mount.host_path().c_str(), &st) != 0) continue;
    if (!userns.valid()) {
      userns.Reset(::open(pod.user_ns.c_str(), O_RDONLY | O_CLOEXEC));
      if (!userns.valid()) {
        return absl::InternalError(StrCat("opening the pod's user namespace ", pod.user_ns.string(),
                                          ": ", std::strerror(errno)));
      }
    }
    std::filesystem::path target = dir / "idmapped" / std::to_string(index);
    std::error_code error;
    std::filesystem::create_directories(target.parent_path(), error);
    if (S_ISDIR(st.st_mode)) {
      std::filesystem::create_directory(target, error);
    } else {
      std::ofstream touch(target);  // a file is mounted on a file
    }
    // Recursive, as the plain rbind of a volume is: what is mounted below the host path shows.
    if (absl::Status done = storage::AttachIdmappedClone(mount.host_path(), target, userns.get(),
                                                         /*recursive=*/true);
        !done.ok()) {
      return absl::Status(done.code(),
                          StrCat("mount ", mount.container_path(), ": ", done.message()));
    }
    attached.push_back(target.string());
    sources[index] = target.string();
  }
  return sources;
}

absl::Status DetachIdmappedVolumes(std::vector<std::string>& attached) {
  while (!attached.empty()) {
    // MNT_DETACH: gone from the namespace at once, so removing the container's directory next
    // can never reach into the volume.
    if (::umount2(attached.back().c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return absl::InternalError(StrCat("detaching ", attached.back(), ": ", std::strerror(errno)));
    }
    attached.pop_back();
  }
  return absl::OkStatus();
}

}  // namespace crio::container
