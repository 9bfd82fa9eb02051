#include <gtest/gtest.h>

#include "crio/config/loader.h"

namespace crio::config {
namespace {

TEST(DiffTest, ReportsEachChangedOptionWithItsEffect) {
  Config before = Defaults();
  Config after = before;
  after.runtime.log_level = "debug";                // live and supported
  after.api.listen = "/tmp/elsewhere.sock";         // supported, restart only
  after.runtime.rdt_config_file = "/etc/rdt.yaml";  // live, not supported here yet
  std::vector<Change> changes = Diff(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].option, "crio.api.listen");
  EXPECT_EQ(changes[0].effect, Change::Effect::kNeedsRestart);
  EXPECT_EQ(changes[1].option, "crio.runtime.log_level");
  EXPECT_EQ(changes[1].old_value, "\"info\"");
  EXPECT_EQ(changes[1].new_value, "\"debug\"");
  EXPECT_EQ(changes[1].effect, Change::Effect::kApplied);
  EXPECT_EQ(changes[2].option, "crio.runtime.rdt_config_file");
  EXPECT_EQ(changes[2].effect, Change::Effect::kNotSupported);
}

TEST(DiffTest, ReportsHandlerChanges) {
  Config before = Defaults();
  Config after = before;
  after.runtime.runtimes["runc"].runtime_root = "/run/other";
  after.runtime.runtimes["crun"] = DefaultRuntimeHandler();
  std::vector<Change> changes = Diff(before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].option, "crio.runtime.runtimes.crun");
  EXPECT_EQ(changes[1].option, "crio.runtime.runtimes.runc.runtime_root");
}

TEST(ApplyReloadTest, AppliesOnlyLiveSupportedChanges) {
  Config running = Defaults();
  Config reloaded = running;
  reloaded.runtime.log_level = "trace";
  reloaded.runtime.log_filter = "pull";
  reloaded.api.listen = "/tmp/elsewhere.sock";
  std::vector<Change> changes;
  Config next = ApplyReload(running, reloaded, changes);
  EXPECT_EQ(changes.size(), 3u);
  EXPECT_EQ(next.runtime.log_level, "trace");
  EXPECT_EQ(next.runtime.log_filter, "pull");
  EXPECT_EQ(next.api.listen, running.api.listen);
}

}  // namespace
}  // namespace crio::config
