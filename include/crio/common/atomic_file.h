#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace crio {

// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a
// mix: write to a temporary file beside it, fsync it, rename it over, fsync the directory.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                 mode_t mode = 0644);

// Reads a whole file; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace crio
