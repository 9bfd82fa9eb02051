#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"

namespace crio::network {

// One line of a user namespace's uid_map or gid_map.
struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

// The namespaces a pod gets of its own, pinned as bind mounts so they outlive any process.
struct NamespaceRequest {
  std::filesystem::path pinns;  // the pinns helper
  std::filesystem::path dir;    // namespaces_dir: files go to <dir>/<type>ns/<name>
  std::string name;             // the file name, one per pod
  bool net = false;
  bool ipc = false;
  bool uts = false;
  bool user = false;
  // Applied inside the new namespaces (kernel.hostname sets the UTS hostname).
  std::map<std::string, std::string> sysctls;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

struct PinnedNamespaces {
  std::optional<std::filesystem::path> net;
  std::optional<std::filesystem::path> ipc;
  std::optional<std::filesystem::path> uts;
  std::optional<std::filesystem::path> user;

  std::vector<std::filesystem::path> All() const;
};

// Runs pinns; on failure nothing stays pinned and the error carries pinns' own message.
absl::StatusOr<PinnedNamespaces> PinNamespaces(const NamespaceRequest& request);

// Unmounts and removes one pinned namespace file; a file already gone is success.
absl::Status UnpinNamespace(const std::filesystem::path& path);

// Whether `path` is still a pinned namespace (an nsfs mount).
bool IsPinnedNamespace(const std::filesystem::path& path);

// Sets the loopback interface of network namespace `netns` up.
absl::Status BringUpLoopback(const std::filesystem::path& netns);

// A TCP connection to `port` on the loopback of network namespace `netns` (127.0.0.1, then
// ::1), for port-forwarding into a pod; an empty `netns` means the node's own. The socket stays
// in that namespace whichever thread uses it later.
absl::StatusOr<UniqueFd> DialLoopback(const std::filesystem::path& netns, int32_t port);

}  // namespace crio::network
