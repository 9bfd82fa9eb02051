#include "crio/oci/spec.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "crio/common/host.h"
#include "crio/common/strings.h"
#include "crio/oci/cdi.h"
#include "crio/oci/hooks.h"

namespace crio::oci {
namespace {

using nlohmann::json;

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

absl::StatusOr<std::vector<std::string>> StringList(const json& config, const char* key) {
  std::vector<std::string> out;
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return out;
  if (!it->is_array())
    return absl::InvalidArgumentError(StrCat("image config: ", key, " is not a list"));
  for (const auto& item : *it) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(StrCat("image config: ", key, " holds a non-string"));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::string> String(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return absl::InvalidArgumentError(StrCat("image config: ", key, " is not a string"));
  return it->get<std::string>();
}

// A container's id as seen from the host, through the pod's user namespace mappings (identity when
// there are none, or when `id` falls outside them: chown then fails loudly rather than guessing).
uint32_t HostId(const google::protobuf::RepeatedPtrField<runtime::v1::IDMapping>& mappings,
                uint32_t id) {
  for (const auto& m : mappings) {
    if (id >= m.container_id() && id - m.container_id() < m.length()) {
      return m.host_id() + (id - m.container_id());
    }
  }
  return id;
}

json IdMappings(const google::protobuf::RepeatedPtrField<runtime::v1::IDMapping>& mappings) {
  json out = json::array();
  for (const auto& m : mappings) {
    out.push_back(
        {{"containerID", m.container_id()}, {"hostID", m.host_id()}, {"size", m.length()}});
  }
  return out;
}

absl::StatusOr<json> Namespaces(const SpecInputs& in) {
  const PodContext& pod = in.pod;
  const auto& options = in.config->linux().security_context().namespace_options();
  json namespaces = json::array();

  switch (options.pid()) {
    case runtime::v1::CONTAINER:
      namespaces.push_back({{"type", "pid"}});
      break;
    case runtime::v1::POD:
      // A host-PID pod's PID namespace is the host's: nothing to join.
      if (pod.host_pid) break;
      if (pod.infra_pid <= 0) {
        return absl::FailedPreconditionError(
            "the container shares the pod's PID namespace, but the pod has no infra container");
      }
      namespaces.push_back({{"type", "pid"}, {"path", StrCat("/proc/", pod.infra_pid, "/ns/pid")}});
      break;
    case runtime::v1::NODE:
      break;
    case runtime::v1::TARGET:
      // The caller found the target container and its process; joining through /proc keeps the
      // namespace as long as runc needs it, since the target runs until it is stopped.
      if (in.target_pid <= 0) {
        return absl::FailedPreconditionError(
            StrCat("PID namespace mode TARGET: target container \"", options.target_id(),
                   "\" has no running process"));
      }
      namespaces.push_back({{"type", "pid"}, {"path", StrCat("/proc/", in.target_pid, "/ns/pid")}});
      break;
    default:
      return absl::InvalidArgumentError(
          StrCat("unknown PID namespace mode ", static_cast<int>(options.pid())));
  }
  namespaces.push_back({{"type", "mount"}});

  // A pod that is not on the host's network or IPC must have pinned namespaces; running the
  // container in the host's instead would be a silent escalation.
  auto join = [&](const char* type, const std::string& path, bool host) -> absl::Status {
    if (!path.empty()) {
      namespaces.push_back({{"type", type}, {"path", path}});
    } else if (!host) {
      return absl::FailedPreconditionError(StrCat("the pod has no ", type, " namespace"));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = join("network", pod.net_ns, pod.host_network); !s.ok()) return s;
  if (absl::Status s = join("ipc", pod.ipc_ns, pod.host_ipc); !s.ok()) return s;
  if (absl::Status s = join("uts", pod.uts_ns, pod.host_network); !s.ok()) return s;
  namespaces.push_back({{"type", "cgroup"}});
  if (!pod.user_ns.empty()) namespaces.push_back({{"type", "user"}, {"path", pod.user_ns}});
  return namespaces;
}

json Resources(const SpecInputs& in) {
  return LinuxResources(in.config->linux().resources(), in.pids_limit);
}

json Annotations(const SpecInputs& in) {
  json annotations = json::object();
  for (const auto& [key, value] : in.config->annotations()) annotations[key] = value;
  // Ours last: the CRI's annotations must not be able to pose as them.
  annotations["io.kubernetes.cri-o.ContainerType"] = "container";
  annotations["io.kubernetes.cri-o.SandboxID"] = in.pod.pod_id;
  annotations["io.kubernetes.cri-o.ContainerName"] = in.container_name;
  annotations["io.kubernetes.cri-o.LogPath"] = in.log_path;
  annotations["io.kubernetes.cri-o.Image"] = in.image_name;
  annotations["io.kubernetes.cri-o.ImageRef"] = in.image_ref;
  annotations["io.kubernetes.container.name"] = in.config->metadata().name();
  annotations["io.kubernetes.pod.name"] = in.pod.pod_name;
  annotations["io.kubernetes.pod.namespace"] = in.pod.pod_namespace;
  annotations["io.kubernetes.pod.uid"] = in.pod.pod_uid;
  return annotations;
}

}  // namespace

absl::StatusOr<ImageConfigView> ImageConfigView::Parse(const std::string& image_config_json) {
  json root;
  try {
    root = json::parse(image_config_json);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(StrCat("image config is not valid JSON: ", e.what()));
  }
  ImageConfigView view;
  if (!root.is_object()) return absl::InvalidArgumentError("image config is not a JSON object");
  auto config_it = root.find("config");
  if (config_it == root.end() || config_it->is_null()) return view;
  if (!config_it->is_object())
    return absl::InvalidArgumentError("image config: config is not an object");
  const json& config = *config_it;

  absl::StatusOr<std::vector<std::string>> list = StringList(config, "Entrypoint");
  if (!list.ok()) return list.status();
  view.entrypoint = *std::move(list);
  if (list = StringList(config, "Cmd"); !list.ok()) return list.status();
  view.cmd = *std::move(list);
  if (list = StringList(config, "Env"); !list.ok()) return list.status();
  view.env = *std::move(list);

  absl::StatusOr<std::string> text = String(config, "WorkingDir");
  if (!text.ok()) return text.status();
  view.working_dir = *std::move(text);
  if (text = String(config, "User"); !text.ok()) return text.status();
  view.user = *std::move(text);
  if (text = String(config, "StopSignal"); !text.ok()) return text.status();
  view.stop_signal = *std::move(text);

  if (auto it = config.find("Volumes"); it != config.end() && !it->is_null()) {
    if (!it->is_object())
      return absl::InvalidArgumentError("image config: Volumes is not an object");
    for (const auto& [path, unused] : it->items()) view.volumes.push_back(path);
    std::sort(view.volumes.begin(), view.volumes.end());
  }
  return view;
}

std::vector<std::string> ProcessArgs(const runtime::v1::ContainerConfig& config,
                                     const ImageConfigView& image) {
  std::vector<std::string> args;
  if (config.command_size() > 0) {
    args.assign(config.command().begin(), config.command().end());
  } else {
    args = image.entrypoint;
  }
  if (config.args_size() > 0) {
    args.insert(args.end(), config.args().begin(), config.args().end());
  } else if (config.command_size() == 0) {
    // The image's Cmd is the default argument list of the image's own Entrypoint only.
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  }
  return args;
}

std::vector<std::string> MergeEnv(
    const std::vector<std::string>& image_env,
    const google::protobuf::RepeatedPtrField<runtime::v1::KeyValue>& cri_envs,
    const std::vector<std::string>& defaults) {
  std::vector<std::pair<std::string, std::string>> merged;
  auto set = [&merged](std::string_view key, std::string_view value) {
    if (key.empty()) return;
    for (auto& [k, v] : merged) {
      if (k == key) {
        v = value;
        return;
      }
    }
    merged.emplace_back(key, value);
  };
  auto set_entry = [&set](std::string_view entry) {
    size_t eq = entry.find('=');
    // An entry without '=' names no value; runc would refuse it.
    if (eq == std::string_view::npos) return;
    set(entry.substr(0, eq), entry.substr(eq + 1));
  };
  for (const auto& entry : defaults) set_entry(entry);
  for (const auto& entry : image_env) set_entry(entry);
  for (const auto& kv : cri_envs) set(kv.key(), kv.value());

  std::vector<std::string> env;
  bool has_path = false;
  for (const auto& [key, value] : merged) {
    has_path = has_path || key == "PATH";
    env.push_back(StrCat(key, "=", value));
  }
  if (!has_path) env.insert(env.begin(), kDefaultPath);
  return env;
}

std::string CgroupsPath(const std::string& cgroup_parent, const std::string& id, bool systemd) {
  if (systemd) {
    return StrCat(cgroup_parent.empty() ? "system.slice" : cgroup_parent, ":crio:", id);
  }
  std::string parent = cgroup_parent.empty() ? "/crio" : cgroup_parent;
  if (parent.front() != '/') parent.insert(0, "/");
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  return StrCat(parent == "/" ? "" : parent, "/crio-", id);
}

namespace {

absl::Status AddCdiDevices(const SpecInputs& in, json& spec, std::vector<std::string>& notes) {
  absl::StatusOr<std::vector<std::string>> requested = RequestedCdiDevices(*in.config);
  if (!requested.ok()) return requested.status();
  if (requested->empty()) return absl::OkStatus();
  // Read for every container that asks, so that a driver's freshly written spec counts at once.
  CdiCatalog catalog = LoadCdiSpecDirectories(
      std::vector<std::filesystem::path>(in.cdi_spec_dirs.begin(), in.cdi_spec_dirs.end()));
  // A broken file of one vendor must not keep another vendor's devices from containers.
  for (const std::string& error : catalog.errors) spdlog::warn("CDI spec skipped: {}", error);
  if (absl::Status s = InjectCdiDevices(catalog, *requested, spec); !s.ok()) {
    return absl::Status(s.code(), StrCat("CDI device injection failed: ", s.message()));
  }
  notes.push_back(StrCat("CDI devices: ", StrJoin(*requested, ", ")));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GeneratedSpec> GenerateContainerSpec(const SpecInputs& in) {
  if (in.config == nullptr || in.pod_config == nullptr) {
    return absl::InvalidArgumentError("container spec: the container and pod configs are required");
  }
  if (in.container_id.empty()) return absl::InvalidArgumentError("container spec: no container id");
  if (in.rootfs.empty()) return absl::InvalidArgumentError("container spec: no rootfs");
  const runtime::v1::ContainerConfig& config = *in.config;
  const auto& sc = config.linux().security_context();
  const auto& userns =
      in.pod_config->linux().security_context().namespace_options().userns_options();
  GeneratedSpec out;

  std::vector<std::string> args = ProcessArgs(config, in.image);
  if (args.empty()) return absl::InvalidArgumentError("no command specified");

  // CRI-O's own additions sit below default_env, the image and the CRI, so any of them can
  // override them.
  std::vector<std::string> env_defaults;
  if (!in.pod.hostname.empty()) env_defaults.push_back(StrCat("HOSTNAME=", in.pod.hostname));
  if (config.tty()) env_defaults.push_back("TERM=xterm");
  env_defaults.insert(env_defaults.end(), in.default_env.begin(), in.default_env.end());
  std::vector<std::string> env = MergeEnv(in.image.env, config.envs(), env_defaults);

  absl::StatusOr<ResolvedUser> user = ResolveUser(in.rootfs, sc, in.image.user);
  if (!user.ok()) return user.status();
  // Files we create in the rootfs belong to the user as the host sees it.
  ResolvedUser host_user = *user;
  if (!in.pod.user_ns.empty()) {
    host_user.uid = HostId(userns.uids(), user->uid);
    host_user.gid = HostId(userns.gids(), user->gid);
  }

  std::string cwd = !config.working_dir().empty()   ? config.working_dir()
                    : !in.image.working_dir.empty() ? in.image.working_dir
                                                    : "/";
  if (cwd.front() != '/') cwd.insert(0, "/");

  int64_t requested_oom = config.linux().resources().oom_score_adj();
  if (requested_oom < -1000 || requested_oom > 1000) {
    return absl::InvalidArgumentError(StrCat("oom_score_adj ", requested_oom, " is out of range"));
  }
  bool clamped = false;
  int oom = EffectiveOomScoreAdj(static_cast<int>(requested_oom), &clamped);
  if (clamped) {
    out.notes.push_back(StrCat("oom_score_adj clamped from ", requested_oom, " to ", oom,
                               ": the daemon lacks CAP_SYS_RESOURCE"));
  }

  absl::StatusOr<json> namespaces = Namespaces(in);
  if (!namespaces.ok()) return namespaces.status();

  bool readonly_root = sc.readonly_rootfs() || in.read_only;
  json linux_section = {
      {"namespaces", *namespaces},
      {"cgroupsPath", CgroupsPath(in.pod.cgroup_parent, in.container_id, in.systemd_cgroup)},
      {"resources", Resources(in)},
  };
  if (!in.pod.user_ns.empty()) {
    linux_section["uidMappings"] = IdMappings(userns.uids());
    linux_section["gidMappings"] = IdMappings(userns.gids());
  }

  json spec = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", config.tty()},
        {"user",
         {{"uid", user->uid}, {"gid", user->gid}, {"additionalGids", user->additional_gids}}},
        {"args", args},
        {"env", env},
        {"cwd", cwd},
        {"oomScoreAdj", oom}}},
      {"root", {{"path", in.rootfs}, {"readonly", readonly_root}}},
      {"annotations", Annotations(in)},
      {"linux", linux_section},
  };
  // Only a pod with its own UTS namespace may set a hostname; the host's is not ours to change.
  if (!in.pod.uts_ns.empty()) spec["hostname"] = in.pod.hostname;

  if (absl::Status s = spec_internal::AddSecurity(in, spec, out.notes); !s.ok()) return s;
  if (absl::Status s = spec_internal::AddDevices(in, spec); !s.ok()) return s;
  // Mounts, then the working directory, come last: they create directories in the rootfs, which
  // a request refused for another reason should not have done.
  if (absl::Status s = spec_internal::AddMounts(in, host_user, readonly_root, spec); !s.ok()) {
    return s;
  }
  if (absl::Status s = MkdirAllInRoot(in.rootfs, cwd, host_user.uid, host_user.gid); !s.ok()) {
    return absl::Status(s.code(), StrCat("working directory ", cwd, ": ", s.message()));
  }

  // Last: hooks match on the finished spec (its annotations and process.args).
  if (in.hooks != nullptr) {
    std::vector<std::string> matched = AddMatchingHooks(*in.hooks, spec, config.mounts_size() > 0);
    if (!matched.empty()) out.notes.push_back(StrCat("OCI hooks: ", StrJoin(matched, ", ")));
  }
  // CDI after the hooks, as CRI-O: a device's own hooks follow those of hooks_dir.
  if (absl::Status s = AddCdiDevices(in, spec, out.notes); !s.ok()) return s;

  out.json = spec.dump(2);
  return out;
}

nlohmann::json LinuxResources(const runtime::v1::LinuxContainerResources& r, int64_t pids_limit) {
  json resources = json::object();
  json cpu = json::object();
  if (r.cpu_shares() > 0) cpu["shares"] = r.cpu_shares();
  if (r.cpu_quota() != 0) cpu["quota"] = r.cpu_quota();
  if (r.cpu_period() > 0) cpu["period"] = r.cpu_period();
  if (!r.cpuset_cpus().empty()) cpu["cpus"] = r.cpuset_cpus();
  if (!r.cpuset_mems().empty()) cpu["mems"] = r.cpuset_mems();
  if (!cpu.empty()) resources["cpu"] = cpu;

  json memory = json::object();
  if (r.memory_limit_in_bytes() > 0) memory["limit"] = r.memory_limit_in_bytes();
  if (r.memory_swap_limit_in_bytes() > 0) memory["swap"] = r.memory_swap_limit_in_bytes();
  if (!memory.empty()) resources["memory"] = memory;

  if (r.hugepage_limits_size() > 0) {
    json hugepages = json::array();
    for (const auto& h : r.hugepage_limits()) {
      hugepages.push_back({{"pageSize", h.page_size()}, {"limit", h.limit()}});
    }
    resources["hugepageLimits"] = hugepages;
  }
  if (!r.unified().empty()) {
    // Sorted, so the same request always renders the same file.
    std::map<std::string, std::string> unified(r.unified().begin(), r.unified().end());
    resources["unified"] = unified;
  }
  if (pids_limit > 0) resources["pids"] = {{"limit", pids_limit}};
  return resources;
}

}  // namespace crio::oci
