// CDI spec files: names, versions, validation, and the catalog of every spec directory.

#include "crio/oci/cdi.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <sstream>
#include <tuple>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"
#include "crio/common/yaml_json.h"

namespace crio::oci {
namespace {

using nlohmann::json;
using Version = std::tuple<int, int, int>;

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// Vendor ("vendor.com") and class ("gpu"): a letter first, a letter or digit last, and letters,
// digits, '_', '-' and '.' between.
absl::Status ValidateKindPart(std::string_view what, std::string_view part) {
  if (part.empty()) return absl::InvalidArgumentError(StrCat("invalid ", what, ": empty name"));
  if (!IsLetter(part.front())) {
    return absl::InvalidArgumentError(
        StrCat("invalid ", what, " \"", part, "\": should start with a letter"));
  }
  for (char c : part) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.') {
      return absl::InvalidArgumentError(
          StrCat("invalid ", what, " \"", part, "\": invalid character '", std::string(1, c), "'"));
    }
  }
  if (!IsAlnum(part.back())) {
    return absl::InvalidArgumentError(
        StrCat("invalid ", what, " \"", part, "\": should end with a letter or digit"));
  }
  return absl::OkStatus();
}

// A device's own name: a letter or digit first and last; letters, digits, '_', '-', '.' and ':'
// between.
absl::Status ValidateDeviceOwnName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("invalid device name: empty");
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) {
    return absl::InvalidArgumentError(
        StrCat("invalid device name \"", name, "\": should start and end with a letter or digit"));
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.' && c != ':') {
      return absl::InvalidArgumentError(StrCat("invalid device name \"", name,
                                               "\": invalid character '", std::string(1, c), "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKind(std::string_view kind) {
  size_t slash = kind.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("invalid kind \"", kind, "\": no vendor"));
  }
  if (absl::Status s = ValidateKindPart("vendor", kind.substr(0, slash)); !s.ok()) return s;
  return ValidateKindPart("class", kind.substr(slash + 1));
}

// The spec versions CDI has defined; a file naming another is not one we can read.
std::optional<Version> ParseVersion(std::string_view text) {
  if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
  static constexpr std::array<std::string_view, 10> kKnown = {
      "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0"};
  if (std::find(kKnown.begin(), kKnown.end(), text) == kKnown.end()) return std::nullopt;
  Version v;
  char dot;
  std::istringstream in{std::string(text)};
  in >> std::get<0>(v) >> dot >> std::get<1>(v) >> dot >> std::get<2>(v);
  return v;
}

std::string VersionText(const Version& v) {
  return StrCat(std::get<0>(v), ".", std::get<1>(v), ".", std::get<2>(v));
}

// Members an object may have; CDI's loader refuses anything else, and so do we, so that a
// misspelt member is an error rather than an edit silently not made.
absl::Status OnlyMembers(const json& object, std::string_view where,
                         std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return absl::InvalidArgumentError(StrCat(where, ": not an object"));
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return absl::InvalidArgumentError(StrCat(where, ": unknown member \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status StringMember(const json& object, const char* key, std::string_view where,
                          bool required) {
  if (!object.contains(key)) {
    return required ? absl::InvalidArgumentError(StrCat(where, ": \"", key, "\" is required"))
                    : absl::OkStatus();
  }
  if (!object[key].is_string() || (required && object[key].get<std::string>().empty())) {
    return absl::InvalidArgumentError(StrCat(where, ": \"", key, "\" must be a non-empty string"));
  }
  return absl::OkStatus();
}

absl::Status StringList(const json& object, const char* key, std::string_view where) {
  if (!object.contains(key) || object[key].is_null()) return absl::OkStatus();
  if (!object[key].is_array()) {
    return absl::InvalidArgumentError(StrCat(where, ": \"", key, "\" must be a list of strings"));
  }
  for (const json& item : object[key]) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(StrCat(where, ": \"", key, "\" must be a list of strings"));
    }
  }
  return absl::OkStatus();
}

absl::Status EnvList(const json& object, const char* key, std::string_view where) {
  if (absl::Status s = StringList(object, key, where); !s.ok()) return s;
  if (!object.contains(key) || object[key].is_null()) return absl::OkStatus();
  for (const json& item : object[key]) {
    const auto& entry = item.get_ref<const std::string&>();
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          StrCat(where, ": invalid environment variable \"", entry, "\""));
    }
  }
  return absl::OkStatus();
}

bool IsInteger(const json& value) { return value.is_number_integer(); }

// A member that is a list: absent and null are an empty one; anything else but an array is an
// error, not a list of nothing (an object would otherwise be iterated as its values).
absl::StatusOr<json> ListMember(const json& object, const char* key, std::string_view where) {
  if (!object.contains(key) || object[key].is_null()) return json::array();
  if (!object[key].is_array()) {
    return absl::InvalidArgumentError(StrCat(where, ": \"", key, "\" must be a list"));
  }
  return object[key];
}

// An integer member in [0, max], as the Go types CDI decodes into (uint32, int64) take it.
absl::Status RangeMember(const json& object, const char* key, std::string_view where,
                         uint64_t max) {
  if (!object.contains(key) || object[key].is_null()) return absl::OkStatus();
  const json& value = object[key];
  bool in_range = false;
  if (value.is_number_unsigned()) {
    in_range = value.get<uint64_t>() <= max;
  } else if (value.is_number_integer()) {
    int64_t signed_value = value.get<int64_t>();
    in_range = signed_value >= 0 && static_cast<uint64_t>(signed_value) <= max;
  }
  if (!in_range) {
    return absl::InvalidArgumentError(
        StrCat(where, ": \"", key, "\" must be an integer from 0 to ", max));
  }
  return absl::OkStatus();
}

// `annotations`: a map of strings, as CDI's Go type has it.
absl::Status AnnotationsMember(const json& object, std::string_view where) {
  if (!object.contains("annotations") || object["annotations"].is_null()) return absl::OkStatus();
  const json& annotations = object["annotations"];
  bool valid = annotations.is_object();
  for (const auto& [key, value] : annotations.items()) valid = valid && value.is_string();
  if (!valid) {
    return absl::InvalidArgumentError(StrCat(where, ": \"annotations\" must map names to strings"));
  }
  return absl::OkStatus();
}

bool HasItems(const json& object, const char* key) {
  return object.contains(key) && (object[key].is_array() || object[key].is_object()) &&
         !object[key].empty();
}

// CDI refuses a device whose edits would change nothing.
bool EditsAreEmpty(const json& edits) {
  if (!edits.is_object()) return true;
  for (const char* key :
       {"env", "deviceNodes", "hooks", "mounts", "additionalGids", "netDevices"}) {
    if (HasItems(edits, key)) return false;
  }
  return !edits.contains("intelRdt") || edits["intelRdt"].is_null();
}

// Checks one containerEdits object and raises `needed` to the spec version its members need.
absl::Status ValidateEdits(const json& edits, std::string_view where, Version& needed) {
  if (edits.is_null()) return absl::OkStatus();
  if (absl::Status s = OnlyMembers(
          edits, where,
          {"env", "deviceNodes", "hooks", "mounts", "intelRdt", "additionalGids", "netDevices"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = EnvList(edits, "env", where); !s.ok()) return s;

  absl::StatusOr<json> nodes = ListMember(edits, "deviceNodes", where);
  if (!nodes.ok()) return nodes.status();
  for (const json& node : *nodes) {
    std::string at = StrCat(where, ": deviceNodes");
    if (absl::Status s = OnlyMembers(node, at,
                                     {"path", "hostPath", "type", "major", "minor", "fileMode",
                                      "permissions", "uid", "gid"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = StringMember(node, "path", at, true); !s.ok()) return s;
    std::string path = node["path"];
    at = StrCat(where, ": device node ", path);
    for (const char* key : {"hostPath", "type", "permissions"}) {
      if (absl::Status s = StringMember(node, key, at, false); !s.ok()) return s;
    }
    if (!node.value("hostPath", "").empty()) needed = std::max(needed, Version{0, 5, 0});
    std::string type = node.value("type", "");
    if (type != "" && type != "b" && type != "c" && type != "u" && type != "p") {
      return absl::InvalidArgumentError(StrCat(at, ": invalid type \"", type, "\""));
    }
    constexpr uint64_t kUint32Max = 0xffffffffU;
    constexpr uint64_t kInt64Max = 0x7fffffffffffffffU;
    for (const auto& [key, max] : {std::pair{"major", kInt64Max}, std::pair{"minor", kInt64Max},
                                   std::pair{"fileMode", kUint32Max}, std::pair{"uid", kUint32Max},
                                   std::pair{"gid", kUint32Max}}) {
      if (absl::Status s = RangeMember(node, key, at, max); !s.ok()) return s;
    }
    std::string permissions = node.value("permissions", "");
    if (permissions != "none" && permissions.find_first_not_of("rwm") != std::string::npos) {
      return absl::InvalidArgumentError(StrCat(at, ": invalid permissions \"", permissions, "\""));
    }
  }

  absl::StatusOr<json> mounts = ListMember(edits, "mounts", where);
  if (!mounts.ok()) return mounts.status();
  for (const json& mount : *mounts) {
    std::string at = StrCat(where, ": mounts");
    if (absl::Status s = OnlyMembers(mount, at, {"hostPath", "containerPath", "type", "options"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = StringMember(mount, "hostPath", at, true); !s.ok()) return s;
    if (absl::Status s = StringMember(mount, "containerPath", at, true); !s.ok()) return s;
    if (absl::Status s = StringMember(mount, "type", at, false); !s.ok()) return s;
    if (absl::Status s = StringList(mount, "options", at); !s.ok()) return s;
    if (!mount.value("type", "").empty()) needed = std::max(needed, Version{0, 4, 0});
  }

  static const std::set<std::string> kHookNames = {
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  absl::StatusOr<json> hooks = ListMember(edits, "hooks", where);
  if (!hooks.ok()) return hooks.status();
  for (const json& hook : *hooks) {
    std::string at = StrCat(where, ": hooks");
    if (absl::Status s = OnlyMembers(hook, at, {"hookName", "path", "args", "env", "timeout"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = StringMember(hook, "hookName", at, true); !s.ok()) return s;
    if (!kHookNames.contains(hook["hookName"].get<std::string>())) {
      return absl::InvalidArgumentError(
          StrCat(at, ": invalid hook name \"", hook["hookName"].get<std::string>(), "\""));
    }
    if (absl::Status s = StringMember(hook, "path", at, true); !s.ok()) return s;
    if (absl::Status s = StringList(hook, "args", at); !s.ok()) return s;
    if (absl::Status s = EnvList(hook, "env", at); !s.ok()) return s;
    if (hook.contains("timeout") && !hook["timeout"].is_null() &&
        (!IsInteger(hook["timeout"]) || hook["timeout"].get<int64_t>() <= 0)) {
      return absl::InvalidArgumentError(StrCat(at, ": timeout must be a positive integer"));
    }
  }

  absl::StatusOr<json> gids = ListMember(edits, "additionalGids", where);
  if (!gids.ok()) return gids.status();
  if (!gids->empty()) needed = std::max(needed, Version{0, 7, 0});
  for (const json& gid : *gids) {
    if (absl::Status s =
            RangeMember(json{{"gid", gid}}, "gid", StrCat(where, ": additionalGids"), 0xffffffffU);
        !s.ok()) {
      return s;
    }
  }

  if (edits.contains("intelRdt") && !edits["intelRdt"].is_null()) {
    const json& rdt = edits["intelRdt"];
    std::string at = StrCat(where, ": intelRdt");
    if (absl::Status s = OnlyMembers(rdt, at,
                                     {"closID", "l3CacheSchema", "memBwSchema", "enableCMT",
                                      "enableMBM", "schemata", "enableMonitoring"});
        !s.ok()) {
      return s;
    }
    needed = std::max(needed, Version{0, 7, 0});
    if (rdt.contains("schemata") || rdt.contains("enableMonitoring")) {
      needed = std::max(needed, Version{1, 1, 0});
    }
    for (const char* key : {"closID", "l3CacheSchema", "memBwSchema"}) {
      if (absl::Status s = StringMember(rdt, key, at, false); !s.ok()) return s;
    }
    if (absl::Status s = StringList(rdt, "schemata", at); !s.ok()) return s;
    for (const char* key : {"enableCMT", "enableMBM", "enableMonitoring"}) {
      if (rdt.contains(key) && !rdt[key].is_boolean()) {
        return absl::InvalidArgumentError(StrCat(at, ": \"", key, "\" must be true or false"));
      }
    }
    std::string clos = rdt.value("closID", "");
    if (clos != "/" && (clos == "." || clos == ".." ||
                        clos.find_first_of("/\n") != std::string::npos || clos.size() >= 4096)) {
      return absl::InvalidArgumentError(StrCat(at, ": invalid closID \"", clos, "\""));
    }
  }

  absl::StatusOr<json> net_devices = ListMember(edits, "netDevices", where);
  if (!net_devices.ok()) return net_devices.status();
  if (!net_devices->empty()) {
    needed = std::max(needed, Version{1, 1, 0});
    std::set<std::string> host_names, names;
    for (const json& dev : *net_devices) {
      std::string at = StrCat(where, ": netDevices");
      if (absl::Status s = OnlyMembers(dev, at, {"hostInterfaceName", "name"}); !s.ok()) return s;
      if (absl::Status s = StringMember(dev, "hostInterfaceName", at, true); !s.ok()) return s;
      if (absl::Status s = StringMember(dev, "name", at, true); !s.ok()) return s;
      if (!host_names.insert(dev["hostInterfaceName"].get<std::string>()).second ||
          !names.insert(dev["name"].get<std::string>()).second) {
        return absl::InvalidArgumentError(StrCat(at, ": an interface is named twice"));
      }
    }
  }
  return absl::OkStatus();
}

// The numeric and boolean members of a YAML file's containerEdits, read as text, typed.
void TypeYamlMembers(json& edits) {
  if (!edits.is_object()) return;
  auto type = [](json& value) {
    if (!value.is_string()) return;
    json typed = TypedYamlScalar(value.get<std::string>());
    if (typed.is_number() || typed.is_boolean()) value = typed;
  };
  auto each = [&](const char* list, auto&& apply) {
    if (edits.contains(list) && edits[list].is_array()) {
      for (json& item : edits[list]) apply(item);
    }
  };
  each("deviceNodes", [&](json& node) {
    if (!node.is_object()) return;
    for (const char* key : {"major", "minor", "fileMode", "uid", "gid"}) {
      if (node.contains(key)) type(node[key]);
    }
  });
  each("hooks", [&](json& hook) {
    if (hook.is_object() && hook.contains("timeout")) type(hook["timeout"]);
  });
  each("additionalGids", type);
  if (edits.contains("intelRdt") && edits["intelRdt"].is_object()) {
    for (const char* key : {"enableCMT", "enableMBM", "enableMonitoring"}) {
      if (edits["intelRdt"].contains(key)) type(edits["intelRdt"][key]);
    }
  }
}

absl::StatusOr<json> ReadSpecFile(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  const std::string& content = *text;
  if (content.find_first_not_of(" \t\r\n") == std::string::npos) {
    return absl::InvalidArgumentError("no spec data");
  }
  if (path.extension() == ".json") {
    json document = json::parse(content, nullptr, false);
    if (document.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
    return document;
  }
  // As Go's sigs.k8s.io/yaml reads it into CDI's types: text is text (an unquoted `name: 0` is
  // the name "0"), and only the members that are numbers or booleans are typed.
  absl::StatusOr<json> document = ParseYamlAsJson(content, YamlScalars::kText);
  if (!document.ok()) return document.status();
  if (document->is_object()) {
    TypeYamlMembers((*document)["containerEdits"]);
    if ((*document)["containerEdits"].is_null()) document->erase("containerEdits");
    if (document->contains("devices") && (*document)["devices"].is_array()) {
      for (json& device : (*document)["devices"]) {
        if (device.is_object() && device.contains("containerEdits")) {
          TypeYamlMembers(device["containerEdits"]);
        }
      }
    }
  }
  return document;
}

}  // namespace

absl::Status ValidateCdiDeviceName(std::string_view name) {
  size_t eq = name.find('=');
  size_t slash = name.find('/');
  if (name.empty() || name.front() == '/' || eq == std::string_view::npos ||
      slash == std::string_view::npos || slash > eq) {
    return absl::InvalidArgumentError(
        StrCat("unqualified device \"", name, "\": a CDI device is named vendor.com/class=name"));
  }
  std::string_view kind = name.substr(0, eq);
  absl::Status status = ValidateKind(kind);
  if (status.ok()) status = ValidateDeviceOwnName(name.substr(eq + 1));
  if (!status.ok()) {
    return absl::InvalidArgumentError(StrCat("invalid device \"", name, "\": ", status.message()));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::map<std::string, CdiDevice>> ParseValidatedSpec(const json& document,
                                                                    const std::string& file) {
  if (absl::Status s = OnlyMembers(
          document, "spec", {"cdiVersion", "kind", "annotations", "devices", "containerEdits"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = StringMember(document, "cdiVersion", "spec", true); !s.ok()) return s;
  std::optional<Version> declared = ParseVersion(document["cdiVersion"].get<std::string>());
  if (!declared) {
    return absl::InvalidArgumentError(
        StrCat("invalid version \"", document["cdiVersion"].get<std::string>(), "\""));
  }
  if (absl::Status s = StringMember(document, "kind", "spec", true); !s.ok()) return s;
  const std::string kind = document["kind"];
  if (absl::Status s = ValidateKind(kind); !s.ok()) return s;

  Version needed{0, 3, 0};
  if (kind.substr(kind.find('/') + 1).find('.') != std::string::npos) {
    needed = std::max(needed, Version{0, 6, 0});
  }
  if (absl::Status s = AnnotationsMember(document, "spec"); !s.ok()) return s;
  if (HasItems(document, "annotations")) needed = std::max(needed, Version{0, 6, 0});
  json spec_edits = document.contains("containerEdits") ? document["containerEdits"] : json();
  if (absl::Status s = ValidateEdits(spec_edits, "containerEdits", needed); !s.ok()) return s;

  if (!document.contains("devices") || !document["devices"].is_array() ||
      document["devices"].empty()) {
    return absl::InvalidArgumentError("no devices");
  }
  std::map<std::string, CdiDevice> devices;
  for (const json& device : document["devices"]) {
    if (absl::Status s = OnlyMembers(device, "device", {"name", "annotations", "containerEdits"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = StringMember(device, "name", "device", true); !s.ok()) return s;
    const std::string name = device["name"];
    if (absl::Status s = ValidateDeviceOwnName(name); !s.ok()) return s;
    if (std::isdigit(static_cast<unsigned char>(name.front())) != 0) {
      needed = std::max(needed, Version{0, 5, 0});
    }
    if (absl::Status s = AnnotationsMember(device, StrCat("device ", name)); !s.ok()) return s;
    if (HasItems(device, "annotations")) needed = std::max(needed, Version{0, 6, 0});
    std::string where = StrCat("device ", name);
    const json edits = device.contains("containerEdits") ? device["containerEdits"] : json();
    if (absl::Status s = ValidateEdits(edits, where, needed); !s.ok()) return s;
    if (EditsAreEmpty(edits)) {
      return absl::InvalidArgumentError(StrCat(where, ": empty container edits"));
    }
    std::string qualified = StrCat(kind, "=", name);
    if (devices.contains(qualified)) {
      return absl::InvalidArgumentError(StrCat("device \"", name, "\" is defined twice"));
    }
    devices[qualified] = CdiDevice{.spec_file = file,
                                   .spec_edits = spec_edits.is_null() ? json::object() : spec_edits,
                                   .device_edits = edits};
  }
  if (*declared < needed) {
    return absl::InvalidArgumentError(
        StrCat("the spec version must be at least v", VersionText(needed), " for what it uses"));
  }
  return devices;
}

}  // namespace

absl::StatusOr<std::map<std::string, CdiDevice>> ParseCdiSpec(const json& document,
                                                              const std::string& file) {
  // The checks above look at every member before using it; a type they missed must still cost
  // only this file, never the daemon.
  try {
    return ParseValidatedSpec(document, file);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(StrCat("malformed spec: ", e.what()));
  }
}

CdiCatalog LoadCdiSpecDirectories(const std::vector<std::filesystem::path>& dirs) {
  CdiCatalog catalog;
  // Names two files of the same priority define: refused unless a later directory settles them.
  std::map<std::string, std::string> contested;
  for (size_t priority = 0; priority < dirs.size(); ++priority) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    std::filesystem::directory_iterator it(dirs[priority], ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      std::string extension = it->path().extension().string();
      std::error_code type_ec;
      if (it->is_regular_file(type_ec) && (extension == ".json" || extension == ".yaml")) {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      absl::StatusOr<json> document = ReadSpecFile(path);
      absl::StatusOr<std::map<std::string, CdiDevice>> devices =
          document.ok() ? ParseCdiSpec(*document, path.string())
                        : absl::StatusOr<std::map<std::string, CdiDevice>>(document.status());
      if (!devices.ok()) {
        catalog.errors.push_back(StrCat(path.string(), ": ", devices.status().message()));
        continue;
      }
      for (auto& [name, device] : *devices) {
        device.priority = static_cast<int>(priority);
        auto existing = catalog.devices.find(name);
        if (existing != catalog.devices.end() && existing->second.priority == device.priority) {
          contested[name] = StrCat(name, ": defined by both ", existing->second.spec_file, " and ",
                                   device.spec_file);
          continue;
        }
        contested.erase(name);
        catalog.devices[name] = std::move(device);
      }
    }
  }
  for (const auto& [name, message] : contested) {
    catalog.devices.erase(name);
    catalog.errors.push_back(message);
  }
  return catalog;
}

}  // namespace crio::oci
