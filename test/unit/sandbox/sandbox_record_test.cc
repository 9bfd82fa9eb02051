#include "crio/sandbox/sandbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pod_userns.h"

namespace crio::sandbox {
namespace {

TEST(SandboxRecord, RoundTripsEveryField) {
  Sandbox pod;
  pod.id = "0123456789abcdef";
  pod.name = "k8s_web_default_uid1_2";
  pod.config.mutable_metadata()->set_name("web");
  pod.config.mutable_metadata()->set_namespace_("default");
  pod.config.mutable_metadata()->set_uid("uid1");
  pod.config.mutable_metadata()->set_attempt(2);
  (*pod.config.mutable_labels())["app"] = "web";
  (*pod.config.mutable_annotations())["note"] = "x";
  pod.config.mutable_dns_config()->add_servers("10.96.0.10");
  pod.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::CONTAINER);
  pod.runtime_handler = "runc";
  pod.created_at = 1700000000123456789;
  pod.state = SandboxState::kNotReady;
  pod.dir = "/run/x";
  pod.hostname = "web";
  pod.shm_path = "/run/x/shm";
  pod.shm_mounted = true;
  pod.cgroup_parent = "/kubepods/pod1";
  pod.net_ns = "/var/run/netns/a";
  pod.ipc_ns = "/var/run/ipcns/a";
  pod.uts_ns = "/var/run/utsns/a";
  pod.network_attached = true;
  pod.network_name = "podnet";
  pod.ips = {"10.88.0.2", "fd00::2"};
  pod.selinux = {"system_u:system_r:container_t:s0:c1,c2",
                 "system_u:object_r:container_file_t:s0:c1,c2"};
  pod.infra = InfraContainer{
      .id = "0123456789abcdef", .pid = 4242, .bundle = "/run/x/infra", .image_id = "img"};

  absl::StatusOr<Sandbox> back = ParseSandbox(SerializeSandbox(pod));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, pod.id);
  EXPECT_EQ(back->name, pod.name);
  EXPECT_EQ(back->config.SerializeAsString(), pod.config.SerializeAsString());
  EXPECT_EQ(back->runtime_handler, "runc");
  EXPECT_EQ(back->created_at, pod.created_at);
  EXPECT_EQ(back->state, SandboxState::kNotReady);
  EXPECT_EQ(back->shm_path, pod.shm_path);
  EXPECT_TRUE(back->shm_mounted);
  EXPECT_EQ(back->cgroup_parent, pod.cgroup_parent);
  EXPECT_EQ(back->net_ns, pod.net_ns);
  EXPECT_TRUE(back->user_ns.empty());
  EXPECT_TRUE(back->network_attached);
  EXPECT_EQ(back->ips, pod.ips);
  EXPECT_EQ(back->selinux, pod.selinux);
  ASSERT_TRUE(back->infra.has_value());
  EXPECT_EQ(back->infra->pid, 4242);
  EXPECT_EQ(back->infra->bundle, "/run/x/infra");
  EXPECT_FALSE(back->host_network());
  EXPECT_FALSE(back->host_pid());
}

TEST(SandboxRecord, DamagedStateIsDataLoss) {
  EXPECT_EQ(ParseSandbox("{").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseSandbox("{}").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseSandbox(R"({"id": 5})").status().code(), absl::StatusCode::kDataLoss);
}

TEST(SandboxRecord, ReservedNameJoinsTheMetadata) {
  runtime::v1::PodSandboxMetadata metadata;
  metadata.set_name("web");
  metadata.set_namespace_("prod");
  metadata.set_uid("1234-5678");
  metadata.set_attempt(3);
  EXPECT_EQ(ReservedName(metadata), "k8s_web_prod_1234-5678_3");
}

TEST(SandboxRecord, HostNamespacesFromTheConfig) {
  Sandbox pod;
  auto* options =
      pod.config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  options->set_network(runtime::v1::NODE);
  options->set_ipc(runtime::v1::NODE);
  options->set_pid(runtime::v1::NODE);
  EXPECT_TRUE(pod.host_network());
  EXPECT_TRUE(pod.host_ipc());
  EXPECT_TRUE(pod.host_pid());
}

TEST(SandboxRecord, UsernsMountFromTheRootMapping) {
  Sandbox pod;
  EXPECT_FALSE(UsernsMountOf(pod).has_value());  // the host's user namespace
  pod.user_ns = "/var/run/userns/p";
  testing::SetPodUserns(pod.config, 300000, 400000);
  std::optional<storage::UsernsMount> mount = UsernsMountOf(pod);
  ASSERT_TRUE(mount.has_value());
  EXPECT_EQ(mount->ns, "/var/run/userns/p");
  EXPECT_EQ(mount->root_uid, 300000u);
  EXPECT_EQ(mount->root_gid, 400000u);
  // No mapping of id 0: nothing to mount for.
  pod.config.mutable_linux()
      ->mutable_security_context()
      ->mutable_namespace_options()
      ->mutable_userns_options()
      ->mutable_uids(0)
      ->set_container_id(1);
  EXPECT_FALSE(UsernsMountOf(pod).has_value());
}

}  // namespace
}  // namespace crio::sandbox
