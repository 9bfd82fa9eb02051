#include "crio/common/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "crio/common/strings.h"

namespace crio {
namespace {

using nlohmann::json;

bool OneOf(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (s == w) return true;
  }
  return false;
}

// An integer in YAML 1.1's forms: decimal, 0-prefixed octal, 0x hex, 0b binary, with an
// optional sign and `_` separators.
std::optional<json> IntegerValue(std::string s) {
  std::erase(s, '_');
  if (s.empty()) return std::nullopt;
  bool negative = s[0] == '-';
  size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::string digits = s.substr(start);
  if (digits.empty()) return std::nullopt;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits = digits.substr(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits = digits.substr(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits = digits.substr(1);
  }
  const char* allowed = base == 16  ? "0123456789abcdefABCDEF"
                        : base == 8 ? "01234567"
                        : base == 2 ? "01"
                                    : "0123456789";
  if (digits.empty() || digits.find_first_not_of(allowed) != std::string::npos) return std::nullopt;
  errno = 0;
  const auto magnitude = static_cast<uint64_t>(std::strtoull(digits.c_str(), nullptr, base));
  if (errno == ERANGE) return std::nullopt;
  if (!negative) return json(magnitude);
  if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
  return json(static_cast<int64_t>(0 - magnitude));
}

std::optional<json> FloatValue(const std::string& s) {
  if (OneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                ".nan", ".NaN", ".NAN"})) {
    return std::nullopt;  // not representable in JSON; left a string
  }
  if (s.empty() || s.find_first_not_of("0123456789.eE+-_") != std::string::npos ||
      s.find_first_of("0123456789") == std::string::npos) {
    return std::nullopt;
  }
  std::string plain = s;
  std::erase(plain, '_');
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(plain.c_str(), &end);
  if (errno != 0 || end == nullptr || *end != '\0') return std::nullopt;
  return json(value);
}

}  // namespace

// A plain (unquoted, untagged) scalar's value by YAML 1.1's implicit types.
json TypedYamlScalar(const std::string& s) {
  if (s.empty() || OneOf(s, {"~", "null", "Null", "NULL"})) return nullptr;
  if (OneOf(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) {
    return true;
  }
  if (OneOf(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) {
    return false;
  }
  if (std::optional<json> integer = IntegerValue(s)) return *integer;
  if (std::optional<json> number = FloatValue(s)) return *number;
  return s;
}

namespace {

absl::StatusOr<json> Convert(const YAML::Node& node, YamlScalars scalars) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      // "!" is yaml-cpp's tag for a quoted scalar; any explicit tag also keeps the text.
      if (node.Tag() != "?") return node.Scalar();
      if (scalars == YamlScalars::kText) {
        json typed = TypedYamlScalar(node.Scalar());
        return typed.is_null() ? typed : json(node.Scalar());
      }
      return TypedYamlScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json array = json::array();
      for (const YAML::Node& item : node) {
        absl::StatusOr<json> value = Convert(item, scalars);
        if (!value.ok()) return value.status();
        array.push_back(*std::move(value));
      }
      return array;
    }
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return absl::InvalidArgumentError(
              StrCat("line ", entry.first.Mark().line + 1, ": a map key that is not a scalar"));
        }
        absl::StatusOr<json> value = Convert(entry.second, scalars);
        if (!value.ok()) return value.status();
        object[entry.first.Scalar()] = *std::move(value);
      }
      return object;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<json> ParseYamlAsJson(std::string_view text, YamlScalars scalars) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  return Convert(root, scalars);
}

}  // namespace crio
