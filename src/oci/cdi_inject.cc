// CDI requests (the CRI field and the annotations) and their edits to an OCI runtime spec.

#include "crio/oci/cdi.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_split.h"
#include "crio/common/strings.h"

namespace crio::oci {
namespace {

using nlohmann::json;

// Everything the requested devices bring, in the order CDI applies it.
struct Edits {
  json env = json::array();
  json device_nodes = json::array();
  json mounts = json::array();
  json hooks = json::array();
  json additional_gids = json::array();
  json intel_rdt;  // the last one wins
  bool net_devices = false;

  void Append(const json& edits) {
    if (!edits.is_object()) return;
    for (auto [key, list] : {std::pair{"env", &env}, std::pair{"deviceNodes", &device_nodes},
                             std::pair{"mounts", &mounts}, std::pair{"hooks", &hooks},
                             std::pair{"additionalGids", &additional_gids}}) {
      if (edits.contains(key) && edits[key].is_array()) {
        for (const json& item : edits[key]) list->push_back(item);
      }
    }
    if (edits.contains("intelRdt") && !edits["intelRdt"].is_null()) intel_rdt = edits["intelRdt"];
    if (edits.contains("netDevices") && !edits["netDevices"].empty()) net_devices = true;
  }
};

std::string EnvKey(const std::string& entry) { return entry.substr(0, entry.find('=')); }

void ApplyEnv(const json& env, json& spec) {
  json& process_env = spec["process"]["env"];
  if (!process_env.is_array()) process_env = json::array();
  for (const json& item : env) {
    const auto& entry = item.get_ref<const std::string&>();
    auto same = std::find_if(process_env.begin(), process_env.end(), [&](const json& existing) {
      return existing.is_string() && EnvKey(existing.get<std::string>()) == EnvKey(entry);
    });
    if (same != process_env.end()) {
      *same = entry;
    } else {
      process_env.push_back(entry);
    }
  }
}

// A device node with what the spec file left out taken from the host's node. The node is not
// followed if it is a symlink: the file describes that path, not what it points to.
absl::StatusOr<json> CompleteDeviceNode(const json& node) {
  json out = node;
  std::string path = node["path"];
  std::string host_path = node.value("hostPath", "");
  if (host_path.empty()) host_path = path;
  std::string type = node.value("type", "");
  int64_t given_major = node.value("major", int64_t{0});
  // Type and numbers given: the host node is only asked for what is left (the mode), and may be
  // missing or something else entirely, as a node the runtime creates from the numbers alone.
  bool fully_given = !type.empty() && (given_major != 0 || type == "p");
  out.erase("hostPath");
  out.erase("permissions");

  struct stat st {};
  std::string host_type;
  if (::lstat(host_path.c_str(), &st) == 0) {
    if (S_ISBLK(st.st_mode)) host_type = "b";
    if (S_ISCHR(st.st_mode)) host_type = "c";
    if (S_ISFIFO(st.st_mode)) host_type = "p";
  } else if (!fully_given) {
    return absl::FailedPreconditionError(
        StrCat("failed to stat CDI host device \"", host_path, "\": ", std::strerror(errno)));
  }
  if (!fully_given) {
    if (host_type.empty()) {
      return absl::FailedPreconditionError(
          StrCat("CDI device \"", host_path, "\" is not a device node"));
    }
    if (type.empty()) {
      type = host_type;
    } else if (type != host_type) {
      return absl::FailedPreconditionError(StrCat("CDI device (\"", path, "\", \"", host_path,
                                                  "\"): host type mismatch (", type, ", ",
                                                  host_type, ")"));
    }
    if (type != "p" && given_major == 0) {
      out["major"] = static_cast<int64_t>(major(st.st_rdev));
      out["minor"] = static_cast<int64_t>(minor(st.st_rdev));
    }
  }
  out["type"] = type;
  // Absent numbers are 0, as in CDI's Go types; a null one would reach the device cgroup rule
  // as a wildcard.
  for (const char* key : {"major", "minor"}) {
    if (!out.contains(key) || out[key].is_null()) out[key] = 0;
  }
  if ((!out.contains("fileMode") || out["fileMode"].is_null()) && !host_type.empty()) {
    out["fileMode"] = st.st_mode & 07777;
  }
  for (const char* key : {"fileMode", "uid", "gid"}) {
    if (out.contains(key) && out[key].is_null()) out.erase(key);
  }
  return out;
}

absl::Status ApplyDeviceNodes(const json& nodes, json& spec) {
  json& devices = spec["linux"]["devices"];
  if (!devices.is_array()) devices = json::array();
  json& rules = spec["linux"]["resources"]["devices"];
  if (!rules.is_array()) rules = json::array();
  const json user =
      spec.contains("process") ? spec["process"].value("user", json::object()) : json::object();
  for (const json& node : nodes) {
    absl::StatusOr<json> device = CompleteDeviceNode(node);
    if (!device.ok()) return device.status();
    // The container's own user owns the node unless the file says otherwise, as CDI does.
    for (const char* id : {"uid", "gid"}) {
      if (!device->contains(id) && user.value(id, int64_t{0}) > 0) (*device)[id] = user[id];
    }
    std::string path = (*device)["path"];
    devices.erase(std::remove_if(devices.begin(), devices.end(),
                                 [&](const json& d) { return d.value("path", "") == path; }),
                  devices.end());
    devices.push_back(*device);
    std::string type = (*device)["type"];
    if (type == "b" || type == "c") {
      std::string access = node.value("permissions", "");
      if (access.empty()) access = "rwm";
      if (access == "none") access = "";
      rules.push_back({{"allow", true},
                       {"type", type},
                       {"major", (*device)["major"]},
                       {"minor", (*device)["minor"]},
                       {"access", access}});
    }
  }
  return absl::OkStatus();
}

size_t PathDepth(const std::string& destination) {
  std::string clean = std::filesystem::path(destination).lexically_normal().string();
  if (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  return static_cast<size_t>(std::count(clean.begin(), clean.end(), '/'));
}

void ApplyMounts(const json& mounts, json& spec) {
  json& spec_mounts = spec["mounts"];
  if (!spec_mounts.is_array()) spec_mounts = json::array();
  for (const json& mount : mounts) {
    std::string destination = mount["containerPath"];
    auto same = std::find_if(spec_mounts.begin(), spec_mounts.end(), [&](const json& m) {
      return m.value("destination", "") == destination;
    });
    if (same != spec_mounts.end()) spec_mounts.erase(same);
    json entry = {{"destination", destination}, {"source", mount["hostPath"]}};
    if (mount.contains("type")) entry["type"] = mount["type"];
    if (mount.contains("options") && !mount["options"].is_null()) {
      entry["options"] = mount["options"];
    }
    spec_mounts.push_back(entry);
  }
  // Parents before what is mounted below them, whichever list a mount came from.
  std::vector<json> ordered(spec_mounts.begin(), spec_mounts.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const json& a, const json& b) {
    return PathDepth(a.value("destination", "")) < PathDepth(b.value("destination", ""));
  });
  spec_mounts = ordered;
}

void ApplyHooks(const json& hooks, json& spec) {
  for (const json& hook : hooks) {
    json entry = {{"path", hook["path"]}};
    for (const char* key : {"args", "env", "timeout"}) {
      if (hook.contains(key) && !hook[key].is_null()) entry[key] = hook[key];
    }
    spec["hooks"][hook["hookName"].get<std::string>()].push_back(entry);
  }
}

void ApplyAdditionalGids(const json& gids, json& spec) {
  json& list = spec["process"]["user"]["additionalGids"];
  if (!list.is_array()) list = json::array();
  for (const json& gid : gids) {
    if (gid.get<uint64_t>() == 0) continue;
    if (std::find(list.begin(), list.end(), gid) == list.end()) list.push_back(gid);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> RequestedCdiDevices(
    const runtime::v1::ContainerConfig& config) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& device : config.cdi_devices()) {
    if (seen.insert(device.name()).second) names.push_back(device.name());
  }
  // Sorted, so that the devices of several annotations come in the same order every time.
  std::map<std::string, std::string> annotations(config.annotations().begin(),
                                                 config.annotations().end());
  for (const auto& [key, value] : annotations) {
    if (!key.starts_with(kCdiAnnotationPrefix)) continue;
    for (absl::string_view piece : absl::StrSplit(value, ',')) {
      std::string name(piece.data(), piece.size());
      if (absl::Status s = ValidateCdiDeviceName(name); !s.ok()) {
        return absl::InvalidArgumentError(
            StrCat("failed to parse CDI device annotations: ", key, ": ", s.message()));
      }
      if (seen.insert(name).second) names.push_back(name);
    }
  }
  return names;
}

absl::Status InjectCdiDevices(const CdiCatalog& catalog, const std::vector<std::string>& names,
                              json& spec) {
  std::vector<std::string> unresolved;
  std::set<std::string> files_applied;
  Edits edits;
  for (const std::string& name : names) {
    auto device = catalog.devices.find(name);
    if (device == catalog.devices.end()) {
      unresolved.push_back(name);
      continue;
    }
    if (files_applied.insert(device->second.spec_file).second) {
      edits.Append(device->second.spec_edits);
    }
    edits.Append(device->second.device_edits);
  }
  if (!unresolved.empty()) {
    return absl::NotFoundError(StrCat("unresolvable CDI devices ", StrJoin(unresolved, ", ")));
  }
  if (edits.net_devices) {
    // runc 1.1 has no linux.netDevices and would ignore it: the container would start without
    // the interface it was given.
    return absl::UnimplementedError("CDI netDevices are not supported yet");
  }
  // Applied to a copy: a device node missing on the host must not leave half the edits behind.
  json edited = spec;
  try {
    ApplyEnv(edits.env, edited);
    if (absl::Status s = ApplyDeviceNodes(edits.device_nodes, edited); !s.ok()) return s;
    if (!edits.mounts.empty()) ApplyMounts(edits.mounts, edited);
    ApplyHooks(edits.hooks, edited);
    if (!edits.intel_rdt.is_null()) edited["linux"]["intelRdt"] = edits.intel_rdt;
    ApplyAdditionalGids(edits.additional_gids, edited);
  } catch (const json::exception& e) {
    // Validation checked every member the edits use; this is a backstop, not a path.
    return absl::InternalError(StrCat("applying CDI edits: ", e.what()));
  }
  spec = std::move(edited);
  return absl::OkStatus();
}

}  // namespace crio::oci
