#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace crio {

// Sets up the process-wide logger: stderr, CRI-O's level names, and an optional message filter
// (a regular expression; only matching messages are written). Safe to call again on reload.
absl::Status ConfigureLogging(std::string_view level, std::string_view filter);

// Maps a CRI-O log level name (fatal, panic, error, warn, warning, info, debug, trace) to spdlog's.
absl::StatusOr<int> SpdlogLevel(std::string_view level);

}  // namespace crio
