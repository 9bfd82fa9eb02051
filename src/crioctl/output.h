#pragma once

#include <string>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crioctl {

// A CRI message as crictl shows it: protobuf's JSON mapping (lowerCamelCase names), with fields
// at their default value printed too.
nlohmann::ordered_json ToJson(const google::protobuf::Message& message);

// Renders a JSON document in an output format crictl offers: "json" (indented) or "yaml".
absl::StatusOr<std::string> Render(const nlohmann::ordered_json& document,
                                   const std::string& format);

// Renders to stdout; an unknown format is reported on stderr. Returns the exit code.
int PrintDocument(const nlohmann::ordered_json& document, const std::string& format);

}  // namespace crioctl
