#include "crio/container/container.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crio::container {
namespace {

TEST(ContainerRecord, RoundTripsWhatARestartNeeds) {
  Container c;
  c.id = "feedbeef";
  c.name = "k8s_app_web_default_uid1_0";
  c.pod_id = "0123";
  c.config.mutable_metadata()->set_name("app");
  c.config.mutable_linux()->mutable_security_context()->mutable_selinux_options()->set_level(
      "s0:c5,c6");
  c.image_id = "img";
  c.image_ref = "registry/app@sha256:abc";
  c.runtime_handler = "runc";
  c.created_at = 1;
  c.started_at = 2;
  c.finished_at = 3;
  c.state = ContainerState::kExited;
  c.exit_code = 137;
  c.reason = "OOMKilled";
  c.pid = 4242;
  c.dir = "/run/c/feedbeef";
  c.log_path = "/var/log/pods/x/app/0.log";
  c.stop_signal = "SIGQUIT";
  c.notes = {"oom_score_adj raised"};
  c.image_volume_layers = {"layer1"};
  c.selinux = {"system_u:system_r:container_t:s0:c5,c6",
               "system_u:object_r:container_file_t:s0:c5,c6"};

  absl::StatusOr<Container> back = ParseContainer(SerializeContainer(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->name, c.name);
  EXPECT_EQ(back->config.SerializeAsString(), c.config.SerializeAsString());
  EXPECT_EQ(back->state, ContainerState::kExited);
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->reason, "OOMKilled");
  EXPECT_EQ(back->finished_at, 3);
  EXPECT_EQ(back->stop_signal, "SIGQUIT");
  EXPECT_EQ(back->image_volume_layers, c.image_volume_layers);
  EXPECT_EQ(back->selinux, c.selinux);

  // An unlabeled container writes no labels and reads back unlabeled.
  c.selinux = {};
  std::string text = SerializeContainer(c);
  EXPECT_EQ(text.find("mount_label"), std::string::npos);
  EXPECT_TRUE(ParseContainer(text)->selinux.empty());
}

TEST(ContainerRecord, DamagedStateIsDataLoss) {
  EXPECT_EQ(ParseContainer("{").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseContainer("{}").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace crio::container
