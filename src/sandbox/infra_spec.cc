#include "crio/sandbox/infra_spec.h"

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"
#include "crio/oci/spec.h"

namespace crio::sandbox {
namespace {

using nlohmann::json;

json BindMount(const std::string& destination, const std::string& source, bool readonly) {
  json options = {"rbind", "rprivate", "nosuid", "nodev", "noexec"};
  if (readonly) options.push_back("ro");
  return {{"destination", destination}, {"type", "bind"}, {"source", source}, {"options", options}};
}

}  // namespace

std::string ContainerCgroupsPath(const std::string& cgroup_parent, const std::string& id,
                                 bool systemd) {
  if (systemd) {
    return StrCat(cgroup_parent.empty() ? "system.slice" : cgroup_parent, ":crio:", id);
  }
  std::string parent = cgroup_parent.empty() ? "/crio" : cgroup_parent;
  if (parent.front() != '/') parent.insert(0, "/");
  if (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  return StrCat(parent == "/" ? "" : parent, "/crio-", id);
}

std::string RenderInfraSpec(const Sandbox& sandbox, const InfraSpecInputs& inputs) {
  const auto& security = sandbox.config.linux().security_context();
  int64_t uid = security.has_run_as_user() ? security.run_as_user().value() : 0;
  int64_t gid = security.has_run_as_group() ? security.run_as_group().value() : 0;

  json mounts = json::array({
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
  });
  if (!sandbox.shm_path.empty()) mounts.push_back(BindMount("/dev/shm", sandbox.shm_path, false));
  mounts.push_back(BindMount("/etc/resolv.conf", sandbox.resolv_conf_path(), true));
  mounts.push_back(BindMount("/etc/hostname", sandbox.hostname_path(), true));

  json namespaces = json::array({{{"type", "pid"}}, {{"type", "mount"}}});
  auto join = [&](const char* type, const std::filesystem::path& path) {
    if (!path.empty()) namespaces.push_back({{"type", type}, {"path", path.string()}});
  };
  join("network", sandbox.net_ns);
  join("ipc", sandbox.ipc_ns);
  join("uts", sandbox.uts_ns);
  join("user", sandbox.user_ns);

  json linux_section = {
      {"namespaces", namespaces},
      {"cgroupsPath", inputs.cgroups_path},
      {"resources", {{"cpu", {{"shares", 2}}}}},
      {"maskedPaths", oci::DefaultMaskedPaths()},
      {"readonlyPaths", oci::DefaultReadonlyPaths()},
  };
  if (!inputs.cpuset.empty()) linux_section["resources"]["cpu"]["cpus"] = inputs.cpuset;

  json spec = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", uid}, {"gid", gid}}},
        {"args", {inputs.pause_command}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", json::array()}, {"effective", json::array()}, {"permitted", json::array()}}},
        {"noNewPrivileges", true},
        {"oomScoreAdj", inputs.oom_score_adj}}},
      {"root", {{"path", inputs.rootfs}, {"readonly", true}}},
      {"mounts", mounts},
      {"annotations",
       {{"io.kubernetes.cri-o.ContainerType", "sandbox"},
        {"io.kubernetes.cri-o.SandboxID", sandbox.id},
        {"io.kubernetes.cri-o.ContainerName", StrCat("k8s_POD_", sandbox.name.substr(4))},
        {"io.kubernetes.pod.name", sandbox.config.metadata().name()},
        {"io.kubernetes.pod.namespace", sandbox.config.metadata().namespace_()},
        {"io.kubernetes.pod.uid", sandbox.config.metadata().uid()}}},
      {"linux", linux_section},
  };
  // A pod with its own UTS namespace gets its hostname set by the runtime as well.
  if (!sandbox.uts_ns.empty()) spec["hostname"] = sandbox.hostname;
  if (!sandbox.selinux.process.empty()) spec["process"]["selinuxLabel"] = sandbox.selinux.process;
  if (!sandbox.selinux.mount.empty()) spec["linux"]["mountLabel"] = sandbox.selinux.mount;
  return spec.dump(2);
}

}  // namespace crio::sandbox
