#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/build_info.h"
#include "crio/oci/runtime.h"
#include "crio/oci/runtime_handler.h"

namespace crio::oci {
namespace {

using ::testing::HasSubstr;

TEST(RuntimeSettingsTest, DefaultsFollowCrio) {
  config::Config config = config::Defaults();
  absl::StatusOr<RuntimeSettings> settings = RuntimeSettings::FromConfig(config, "runc");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->runtime_binary.filename(), "runc");
  EXPECT_EQ(settings->runtime_root, "/run/runc");
  EXPECT_EQ(settings->monitor_binary, std::string(build_info::kLibexecDir) + "/conmon");
  EXPECT_EQ(settings->exits_dir, "/var/run/crio/exits");
  EXPECT_EQ(settings->attach_socket_dir, "/var/run/crio");
  EXPECT_EQ(settings->create_timeout, absl::Seconds(240));
}

TEST(RuntimeSettingsTest, HandlerKeysWin) {
  config::Config config = config::Defaults();
  config.runtime.conmon = "/opt/old-conmon";
  auto& handler = config.runtime.runtimes["runc"];
  handler.runtime_path = "/usr/sbin/runc";
  handler.runtime_root = "/run/elsewhere";
  handler.container_create_timeout = 5;  // below CRI-O's floor of 30 s
  absl::StatusOr<RuntimeSettings> settings = RuntimeSettings::FromConfig(config, "runc");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->runtime_root, "/run/elsewhere");
  EXPECT_EQ(settings->monitor_binary, "/opt/old-conmon");  // the deprecated key still counts
  EXPECT_EQ(settings->create_timeout, absl::Seconds(30));
  handler.monitor_path = "/usr/bin/conmon";
  EXPECT_EQ(RuntimeSettings::FromConfig(config, "runc")->monitor_binary, "/usr/bin/conmon");
}

TEST(RuntimeSettingsTest, UnknownHandlerAndMissingBinaryAreErrors) {
  config::Config config = config::Defaults();
  EXPECT_TRUE(absl::IsNotFound(RuntimeSettings::FromConfig(config, "kata").status()));
  config.runtime.runtimes["runc"].runtime_path = "/nonexistent/runc";
  EXPECT_THAT(std::string(RuntimeSettings::FromConfig(config, "runc").status().message()),
              HasSubstr("/nonexistent/runc is not an executable file"));
}

TEST(CheckHandlersTest, MonitorCgroupFollowsTheCgroupManager) {
  config::Config config = config::Defaults();
  config.runtime.cgroup_manager = "cgroupfs";
  config.runtime.runtimes["runc"].monitor_cgroup = "pod";
  EXPECT_TRUE(CheckHandlers(config).ok());
  EXPECT_EQ(RuntimeSettings::FromConfig(config, "runc")->monitor_cgroup, "pod");
  config.runtime.runtimes["runc"].monitor_cgroup = "system.slice";
  EXPECT_THAT(std::string(CheckHandlers(config).message()), HasSubstr("must be \"pod\" or empty"));
  config.runtime.runtimes["runc"].monitor_cgroup = "";
  config.runtime.conmon_cgroup = "pod";  // the deprecated key still counts
  EXPECT_EQ(RuntimeSettings::FromConfig(config, "runc")->monitor_cgroup, "pod");
}

TEST(RuntimeSettingsTest, DeprecatedConmonEnvServesHandlersWithoutTheirOwn) {
  config::Config config = config::Defaults();
  config.runtime.conmon_env = {"PATH=/opt/bin", "LEGACY=1"};
  // runc's default table has its own monitor_env, which wins.
  EXPECT_EQ(RuntimeSettings::FromConfig(config, "runc")->monitor_env,
            config.runtime.runtimes["runc"].monitor_env);
  config.runtime.runtimes["runc"].monitor_env.clear();
  EXPECT_EQ(RuntimeSettings::FromConfig(config, "runc")->monitor_env,
            (std::vector<std::string>{"PATH=/opt/bin", "LEGACY=1"}));
}

TEST(CheckHandlersTest, RefusesRuntimeTypesWeCannotDrive) {
  config::Config config = config::Defaults();
  EXPECT_TRUE(CheckHandlers(config).ok());
  config.runtime.runtimes["kata"] = config::DefaultRuntimeHandler();
  config.runtime.runtimes["kata"].runtime_type = "vm";
  absl::Status status = CheckHandlers(config);
  EXPECT_TRUE(absl::IsUnimplemented(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("runtime_type \"vm\" is not supported yet"));
}

}  // namespace
}  // namespace crio::oci
