#include "crio/network/namespaces.h"

#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crio/common/strings.h"
#include "crio/common/subprocess.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

namespace crio::network {
namespace {

std::string MappingArg(const IdMapping& mapping) {
  return StrCat(mapping.container_id, ":", mapping.host_id, ":", mapping.size);
}

}  // namespace

std::vector<std::filesystem::path> PinnedNamespaces::All() const {
  std::vector<std::filesystem::path> paths;
  for (const auto* path : {&net, &ipc, &uts, &user}) {
    if (path->has_value()) paths.push_back(**path);
  }
  return paths;
}

absl::StatusOr<PinnedNamespaces> PinNamespaces(const NamespaceRequest& request) {
  std::vector<std::string> argv = {request.pinns.string(), "-d", request.dir.string(), "-f",
                                   request.name};
  PinnedNamespaces pinned;
  auto want = [&](bool requested, const char* flag, const char* type,
                  std::optional<std::filesystem::path>& slot) {
    if (!requested) return;
    argv.push_back(flag);
    slot = request.dir / StrCat(type, "ns") / request.name;
  };
  want(request.net, "--net", "net", pinned.net);
  want(request.ipc, "--ipc", "ipc", pinned.ipc);
  want(request.uts, "--uts", "uts", pinned.uts);
  want(request.user, "--user", "user", pinned.user);
  if (pinned.All().empty()) return pinned;
  for (const auto& [key, value] : request.sysctls) {
    argv.push_back("--sysctl");
    argv.push_back(StrCat(key, "=", value));
  }
  for (const IdMapping& mapping : request.uid_mappings) {
    argv.push_back("--uid-mapping");
    argv.push_back(MappingArg(mapping));
  }
  for (const IdMapping& mapping : request.gid_mappings) {
    argv.push_back("--gid-mapping");
    argv.push_back(MappingArg(mapping));
  }
  absl::StatusOr<CommandResult> result = RunCommand(argv, {}, absl::Seconds(30));
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        StrCat("running pinns: ", View(result.status().message())));
  }
  if (result->exit_code != 0) {
    std::string message = result->err.empty() ? result->out : result->err;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::InternalError(
        StrCat("pinning the pod's namespaces failed (exit ", result->exit_code, "): ", message));
  }
  return pinned;
}

absl::Status UnpinNamespace(const std::filesystem::path& path) {
  // Detach: a process that entered the namespace keeps it alive; the pin itself must go now.
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return absl::InternalError(StrCat("unmounting ", path.string(), ": ", std::strerror(errno)));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(StrCat("removing ", path.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool IsPinnedNamespace(const std::filesystem::path& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == NSFS_MAGIC;
}

}  // namespace crio::network
