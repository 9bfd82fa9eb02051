#pragma once

#include <string>

#include <google/protobuf/map.h>
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

namespace crioctl {

// Reads a crictl config file (JSON or YAML; snake_case or lowerCamelCase field names, enums by
// name or number) into `message`.
absl::Status LoadMessageFile(const std::string& path, google::protobuf::Message* message);

// A status message and its verbose info, as crictl's inspect commands print them: the info
// entries, JSON documents, shown inline beside "status". Returns the exit code.
int PrintStatus(const google::protobuf::Message& status,
                const google::protobuf::Map<std::string, std::string>& info,
                const std::string& format);

// A size as crictl prints it: decimal units, three significant digits ("2.14MB").
std::string HumanSize(uint64_t bytes);

// An id as crictl's tables show it: the first 13 characters.
std::string TruncateId(const std::string& id);

// "5 minutes ago"-style age of a Unix-nanosecond timestamp, as crictl prints it.
std::string Age(int64_t unix_nanos);

}  // namespace crioctl
