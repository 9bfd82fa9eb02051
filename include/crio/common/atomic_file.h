#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace crio {

// How much a write must survive.
enum class Durability {
  // A crash of the machine: the data and the rename reach the disk before the call returns.
  kDurable,
  // A crash or restart of this process only. For state under the runroot, which describes
  // processes and mounts that a reboot ends anyway; the fsyncs would buy nothing there.
  kVolatile,
};

// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a
// mix: write to a temporary file beside it, (durably: fsync it,) rename it over, (durably: fsync
// the directory).
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                 mode_t mode = 0644, Durability durability = Durability::kDurable);

// Reads a whole file; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace crio
