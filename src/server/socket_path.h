#pragma once

#include <filesystem>

#include "absl/status/status.h"

namespace crio::server {

// Makes `path` ready to be bound: creates its directory, removes a stale socket left by a daemon
// that died, and fails (FailedPrecondition) when a live daemon answers on it or when the path is
// something other than a socket.
absl::Status PrepareSocketPath(const std::filesystem::path& path);

}  // namespace crio::server
