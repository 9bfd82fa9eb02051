#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crio::network {

// `text` parsed as a JSON object; InvalidArgument naming `source` otherwise.
absl::StatusOr<nlohmann::json> ParseJsonObject(std::string_view text, std::string_view source);

}  // namespace crio::network
