// Mounts and devices of a container.

#include "crio/oci/spec.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "crio/common/mountinfo.h"
#include "crio/common/strings.h"

namespace crio::oci {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Destinations compare by their normal form: "/etc/hosts/" and "/etc//hosts" are "/etc/hosts".
std::string NormalDestination(const std::string& path) {
  std::string out = fs::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

size_t Depth(const std::string& path) { return StrSplit(path, '/', true).size(); }

json Mount(const std::string& destination, const std::string& type, const std::string& source,
           json options) {
  return {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

json PodFileMount(const std::string& destination, const std::string& source, bool readonly) {
  json options = {"rbind", "rprivate", "nosuid", "nodev", "noexec"};
  options.push_back(readonly ? "ro" : "rw");
  return Mount(destination, "bind", source, options);
}

bool IsBelow(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return true;
  return path == mount_point ||
         (path.size() > mount_point.size() &&
          path.compare(0, mount_point.size(), mount_point) == 0 && path[mount_point.size()] == '/');
}

// A slave or shared mount in the container only sees host mounts appear when the host mount it
// comes from propagates; otherwise the requested propagation would silently not happen.
absl::Status CheckSourcePropagation(const fs::path& mountinfo, const std::string& host_path,
                                    bool need_shared) {
  std::error_code ec;
  fs::path real = fs::canonical(host_path, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("resolving ", host_path, ": ", ec.message()));
  absl::StatusOr<std::vector<MountInfoEntry>> mounts = ReadMountInfo(mountinfo);
  if (!mounts.ok()) return absl::InternalError(StrCat("cannot read ", mountinfo.string()));
  const MountInfoEntry* best = nullptr;
  for (const MountInfoEntry& mount : *mounts) {
    // Later lines are mounted on top of earlier ones, so ">=" keeps the visible one.
    if (!IsBelow(real.string(), mount.mount_point) ||
        (best != nullptr && mount.mount_point.size() < best->mount_point.size())) {
      continue;
    }
    best = &mount;
  }
  if (best == nullptr) return absl::InternalError(StrCat("no mount holds ", real.string()));
  bool shared = best->optional_fields.find("shared:") != std::string::npos;
  bool slave = best->optional_fields.find("master:") != std::string::npos;
  const std::string& best_point = best->mount_point;
  if (need_shared && !shared) {
    return absl::FailedPreconditionError(
        StrCat("path ", host_path, " is mounted on ", best_point, " but it is not a shared mount"));
  }
  if (!need_shared && !shared && !slave) {
    return absl::FailedPreconditionError(StrCat("path ", host_path, " is mounted on ", best_point,
                                                " but it is not a shared or slave mount"));
  }
  return absl::OkStatus();
}

// An image volume: the image's root filesystem (or its image_sub_path), which the caller mounted
// read-only, bound read-only whatever the CRI asked. The propagation is always private: the
// source is a private mount below the store and never receives submounts.
absl::StatusOr<json> ImageVolumeMount(const SpecInputs& in, int index) {
  const runtime::v1::Mount& m = in.config->mounts(index);
  auto source = in.image_volume_sources.find(index);
  if (source == in.image_volume_sources.end() || source->second.empty()) {
    return absl::InternalError(StrCat("image volume ", m.container_path(), " (image ",
                                      m.image().image(), ") was not mounted"));
  }
  std::string host_path = source->second;
  if (!m.image_sub_path().empty()) {
    fs::path sub = fs::path(m.image_sub_path()).lexically_normal();
    if (sub.is_absolute() || sub.empty() || *sub.begin() == "..") {
      return absl::InvalidArgumentError(StrCat("image volume ", m.container_path(), ": sub path \"",
                                               m.image_sub_path(),
                                               "\" must be relative and stay inside the image"));
    }
    // Symlinks in the image are resolved, and the result must still be inside the image.
    std::error_code ec;
    fs::path root = fs::canonical(host_path, ec);
    fs::path real = ec ? fs::path() : fs::canonical(fs::path(host_path) / sub, ec);
    if (ec) {
      return absl::InvalidArgumentError(StrCat("image volume ", m.container_path(), ": sub path \"",
                                               m.image_sub_path(), "\" of image ",
                                               m.image().image(), ": ", ec.message()));
    }
    if (!IsBelow(real.string(), root.string())) {
      return absl::InvalidArgumentError(StrCat("image volume ", m.container_path(), ": sub path \"",
                                               m.image_sub_path(), "\" leads out of image ",
                                               m.image().image()));
    }
    host_path = real.string();
  }
  std::string destination = NormalDestination(m.container_path());
  return Mount(destination, "bind", host_path, {"rbind", "rprivate", "ro", "nosuid", "nodev"});
}

struct DeviceNode {
  std::string path;  // in the container
  char type = 'c';
  int64_t major = 0;
  int64_t minor = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

bool NodeOf(const std::string& host_path, const std::string& container_path, bool follow,
            DeviceNode* node) {
  struct stat st {};
  int rc = follow ? ::stat(host_path.c_str(), &st) : ::lstat(host_path.c_str(), &st);
  if (rc != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return false;
  node->path = container_path;
  node->type = S_ISCHR(st.st_mode) ? 'c' : 'b';
  node->major = major(st.st_rdev);
  node->minor = minor(st.st_rdev);
  node->mode = st.st_mode & 07777;
  node->uid = st.st_uid;
  node->gid = st.st_gid;
  return true;
}

// A device of crio.conf's additional_devices or of the devices annotation:
// HOST[:CONTAINER][:PERMISSIONS], where the middle part may be the permissions instead.
struct ConfiguredDevice {
  std::optional<DeviceNode> node;  // none for an empty entry, which is skipped
  std::string access = "rwm";
};

bool IsDeviceMode(std::string_view mode) {
  if (mode.empty() || mode.size() > 3) return false;
  std::set<char> seen;
  for (char c : mode) {
    if ((c != 'r' && c != 'w' && c != 'm') || !seen.insert(c).second) return false;
  }
  return true;
}

// `allowed`: the host paths the entry may name (the annotation's allowed_devices); null for
// crio.conf's own list, which the administrator wrote.
absl::StatusOr<ConfiguredDevice> ParseConfiguredDevice(const std::string& entry,
                                                       const std::vector<std::string>* allowed) {
  ConfiguredDevice device;
  if (entry.empty()) return device;
  std::vector<std::string> parts = absl::StrSplit(entry, ':');
  if (parts.size() > 3) {
    return absl::InvalidArgumentError(StrCat("invalid device specification: ", entry));
  }
  std::string host = parts[0];
  std::string container;
  if (parts.size() == 3) {
    if (!IsDeviceMode(parts[2])) {
      return absl::InvalidArgumentError(StrCat("invalid device mode: ", parts[2]));
    }
    device.access = parts[2];
  }
  if (parts.size() >= 2) {
    if (IsDeviceMode(parts[1])) {
      device.access = parts[1];
    } else if (!parts[1].empty() && parts[1][0] != '/') {
      return absl::InvalidArgumentError(StrCat("invalid device mode: ", parts[1]));
    } else {
      container = parts[1];
    }
  }
  if (container.empty()) container = host;
  if (allowed != nullptr && std::find(allowed->begin(), allowed->end(), host) == allowed->end()) {
    return absl::PermissionDeniedError(
        StrCat("device ", host, " is specified but is not in allowed_devices"));
  }
  if (!container.starts_with("/dev/")) {
    return absl::InvalidArgumentError(
        StrCat("invalid device destination ", container, ": not below /dev"));
  }
  DeviceNode node;
  // Not followed: a symlink is not the device node it names, as in CRI-O.
  if (!NodeOf(host, container, /*follow=*/false, &node)) {
    return absl::InvalidArgumentError(StrCat(host, " is not a valid device"));
  }
  device.node = node;
  return device;
}

// Every device node below `host_dir`, as `container_dir` + the same relative path. Symlinks are
// not followed (they would duplicate nodes or lead out of the tree), and neither are the
// directories whose nodes the runtime sets up itself.
std::vector<DeviceNode> DevicesBelow(const fs::path& host_dir, const std::string& container_dir) {
  static const std::set<std::string> kSkippedDirs = {"pts", "shm", "mqueue", "fd"};
  std::vector<DeviceNode> nodes;
  std::error_code ec;
  fs::recursive_directory_iterator it(host_dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    if (entry.is_symlink(type_ec)) continue;
    std::string name = entry.path().filename().string();
    if (entry.is_directory(type_ec)) {
      if (it.depth() == 0 && kSkippedDirs.count(name) > 0) it.disable_recursion_pending();
      continue;
    }
    // The runtime gives the container its own console.
    if (it.depth() == 0 && name == "console") continue;
    std::string relative = entry.path().lexically_relative(host_dir).string();
    DeviceNode node;
    std::string container_path = container_dir.back() == '/' ? StrCat(container_dir, relative)
                                                             : StrCat(container_dir, "/", relative);
    if (NodeOf(entry.path().string(), container_path, false, &node)) nodes.push_back(node);
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const DeviceNode& a, const DeviceNode& b) { return a.path < b.path; });
  return nodes;
}

json DeviceRule(bool allow, const std::string& access, const char* type = nullptr,
                int64_t major = -1, int64_t minor = -1) {
  json rule = {{"allow", allow}, {"access", access}};
  if (type != nullptr) rule["type"] = type;
  if (major >= 0) rule["major"] = major;
  if (minor >= 0) rule["minor"] = minor;
  return rule;
}

// What every container may use: the nodes the runtime creates in /dev, and its own ptys.
json DefaultDeviceRules() {
  return json::array({DeviceRule(false, "rwm"), DeviceRule(true, "rwm", "c", 1, 3),
                      DeviceRule(true, "rwm", "c", 1, 5), DeviceRule(true, "rwm", "c", 1, 7),
                      DeviceRule(true, "rwm", "c", 1, 8), DeviceRule(true, "rwm", "c", 1, 9),
                      DeviceRule(true, "rwm", "c", 5, 0), DeviceRule(true, "rwm", "c", 5, 2),
                      DeviceRule(true, "rwm", "c", 136)});
}

}  // namespace

namespace spec_internal {

absl::Status AddMounts(const SpecInputs& in, const ResolvedUser& user, bool readonly_root,
                       json& spec) {
  const auto& sc = in.config->linux().security_context();
  const PodContext& pod = in.pod;
  bool privileged = sc.privileged();

  // The CRI's mounts first, checked; they also decide which defaults they replace.
  struct CriMount {
    std::string destination;
    json mount;
  };
  std::vector<CriMount> cri_mounts;
  int propagation_level = 0;  // 0 private, 1 slave, 2 shared
  for (int index = 0; index < in.config->mounts_size(); ++index) {
    const runtime::v1::Mount& m = in.config->mounts(index);
    if (m.container_path().empty() || m.container_path().front() != '/') {
      return absl::InvalidArgumentError(
          StrCat("mount container path \"", m.container_path(), "\" is not absolute"));
    }
    if (m.has_image() && !m.image().image().empty()) {
      absl::StatusOr<json> mount = ImageVolumeMount(in, index);
      if (!mount.ok()) return mount.status();
      std::string destination = (*mount)["destination"].get<std::string>();
      cri_mounts.push_back({destination, *std::move(mount)});
      continue;
    }
    // ID-mapped: the caller attached an idmapped clone of the host path; that is what is bound.
    std::string source = m.host_path();
    if (m.uidmappings_size() > 0 || m.gidmappings_size() > 0) {
      auto prepared = in.idmapped_mount_sources.find(index);
      struct stat exists {};
      if (prepared != in.idmapped_mount_sources.end()) {
        source = prepared->second;
      } else if (::stat(m.host_path().c_str(), &exists) == 0) {
        return absl::InternalError(
            StrCat("mount ", m.container_path(), ": its ID-mapped clone was not prepared"));
      }
    }
    if (m.recursive_read_only()) {
      // As CRI-O: only a read-only mount with private propagation can be made recursively
      // read-only (a slave or shared one could receive writable submounts later).
      if (!m.readonly()) {
        return absl::InvalidArgumentError(
            StrCat("mount ", m.container_path(), ": recursive read-only mode needs readonly"));
      }
      if (m.propagation() != runtime::v1::PROPAGATION_PRIVATE) {
        return absl::InvalidArgumentError(StrCat(
            "mount ", m.container_path(), ": recursive read-only mode needs private propagation"));
      }
      if (!in.recursive_read_only_mounts) {
        return absl::UnimplementedError(StrCat(
            "mount ", m.container_path(), ": recursive read-only mounts are not supported by ",
            "runtime handler \"", in.runtime_handler,
            "\" (its runtime lists no \"rro\" mount option, or the kernel lacks mount_setattr)"));
      }
    }
    if (m.host_path().empty()) {
      return absl::InvalidArgumentError(StrCat("mount ", m.container_path(), " has no host path"));
    }
    struct stat st {};
    if (::stat(m.host_path().c_str(), &st) != 0) {
      int err = errno;
      return absl::InvalidArgumentError(StrCat(
          "mount host path \"", m.host_path(), "\" ",
          err == ENOENT ? "does not exist" : StrCat("cannot be used: ", std::strerror(err))));
    }
    if (m.selinux_relabel()) {
      // Without a mount label (no SELinux, labeling off, or a pod run without separation)
      // there is nothing to relabel with, as in CRI-O. Private: the pod's level, not s0.
      if (absl::Status relabeled = RelabelPath(m.host_path(), in.selinux_labels.mount, false);
          !relabeled.ok()) {
        return absl::Status(relabeled.code(),
                            StrCat("mount ", m.container_path(), ": ", View(relabeled.message())));
      }
    }
    const char* propagation = "rprivate";
    switch (m.propagation()) {
      case runtime::v1::PROPAGATION_PRIVATE:
        break;
      case runtime::v1::PROPAGATION_HOST_TO_CONTAINER:
        propagation = "rslave";
        propagation_level = std::max(propagation_level, 1);
        if (absl::Status s = CheckSourcePropagation(in.mountinfo, m.host_path(), false); !s.ok()) {
          return s;
        }
        break;
      case runtime::v1::PROPAGATION_BIDIRECTIONAL:
        propagation = "rshared";
        propagation_level = 2;
        if (absl::Status s = CheckSourcePropagation(in.mountinfo, m.host_path(), true); !s.ok()) {
          return s;
        }
        break;
      default:
        return absl::InvalidArgumentError(StrCat("mount ", m.container_path(),
                                                 ": unknown propagation ",
                                                 static_cast<int>(m.propagation())));
    }
    json options = {"rbind", propagation, m.readonly() ? "ro" : "rw"};
    if (m.recursive_read_only()) options.push_back("rro");
    std::string destination = NormalDestination(m.container_path());
    cri_mounts.push_back({destination, Mount(destination, "bind", source, options)});
  }
  std::set<std::string> cri_destinations;
  for (const auto& m : cri_mounts) cri_destinations.insert(m.destination);

  // Image VOLUMEs: a volume the pod mounts over needs nothing from us. With "mkdir" the directory
  // is made in the rootfs (the data lives in the writable layer); with "bind" each volume is a
  // fresh host directory below image_volumes_dir, which goes away with the container.
  if (in.image_volumes != "mkdir" && in.image_volumes != "bind" && in.image_volumes != "ignore") {
    return absl::InvalidArgumentError(
        StrCat("unknown image_volumes mode \"", in.image_volumes, "\""));
  }
  if (in.image_volumes != "ignore") {
    int index = 0;
    for (const auto& volume : in.image.volumes) {
      std::string destination = NormalDestination(volume.front() == '/' ? volume : "/" + volume);
      if (cri_destinations.count(destination) > 0) continue;
      if (in.image_volumes == "mkdir") {
        if (absl::Status s = MkdirAllInRoot(in.rootfs, destination, user.uid, user.gid); !s.ok()) {
          return absl::Status(s.code(), StrCat("image volume ", destination, ": ", s.message()));
        }
        continue;
      }
      if (in.image_volumes_dir.empty()) {
        return absl::InvalidArgumentError("image_volumes = bind: no directory for the volumes");
      }
      // "3-var_lib_data": unique by index, readable by the destination.
      std::string name = destination.substr(1);
      std::replace(name.begin(), name.end(), '/', '_');
      fs::path source = fs::path(in.image_volumes_dir) / StrCat(index++, "-", name);
      std::error_code ec;
      fs::create_directories(source, ec);
      if (ec || ::chown(source.c_str(), user.uid, user.gid) != 0) {
        return absl::InternalError(StrCat("image volume ", destination, ": creating ",
                                          source.string(), ": ",
                                          ec ? ec.message() : std::strerror(errno)));
      }
      ::chmod(source.c_str(), 0755);
      // The container writes there: the directory gets its label, as its rootfs has.
      if (absl::Status relabeled = RelabelPath(source, in.selinux_labels.mount, false);
          !relabeled.ok()) {
        return relabeled;
      }
      cri_destinations.insert(destination);
      cri_mounts.push_back(
          {destination, Mount(destination, "bind", source.string(), {"rbind", "rprivate", "rw"})});
    }
  }

  // Parents before children, whatever order the pod spec listed its volumes in.
  std::stable_sort(cri_mounts.begin(), cri_mounts.end(), [](const CriMount& a, const CriMount& b) {
    return Depth(a.destination) < Depth(b.destination);
  });

  json mounts = json::array();
  auto add_default = [&](json mount) {
    if (cri_destinations.count(mount["destination"].get<std::string>()) == 0) {
      mounts.push_back(std::move(mount));
    }
  };
  add_default(Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  add_default(
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  add_default(Mount("/dev/pts", "devpts", "devpts",
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  std::string shm = pod.host_ipc ? "/dev/shm" : pod.shm_path;
  if (!shm.empty()) {
    add_default(Mount("/dev/shm", "bind", shm, {"rbind", "rprivate", "nosuid", "nodev", "noexec"}));
  } else {
    add_default(Mount("/dev/shm", "tmpfs", "shm",
                      {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  }
  // A host-IPC container shares the host's /dev/mqueue mount, as CRI-O does. A fresh mqueue mount
  // shows the same queues (it belongs to the mounter's IPC namespace, here the host's), so it
  // serves hosts that have no /dev/mqueue mounted.
  struct stat mqueue_st {};
  if (pod.host_ipc && ::stat("/dev/mqueue", &mqueue_st) == 0 && S_ISDIR(mqueue_st.st_mode)) {
    add_default(
        Mount("/dev/mqueue", "bind", "/dev/mqueue", {"rbind", "nosuid", "noexec", "nodev"}));
  } else {
    add_default(Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  }
  const char* sys_mode = privileged ? "rw" : "ro";
  add_default(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode}));
  add_default(Mount("/sys/fs/cgroup", "cgroup", "cgroup",
                    {"nosuid", "noexec", "nodev", "relatime", sys_mode}));
  if (!pod.hostname_file.empty()) {
    add_default(PodFileMount("/etc/hostname", pod.hostname_file, readonly_root));
  }
  if (!pod.hosts_file.empty())
    add_default(PodFileMount("/etc/hosts", pod.hosts_file, readonly_root));
  if (!pod.resolv_conf.empty()) {
    add_default(PodFileMount("/etc/resolv.conf", pod.resolv_conf, readonly_root));
  }
  // A CRI mount of /etc/localtime is the kubelet's (or the user's) choice, and wins.
  if (cri_destinations.count("/etc/localtime") == 0) {
    absl::StatusOr<std::optional<json>> localtime = PrepareTimezone(in);
    if (!localtime.ok()) return localtime.status();
    if (*localtime) mounts.push_back(**localtime);
  }
  for (auto& m : cri_mounts) mounts.push_back(std::move(m.mount));
  spec["mounts"] = mounts;
  if (propagation_level == 1) spec["linux"]["rootfsPropagation"] = "rslave";
  if (propagation_level == 2) spec["linux"]["rootfsPropagation"] = "rshared";
  return absl::OkStatus();
}

absl::Status AddDevices(const SpecInputs& in, json& spec) {
  const auto& sc = in.config->linux().security_context();
  std::vector<DeviceNode> nodes;
  json rules;
  if (sc.privileged() && !in.privileged_without_host_devices) {
    nodes = DevicesBelow(in.host_dev, "/dev");
    rules = json::array({DeviceRule(true, "rwm")});
  } else {
    rules = DefaultDeviceRules();
  }
  // A later node for the same container path replaces the earlier one (a host device, say).
  auto add_node = [&](const DeviceNode& node, const std::string& access) {
    rules.push_back(DeviceRule(true, access, node.type == 'c' ? "c" : "b", node.major, node.minor));
    nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                               [&](const DeviceNode& n) { return n.path == node.path; }),
                nodes.end());
    nodes.push_back(node);
  };

  // crio.conf's additional_devices, then the pod's devices annotation where the runtime handler
  // allows it, as CRI-O orders them; the CRI's own devices come after.
  for (const std::string& entry : in.additional_devices) {
    absl::StatusOr<ConfiguredDevice> device = ParseConfiguredDevice(entry, nullptr);
    if (!device.ok()) {
      return absl::Status(device.status().code(),
                          StrCat("additional_devices: ", device.status().message()));
    }
    if (device->node) add_node(*device->node, device->access);
  }
  if (in.devices_annotation_allowed && in.pod_config != nullptr) {
    const auto& annotations = in.pod_config->annotations();
    auto value = annotations.find(std::string(kDevicesAnnotation));
    if (value == annotations.end()) value = annotations.find(std::string(kLegacyDevicesAnnotation));
    if (value != annotations.end()) {
      for (absl::string_view entry : absl::StrSplit(value->second, ',')) {
        absl::StatusOr<ConfiguredDevice> device =
            ParseConfiguredDevice(std::string(entry.data(), entry.size()), &in.allowed_devices);
        if (!device.ok()) {
          return absl::Status(device.status().code(),
                              StrCat("annotation ", value->first, ": ", device.status().message()));
        }
        if (device->node) add_node(*device->node, device->access);
      }
    }
  }

  for (const auto& device : in.config->devices()) {
    std::string access = device.permissions().empty() ? "rwm" : device.permissions();
    if (access.find_first_not_of("rwm") != std::string::npos) {
      return absl::InvalidArgumentError(
          StrCat("device ", device.host_path(), ": invalid permissions \"", access, "\""));
    }
    const std::string& container_path =
        device.container_path().empty() ? device.host_path() : device.container_path();
    if (container_path.empty() || container_path.front() != '/') {
      return absl::InvalidArgumentError(
          StrCat("device container path \"", container_path, "\" is not absolute"));
    }
    struct stat st {};
    if (::stat(device.host_path().c_str(), &st) != 0) {
      return absl::InvalidArgumentError(
          StrCat("device \"", device.host_path(), "\" does not exist"));
    }
    std::vector<DeviceNode> found;
    if (S_ISDIR(st.st_mode)) {
      found = DevicesBelow(device.host_path(), container_path);
    } else {
      DeviceNode node;
      if (!NodeOf(device.host_path(), container_path, true, &node)) {
        return absl::InvalidArgumentError(
            StrCat("\"", device.host_path(), "\" is not a character or block device"));
      }
      found.push_back(node);
    }
    for (auto node : found) {
      // device_ownership_from_security_context: a non-root container user gets a node it can
      // open, instead of the host's owner (root, or a group it is not in).
      if (in.device_ownership_from_security_context && !S_ISDIR(st.st_mode)) {
        if (sc.has_run_as_user() && sc.run_as_user().value() > 0) {
          node.uid = static_cast<uint32_t>(sc.run_as_user().value());
        }
        if (sc.has_run_as_group() && sc.run_as_group().value() > 0) {
          node.gid = static_cast<uint32_t>(sc.run_as_group().value());
        }
      }
      add_node(node, access);
    }
  }

  json devices = json::array();
  for (const auto& n : nodes) {
    devices.push_back({{"path", n.path},
                       {"type", std::string(1, n.type)},
                       {"major", n.major},
                       {"minor", n.minor},
                       {"fileMode", n.mode},
                       {"uid", n.uid},
                       {"gid", n.gid}});
  }
  spec["linux"]["devices"] = devices;
  spec["linux"]["resources"]["devices"] = rules;
  return absl::OkStatus();
}

}  // namespace spec_internal

absl::Status CheckAdditionalDevices(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) {
    if (absl::StatusOr<ConfiguredDevice> device = ParseConfiguredDevice(entry, nullptr);
        !device.ok()) {
      return absl::Status(device.status().code(),
                          StrCat("crio.runtime.additional_devices: ", device.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace crio::oci
