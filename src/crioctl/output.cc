#include "output.h"

#include <google/protobuf/util/json_util.h>

#include <yaml-cpp/yaml.h>
#include <iostream>
#include "crio/common/strings.h"

namespace crioctl {

using crio::StrCat;

namespace {

void EmitYaml(YAML::Emitter& out, const nlohmann::ordered_json& node) {
  if (node.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, value] : node.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(out, value);
    }
    out << YAML::EndMap;
  } else if (node.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : node) EmitYaml(out, item);
    out << YAML::EndSeq;
  } else if (node.is_string()) {
    out << YAML::DoubleQuoted << node.get<std::string>();
  } else if (node.is_boolean()) {
    out << node.get<bool>();
  } else if (node.is_number_integer()) {
    out << node.dump();
  } else if (node.is_number_float()) {
    out << node.get<double>();
  } else {
    out << YAML::Null;
  }
}

}  // namespace

int PrintDocument(const nlohmann::ordered_json& document, const std::string& format) {
  absl::StatusOr<std::string> text = Render(document, format);
  if (!text.ok()) {
    std::cerr << "crioctl: " << text.status().message() << "\n";
    return 1;
  }
  std::cout << *text;
  return 0;
}

nlohmann::ordered_json ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) return {};
  return nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
}

absl::StatusOr<std::string> Render(const nlohmann::ordered_json& document,
                                   const std::string& format) {
  if (format == "json") return document.dump(2) + "\n";
  if (format == "yaml") {
    YAML::Emitter out;
    EmitYaml(out, document);
    return std::string(out.c_str()) + "\n";
  }
  return absl::InvalidArgumentError(
      StrCat("unsupported output format \"", format, "\" (expected json or yaml)"));
}

}  // namespace crioctl

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace crioctl {
namespace {

nlohmann::ordered_json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::ordered_json out = nlohmann::ordered_json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = YamlToJson(item.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() != "!") {  // unquoted: may be a number or a boolean
        if (text == "true" || text == "false") return text == "true";
        char* end = nullptr;
        long long number = std::strtoll(text.c_str(), &end, 10);
        if (!text.empty() && end != nullptr && *end == '\0') return number;
      }
      return text;
    }
    default:
      return nullptr;
  }
}

}  // namespace

absl::Status LoadMessageFile(const std::string& path, google::protobuf::Message* message) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string text = buffer.str();
  std::string json = text;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') {
    try {
      json = YamlToJson(YAML::Load(text)).dump();
    } catch (const YAML::Exception& error) {
      return absl::InvalidArgumentError(StrCat(path, ": ", error.what()));
    }
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", std::string(status.message())));
  }
  return absl::OkStatus();
}

int PrintStatus(const google::protobuf::Message& status,
                const google::protobuf::Map<std::string, std::string>& info,
                const std::string& format) {
  nlohmann::ordered_json document = {{"status", ToJson(status)}};
  for (const auto& [key, value] : info) {
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(value, nullptr, false);
    document[key] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
  }
  return PrintDocument(document, format);
}

std::string HumanSize(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double size = static_cast<double>(bytes);
  int unit = 0;
  while (size >= 1000 && unit < 4) {
    size /= 1000;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g%s", size, units[unit]);
  return buffer;
}

std::string TruncateId(const std::string& id) { return id.substr(0, 13); }

std::string Age(int64_t unix_nanos) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t seconds =
      (std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() - unix_nanos) / 1000000000;
  if (seconds < 1) return "Less than a second ago";
  if (seconds < 60) return StrCat(seconds, seconds == 1 ? " second ago" : " seconds ago");
  if (seconds < 3600) {
    int64_t minutes = seconds / 60;
    return minutes == 1 ? "About a minute ago" : StrCat(minutes, " minutes ago");
  }
  if (seconds < 86400) {
    int64_t hours = seconds / 3600;
    return hours == 1 ? "About an hour ago" : StrCat(hours, " hours ago");
  }
  return StrCat(seconds / 86400, " days ago");
}

}  // namespace crioctl
