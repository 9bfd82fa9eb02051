#pragma once

#include <filesystem>

#include "absl/status/status.h"

namespace crio::storage {

// Attaches at `target` (an existing empty directory) a clone of the directory tree `source`,
// idmapped through the user namespace `userns_fd`: with the mapping 0 -> 200000, what uid 0 owns
// on disk shows as owned by host uid 200000 (the namespace's root), and what that root writes
// lands on disk as uid 0. Unmount it with MNT_DETACH once the overlay on it is mounted.
// `recursive` clones the mounts below `source` too, each idmapped (as rbind binds them); every
// one of them must then be on a filesystem that supports idmapped mounts.
absl::Status AttachIdmappedClone(const std::filesystem::path& source,
                                 const std::filesystem::path& target, int userns_fd,
                                 bool recursive = false);

}  // namespace crio::storage
