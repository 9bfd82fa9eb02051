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
  // A crash of the machine: the data reaches the disk before the rename that publishes it, so
  // the file is never seen empty or torn. The directory itself is not synced (as
  // containers/storage does not): the journal commits the rename within seconds, and until then
  // a crash leaves the previous version, which is as consistent as the new one.
  kDurable,
  // A crash or restart of this process only. For state under the runroot, which describes
  // processes and mounts that a reboot ends anyway, and for files whose neighbours are not
  // synced either; the fsync would buy nothing there.
  kVolatile,
};

// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a
// mix: write to a temporary file beside it, (durably: fsync it,) rename it over.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                 mode_t mode = 0644, Durability durability = Durability::kDurable);

// Reads a whole file; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace crio
