#pragma once

#include <filesystem>

#include "absl/status/status.h"

namespace crio::oci {

// What CheckpointContainer can do on this node, given `criu` (the binary found in PATH; empty
// when there is none). Checkpoints are CRIU's work; today the answer is always Unimplemented,
// naming what is missing: CRIU itself, a CRIU that `criu check` finds unable to work with this
// kernel (with CRIU's own first error), or crio-cpp driving a working CRIU, which it does not yet.
absl::Status CheckpointSupport(const std::filesystem::path& criu);

}  // namespace crio::oci
