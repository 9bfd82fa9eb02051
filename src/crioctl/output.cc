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
