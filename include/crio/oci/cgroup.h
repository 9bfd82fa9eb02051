#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace crio::oci {

// Where each mounted cgroup hierarchy of this host lives (cgroup v1 controllers, named v1
// hierarchies, and the v2 unified tree, whether alone or beside v1 as on hybrid hosts).
std::vector<std::filesystem::path> CgroupHierarchies();

// Puts `pid` into the cgroupfs cgroup `path` (absolute within each hierarchy, e.g.
// "/kubepods/pod1/crio-conmon-ID") in every hierarchy, creating it where it is missing.
absl::Status MoveToCgroup(pid_t pid, const std::string& path);

// Removes the cgroup `path` from every hierarchy; a missing one is fine. Fails when it still has
// processes.
absl::Status RemoveCgroup(const std::string& path);

}  // namespace crio::oci
