#include <gtest/gtest.h>

#include "crio/common/host.h"
#include "crio/config/config.h"
#include "crio/config/loader.h"
#include "crio/config/options.h"

namespace crio::config {
namespace {

TEST(DefaultsTest, MatchCrioDocumentedDefaults) {
  Config config = Defaults();
  EXPECT_EQ(config.crio.root, "/var/lib/containers/storage");
  EXPECT_EQ(config.crio.runroot, "/var/run/containers/storage");
  EXPECT_EQ(config.crio.storage_driver, "overlay");
  EXPECT_EQ(config.crio.log_dir, "/var/log/crio/pods");
  EXPECT_EQ(config.crio.clean_shutdown_file, "/var/lib/crio/clean.shutdown");
  EXPECT_EQ(config.api.listen, "/var/run/crio/crio.sock");
  EXPECT_EQ(config.api.stream_address, "127.0.0.1");
  EXPECT_EQ(config.api.stream_port, "0");
  EXPECT_EQ(config.api.grpc_max_send_msg_size, 80 * 1024 * 1024);
  EXPECT_EQ(config.api.grpc_max_recv_msg_size, 80 * 1024 * 1024);
  EXPECT_EQ(config.runtime.log_level, "info");
  EXPECT_TRUE(config.runtime.drop_infra_ctr);
  EXPECT_EQ(config.runtime.namespaces_dir, "/var/run");
  EXPECT_EQ(config.runtime.container_exits_dir, "/var/run/crio/exits");
  EXPECT_EQ(config.runtime.pids_limit, -1);
  EXPECT_EQ(config.runtime.ctr_stop_timeout, 30);
  EXPECT_EQ(config.runtime.default_capabilities,
            (std::vector<std::string>{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID",
                                      "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"}));
  EXPECT_EQ(config.image.pause_image, "registry.k8s.io/pause:3.10.1");
  EXPECT_EQ(config.image.pause_command, "/pause");
  EXPECT_EQ(config.image.image_volumes, "mkdir");
  EXPECT_EQ(config.image.pull_progress_timeout, "0s");
  EXPECT_EQ(config.network.network_dir, "/etc/cni/net.d/");
  EXPECT_EQ(config.network.plugin_dirs, std::vector<std::string>{"/opt/cni/bin/"});
  EXPECT_FALSE(config.metrics.enable_metrics);
  EXPECT_EQ(config.metrics.metrics_port, 9090);
  EXPECT_TRUE(config.nri.enable_nri);
}

TEST(DefaultsTest, CgroupManagerFollowsTheHostInit) {
  EXPECT_EQ(Defaults().runtime.cgroup_manager, SystemdIsInit() ? "systemd" : "cgroupfs");
}

TEST(DefaultsTest, DefaultRuntimeHasAHandler) {
  Config config = Defaults();
  EXPECT_EQ(config.runtime.default_runtime, "runc");
  const RuntimeHandler* handler = config.DefaultHandler();
  ASSERT_NE(handler, nullptr);
  EXPECT_EQ(handler->runtime_type, "oci");
  EXPECT_EQ(handler->runtime_root, "/run/runc");
  EXPECT_EQ(handler->container_create_timeout, 240);
  EXPECT_TRUE(Validate(config).ok());
}

TEST(DefaultsTest, EveryOptionDefaultHasItsFieldsType) {
  Config config;
  for (const ConfigOption& spec : ConfigOptions()) {
    EXPECT_EQ(spec.field(config).index(), spec.default_value.index()) << spec.DottedName();
    EXPECT_TRUE(CheckValue(spec, spec.default_value).ok()) << spec.DottedName();
  }
  RuntimeHandler handler;
  for (const HandlerOption& spec : HandlerOptions()) {
    EXPECT_EQ(spec.field(handler).index(), spec.default_value.index()) << spec.key;
  }
}

TEST(DefaultsTest, OptionNamesAndFlagsAreUnique) {
  std::set<std::string> names;
  std::set<std::string_view> flags;
  for (const ConfigOption& spec : ConfigOptions()) {
    EXPECT_TRUE(names.insert(spec.DottedName()).second) << spec.DottedName();
    if (!spec.flag.empty()) EXPECT_TRUE(flags.insert(spec.flag).second) << spec.flag;
    EXPECT_EQ(FindOption(spec.DottedName()), &spec);
  }
  EXPECT_EQ(FindOption("crio.api.nope"), nullptr);
  EXPECT_EQ(FindOption("crio.apilisten"), nullptr);
}

}  // namespace
}  // namespace crio::config
