#pragma once

#include <filesystem>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crio/config/config.h"

namespace crio::oci {

// The OCI runtime binary a handler runs: its runtime_path when set, otherwise the handler's name
// looked up in $PATH. NotFound (naming the handler and what was tried) when it is not executable.
absl::StatusOr<std::filesystem::path> ResolveRuntimeBinary(std::string_view handler_name,
                                                           const config::RuntimeHandler& handler);

// Checks every configured handler the way CRI-O does at startup: a handler whose runtime cannot
// be found, or whose runtime_type we cannot drive, makes the configuration unusable.
absl::Status CheckHandlers(const config::Config& config);

}  // namespace crio::oci
