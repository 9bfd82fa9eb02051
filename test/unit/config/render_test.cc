#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "crio/config/loader.h"
#include "crio/config/options.h"
#include "crio/config/render.h"

namespace crio::config {
namespace {

using ::testing::HasSubstr;

Config RoundTrip(const Config& config) {
  Config parsed = Defaults();
  parsed.runtime.runtimes.clear();  // the document must bring every handler itself
  std::vector<Diagnostic> warnings;
  absl::Status status = MergeToml(RenderToml(config), "rendered", parsed, warnings);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(warnings.empty());
  return parsed;
}

TEST(RenderTomlTest, DefaultsRoundTrip) {
  Config config = Defaults();
  EXPECT_EQ(RoundTrip(config), config);
}

TEST(RenderTomlTest, ChangedValuesRoundTrip) {
  Config config = Defaults();
  config.crio.root = "/srv/with \"quotes\" and \\ backslash";
  config.crio.storage_option = {"overlay.mountopt=nodev,metacopy=on"};
  config.api.grpc_max_send_msg_size = 1;
  config.runtime.drop_infra_ctr = false;
  config.runtime.default_capabilities = {};
  config.runtime.log_filter = "^Request";
  RuntimeHandler crun = DefaultRuntimeHandler();
  crun.runtime_root = "/run/crun";
  crun.monitor_env = {"A=1", "B=2"};
  config.runtime.runtimes["crun"] = crun;
  EXPECT_EQ(RoundTrip(config), config);
}

TEST(RenderTomlTest, EveryOptionHasAOneLineComment) {
  std::string text = RenderToml(Defaults());
  std::istringstream lines(text);
  std::string previous, line;
  int options = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != '#' && line[0] != '[') {
      ++options;
      EXPECT_EQ(previous.rfind("# ", 0), 0u) << "no comment above: " << line;
    }
    previous = line;
  }
  EXPECT_EQ(options, static_cast<int>(ConfigOptions().size() + HandlerOptions().size()));
  EXPECT_THAT(text, HasSubstr("root = \"/var/lib/containers/storage\"\n"));
  EXPECT_THAT(text, HasSubstr("(not supported yet)\nimagestore ="));
}

TEST(RenderJsonTest, NestsByTable) {
  auto json = nlohmann::json::parse(RenderJson(Defaults()));
  EXPECT_EQ(json["crio"]["api"]["listen"], "/var/run/crio/crio.sock");
  EXPECT_EQ(json["crio"]["root"], "/var/lib/containers/storage");
  EXPECT_EQ(json["crio"]["runtime"]["runtimes"]["runc"]["runtime_root"], "/run/runc");
}

TEST(ReferenceDocTest, CommittedDocMatchesTheOptionTable) {
  std::ifstream file(std::string(CRIO_SOURCE_DIR) + "/docs/crio.conf.5.md");
  ASSERT_TRUE(file.good()) << "docs/crio.conf.5.md is missing";
  std::stringstream content;
  content << file.rdbuf();
  EXPECT_EQ(content.str(), RenderReference())
      << "docs/crio.conf.5.md is stale: regenerate it with `build/src/crio config --reference > "
         "docs/crio.conf.5.md`";
}

TEST(ReferenceDocTest, ListsEveryOption) {
  std::string doc = RenderReference();
  for (const ConfigOption& spec : ConfigOptions()) {
    EXPECT_THAT(doc, HasSubstr("| `" + std::string(spec.key) + "` |"));
  }
}

}  // namespace
}  // namespace crio::config

namespace crio::config {
namespace {

TEST(SampleConfigTest, InstalledSampleParsesCleanlyToTheDefaults) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  ASSERT_TRUE(
      MergeFile(std::string(CRIO_SOURCE_DIR) + "/contrib/config/crio.conf", config, warnings).ok());
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(config, Defaults());
}

}  // namespace
}  // namespace crio::config
