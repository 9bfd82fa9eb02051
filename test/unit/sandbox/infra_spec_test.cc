#include "crio/sandbox/infra_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace crio::sandbox {
namespace {

Sandbox PodWithOwnNamespaces() {
  Sandbox pod;
  pod.id = "abc123";
  pod.name = "k8s_web_default_uid1_0";
  pod.dir = "/run/pods/abc123";
  pod.hostname = "web";
  pod.shm_path = "/run/pods/abc123/shm";
  pod.net_ns = "/var/run/netns/abc123";
  pod.ipc_ns = "/var/run/ipcns/abc123";
  pod.uts_ns = "/var/run/utsns/abc123";
  pod.config.mutable_metadata()->set_name("web");
  pod.config.mutable_metadata()->set_namespace_("default");
  return pod;
}

nlohmann::json Render(const Sandbox& pod, InfraSpecInputs inputs = {}) {
  if (inputs.rootfs.empty()) inputs.rootfs = "/rootfs";
  if (inputs.pause_command.empty()) inputs.pause_command = "/pause";
  return nlohmann::json::parse(RenderInfraSpec(pod, inputs));
}

TEST(InfraSpec, JoinsThePinnedNamespacesAndOwnsItsPidNamespace) {
  nlohmann::json spec = Render(PodWithOwnNamespaces());
  std::map<std::string, std::string> namespaces;
  for (const auto& ns : spec["linux"]["namespaces"]) {
    namespaces[ns["type"]] = ns.value("path", "");
  }
  EXPECT_EQ(namespaces["network"], "/var/run/netns/abc123");
  EXPECT_EQ(namespaces["ipc"], "/var/run/ipcns/abc123");
  EXPECT_EQ(namespaces["uts"], "/var/run/utsns/abc123");
  EXPECT_EQ(namespaces["pid"], "");
  EXPECT_EQ(namespaces["mount"], "");
  EXPECT_EQ(namespaces.count("user"), 0u);
  EXPECT_EQ(spec["hostname"], "web");
}

TEST(InfraSpec, CarriesThePodsSelinuxLabels) {
  Sandbox pod = PodWithOwnNamespaces();
  nlohmann::json unlabeled = Render(pod);
  EXPECT_FALSE(unlabeled["process"].contains("selinuxLabel"));
  EXPECT_FALSE(unlabeled["linux"].contains("mountLabel"));
  pod.selinux = {"system_u:system_r:container_t:s0:c1,c2",
                 "system_u:object_r:container_file_t:s0:c1,c2"};
  nlohmann::json labeled = Render(pod);
  EXPECT_EQ(labeled["process"]["selinuxLabel"], "system_u:system_r:container_t:s0:c1,c2");
  EXPECT_EQ(labeled["linux"]["mountLabel"], "system_u:object_r:container_file_t:s0:c1,c2");
  pod.selinux.process.clear();  // a privileged pod
  EXPECT_FALSE(Render(pod)["process"].contains("selinuxLabel"));
}

TEST(InfraSpec, HostNetworkPodHasNoNetworkOrUtsEntryAndNoHostname) {
  Sandbox pod = PodWithOwnNamespaces();
  pod.net_ns.clear();
  pod.uts_ns.clear();
  nlohmann::json spec = Render(pod);
  for (const auto& ns : spec["linux"]["namespaces"]) {
    EXPECT_NE(ns["type"], "network");
    EXPECT_NE(ns["type"], "uts");
  }
  EXPECT_FALSE(spec.contains("hostname"));
}

TEST(InfraSpec, RunsThePauseCommandWithNothingExtra) {
  InfraSpecInputs inputs{.rootfs = "/storage/merged",
                         .pause_command = "/bin/pause",
                         .cgroups_path = "/kubepods/pod1/crio-abc123",
                         .cpuset = "0-1",
                         .oom_score_adj = -500};
  nlohmann::json spec = Render(PodWithOwnNamespaces(), inputs);
  EXPECT_EQ(spec["process"]["args"], nlohmann::json::array({"/bin/pause"}));
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
  EXPECT_TRUE(spec["process"]["capabilities"]["bounding"].empty());
  EXPECT_EQ(spec["process"]["oomScoreAdj"], -500);
  EXPECT_EQ(spec["root"]["path"], "/storage/merged");
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["linux"]["cgroupsPath"], "/kubepods/pod1/crio-abc123");
  EXPECT_EQ(spec["linux"]["resources"]["cpu"]["cpus"], "0-1");
  EXPECT_FALSE(spec["linux"]["maskedPaths"].empty());
}

TEST(InfraSpec, MountsThePodFilesAndShm) {
  nlohmann::json spec = Render(PodWithOwnNamespaces());
  std::map<std::string, std::string> sources;
  for (const auto& mount : spec["mounts"]) sources[mount["destination"]] = mount["source"];
  EXPECT_EQ(sources["/dev/shm"], "/run/pods/abc123/shm");
  EXPECT_EQ(sources["/etc/resolv.conf"], "/run/pods/abc123/resolv.conf");
  EXPECT_EQ(sources["/etc/hostname"], "/run/pods/abc123/hostname");
  EXPECT_EQ(sources["/proc"], "proc");
}

TEST(InfraSpec, RunsAsThePodsUserWhenGiven) {
  Sandbox pod = PodWithOwnNamespaces();
  pod.config.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(65535);
  pod.config.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(65534);
  nlohmann::json spec = Render(pod);
  EXPECT_EQ(spec["process"]["user"]["uid"], 65535);
  EXPECT_EQ(spec["process"]["user"]["gid"], 65534);
}

TEST(CgroupsPath, CgroupfsAndSystemdForms) {
  EXPECT_EQ(ContainerCgroupsPath("/kubepods/besteffort/pod1", "abc", false),
            "/kubepods/besteffort/pod1/crio-abc");
  EXPECT_EQ(ContainerCgroupsPath("kubepods/pod1/", "abc", false), "/kubepods/pod1/crio-abc");
  EXPECT_EQ(ContainerCgroupsPath("", "abc", false), "/crio/crio-abc");
  EXPECT_EQ(ContainerCgroupsPath("/", "abc", false), "/crio-abc");
  EXPECT_EQ(ContainerCgroupsPath("kubepods-besteffort-pod1.slice", "abc", true),
            "kubepods-besteffort-pod1.slice:crio:abc");
  EXPECT_EQ(ContainerCgroupsPath("", "abc", true), "system.slice:crio:abc");
}

}  // namespace
}  // namespace crio::sandbox
