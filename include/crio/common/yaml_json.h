#pragma once

// YAML documents read as JSON values, for formats that allow either (CDI spec files). Scalars
// are typed as Kubernetes' YAML tooling (sigs.k8s.io/yaml over YAML 1.1) types them, so that a
// file means the same number or boolean to us as to the tools that wrote it.

#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crio {

// One YAML document as JSON. InvalidArgument carries the parser's message and position; a map
// key that is not a scalar is refused, since JSON has no such thing.
absl::StatusOr<nlohmann::json> ParseYamlAsJson(std::string_view text);

}  // namespace crio
