#include "crio/network/cni_config.h"

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"
#include "json_object.h"

namespace crio::network {
namespace {

absl::Status Invalid(std::string_view source, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(source, ": ", what));
}

const std::string* StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// libcni takes the flags as JSON booleans and, since 1.1, as the strings "true"/"false".
absl::StatusOr<bool> FlagField(const nlohmann::json& object, const char* key,
                               std::string_view source) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) {
    std::string value = it->get<std::string>();
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (value == "true") return true;
    if (value == "false") return false;
  }
  return Invalid(source, StrCat("\"", key, "\" must be true or false"));
}

// The name becomes part of cache file names and plugin state paths (host-local's data dir), so
// it is held to what libcni accepts.
bool ValidNetworkName(std::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// cniVersions (1.1.0) lists every version the file can be read as; the best we support wins.
absl::StatusOr<std::string> PickVersion(const nlohmann::json& object, std::string_view source) {
  auto versions = object.find("cniVersions");
  if (versions != object.end() && !versions->is_null()) {
    if (!versions->is_array()) return Invalid(source, "\"cniVersions\" must be a list");
    std::string best;
    std::vector<std::string> listed;
    for (const auto& version : *versions) {
      if (!version.is_string()) return Invalid(source, "\"cniVersions\" must list strings");
      listed.push_back(version.get<std::string>());
      if (IsSupportedCniVersion(listed.back()) &&
          (best.empty() || CompareCniVersions(listed.back(), best) > 0)) {
        best = listed.back();
      }
    }
    if (best.empty()) {
      return Invalid(
          source, StrCat("none of cniVersions [", StrJoin(listed, ", "),
                         "] is supported (supported: ", StrJoin(kSupportedCniVersions, ", "), ")"));
    }
    return best;
  }
  const std::string* version = StringField(object, "cniVersion");
  if (version == nullptr || version->empty()) return Invalid(source, "no cniVersion");
  if (!IsSupportedCniVersion(*version)) {
    return Invalid(source, StrCat("cniVersion \"", *version, "\" is not supported (supported: ",
                                  StrJoin(kSupportedCniVersions, ", "), ")"));
  }
  return *version;
}

absl::StatusOr<PluginConfig> ParsePlugin(const nlohmann::json& object, std::string_view source,
                                         std::string_view which) {
  if (!object.is_object()) return Invalid(source, StrCat(which, " is not a JSON object"));
  const std::string* type = StringField(object, "type");
  if (type == nullptr || type->empty()) return Invalid(source, StrCat(which, " has no type"));
  // The type names an executable in the plugin directories, never a path.
  if (type->find('/') != std::string::npos || *type == "." || *type == "..") {
    return Invalid(source, StrCat(which, " has an invalid type \"", *type, "\""));
  }
  auto capabilities = object.find("capabilities");
  if (capabilities != object.end() && !capabilities->is_null() && !capabilities->is_object()) {
    return Invalid(source, StrCat(which, ": \"capabilities\" must be an object"));
  }
  return PluginConfig{*type, object};
}

absl::StatusOr<NetworkConfigList> ListFromObject(const nlohmann::json& object, std::string bytes,
                                                 std::string_view source) {
  NetworkConfigList list;
  const std::string* name = StringField(object, "name");
  if (name == nullptr || name->empty()) return Invalid(source, "no network name");
  if (!ValidNetworkName(*name)) {
    return Invalid(source, StrCat("invalid network name \"", *name,
                                  "\" (letters, digits, '_', '.', '-'; starting with a letter or "
                                  "digit)"));
  }
  list.name = *name;
  absl::StatusOr<std::string> version = PickVersion(object, source);
  if (!version.ok()) return version.status();
  list.cni_version = *version;
  absl::StatusOr<bool> disable_check = FlagField(object, "disableCheck", source);
  if (!disable_check.ok()) return disable_check.status();
  list.disable_check = *disable_check;
  absl::StatusOr<bool> disable_gc = FlagField(object, "disableGC", source);
  if (!disable_gc.ok()) return disable_gc.status();
  list.disable_gc = *disable_gc;

  auto plugins = object.find("plugins");
  if (plugins == object.end() || !plugins->is_array() || plugins->empty()) {
    return Invalid(source, "no plugins");
  }
  for (size_t i = 0; i < plugins->size(); ++i) {
    absl::StatusOr<PluginConfig> plugin =
        ParsePlugin((*plugins)[i], source, StrCat("plugin ", static_cast<int>(i + 1)));
    if (!plugin.ok()) return plugin.status();
    list.plugins.push_back(*std::move(plugin));
  }
  list.bytes = std::move(bytes);
  list.source = std::string(source);
  return list;
}

std::vector<int> VersionNumbers(std::string_view version) {
  std::vector<int> numbers;
  for (std::string_view piece : StrSplit(version, '.')) {
    int number = 0;
    for (char c : piece) {
      if (!std::isdigit(static_cast<unsigned char>(c))) break;
      number = number * 10 + (c - '0');
    }
    numbers.push_back(number);
  }
  return numbers;
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseJsonObject(std::string_view text, std::string_view source) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& error) {
    return absl::InvalidArgumentError(StrCat(source, ": ", "invalid JSON: ", error.what()));
  }
  if (!json.is_object())
    return absl::InvalidArgumentError(StrCat(source, ": ", "not a JSON object"));
  return json;
}

bool IsSupportedCniVersion(std::string_view version) {
  return std::find(std::begin(kSupportedCniVersions), std::end(kSupportedCniVersions), version) !=
         std::end(kSupportedCniVersions);
}

int CompareCniVersions(std::string_view a, std::string_view b) {
  std::vector<int> left = VersionNumbers(a), right = VersionNumbers(b);
  size_t size = std::max(left.size(), right.size());
  left.resize(size, 0);
  right.resize(size, 0);
  for (size_t i = 0; i < size; ++i) {
    if (left[i] != right[i]) return left[i] < right[i] ? -1 : 1;
  }
  return 0;
}

bool PluginConfig::HasCapability(std::string_view name) const {
  auto capabilities = conf.find("capabilities");
  if (capabilities == conf.end() || !capabilities->is_object()) return false;
  auto it = capabilities->find(std::string(name));
  return it != capabilities->end() && it->is_boolean() && it->get<bool>();
}

absl::StatusOr<NetworkConfigList> ParseConfigList(std::string_view bytes, std::string_view source) {
  absl::StatusOr<nlohmann::json> object = ParseJsonObject(bytes, source);
  if (!object.ok()) return object.status();
  return ListFromObject(*object, std::string(bytes), source);
}

absl::StatusOr<NetworkConfigList> ParseSingleConfig(std::string_view bytes,
                                                    std::string_view source) {
  absl::StatusOr<nlohmann::json> object = ParseJsonObject(bytes, source);
  if (!object.ok()) return object.status();
  // A list saved under a .conf name is still a list; read it as one rather than reject it.
  if (object->contains("plugins")) return ListFromObject(*object, std::string(bytes), source);
  if (StringField(*object, "type") == nullptr) return Invalid(source, "no type");
  nlohmann::json list = nlohmann::json::object();
  if (object->contains("cniVersion")) list["cniVersion"] = (*object)["cniVersion"];
  if (object->contains("cniVersions")) list["cniVersions"] = (*object)["cniVersions"];
  if (object->contains("name")) list["name"] = (*object)["name"];
  list["plugins"] = nlohmann::json::array({*object});
  return ListFromObject(list, list.dump(), source);
}

absl::StatusOr<NetworkConfigList> LoadConfigFile(const std::filesystem::path& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  if (path.extension() == ".conflist") return ParseConfigList(*bytes, path.string());
  return ParseSingleConfig(*bytes, path.string());
}

}  // namespace crio::network
