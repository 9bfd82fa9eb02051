#pragma once

// YAML documents read as JSON values, for formats that allow either (CDI spec files). Scalars
// are typed as Kubernetes' YAML tooling (sigs.k8s.io/yaml over YAML 1.1) types them, so that a
// file means the same number or boolean to us as to the tools that wrote it.

#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crio {

// How plain (unquoted, untagged) scalars come out.
enum class YamlScalars {
  kTyped,  // null, booleans and numbers by YAML 1.1's rules, the rest strings
  kText,   // strings with their text as written (null still null), for a caller that knows
           // from its own schema which members are numbers, as Go's sigs.k8s.io/yaml does
};

// One YAML document as JSON. InvalidArgument carries the parser's message and position; a map
// key that is not a scalar is refused, since JSON has no such thing.
absl::StatusOr<nlohmann::json> ParseYamlAsJson(std::string_view text,
                                               YamlScalars scalars = YamlScalars::kTyped);

// A plain scalar's value by YAML 1.1's rules (the typing of YamlScalars::kTyped).
nlohmann::json TypedYamlScalar(const std::string& text);

}  // namespace crio
