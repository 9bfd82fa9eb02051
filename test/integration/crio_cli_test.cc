// The crio binary's own commands: config, version, flags.
#include "daemon.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

RunResult Crio(std::vector<std::string> args) {
  args.insert(args.begin(), CrioBinary());
  return Run(args);
}

TEST(CrioCliTest, ConfigOutputFedBackInYieldsTheSameConfiguration) {
  TempDir dir;
  dir.Write(
      "crio.conf.d/10-a.conf",
      "[crio]\nroot = \"/srv/a\"\n[crio.runtime.runtimes.crun]\nruntime_root = \"/run/crun\"\n");
  RunResult first = Crio(
      {"--config", dir.Write("crio.conf", "[crio.runtime]\npids_limit = 42\n").string(),
       "--config-dir", (dir.path() / "crio.conf.d").string(), "--log-level", "debug", "config"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("root = \"/srv/a\""));
  EXPECT_THAT(first.output, HasSubstr("pids_limit = 42"));
  EXPECT_THAT(first.output, HasSubstr("log_level = \"debug\""));
  EXPECT_THAT(first.output, HasSubstr("[crio.runtime.runtimes.crun]"));

  std::filesystem::path generated = dir.Write("generated.conf", first.output);
  RunResult second = Crio(
      {"--config", generated.string(), "--config-dir", (dir.path() / "empty").string(), "config"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.output, first.output);
}

TEST(CrioCliTest, ConfigDefaultPrintsTheBuiltInConfiguration) {
  RunResult result = Crio({"config", "--default"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("[crio.api]\n"));
  EXPECT_THAT(result.output, HasSubstr("listen = \"/var/run/crio/crio.sock\""));
  EXPECT_THAT(result.output, HasSubstr("grpc_max_send_msg_size = 83886080"));
  EXPECT_THAT(result.output, HasSubstr("[crio.runtime.runtimes.runc]"));
}

TEST(CrioCliTest, ConfigReportsErrorsWithFileLineAndKey) {
  TempDir dir;
  RunResult result =
      Crio({"--config", dir.Write("crio.conf", "[crio.image]\nimage_volumes = \"copy\"\n").string(),
            "--config-dir", (dir.path() / "none").string(), "config"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              HasSubstr("crio.conf:2: crio.image.image_volumes: invalid value \"copy\""));
}

TEST(CrioCliTest, FlagsOverrideFilesAndBoolFlagsNeedNoValue) {
  TempDir dir;
  RunResult result =
      Crio({"--config",
            dir.Write("crio.conf", "[crio.metrics]\nenable_metrics = false\nmetrics_port = 1\n")
                .string(),
            "--config-dir", (dir.path() / "none").string(), "--enable-metrics", "--metrics-port",
            "9537", "--registry", "quay.io", "--registry", "docker.io", "config"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("enable_metrics = true"));
  EXPECT_THAT(result.output, HasSubstr("metrics_port = 9537"));
  EXPECT_THAT(result.output, HasSubstr("registries = [\"quay.io\", \"docker.io\"]"));

  RunResult bad =
      Crio({"--config-dir", (dir.path() / "none").string(), "--metrics-port", "x", "config"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("--metrics-port"));
}

TEST(CrioCliTest, MissingNamedConfigFileIsAnError) {
  RunResult result = Crio({"--config", "/nonexistent/crio.conf", "config"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              HasSubstr("/nonexistent/crio.conf: configuration file does not exist"));
}

TEST(CrioCliTest, VersionPrintsBuildAndLibraryVersions) {
  for (const char* form : {"version", "--version"}) {
    RunResult result = Crio({form});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    for (const char* field : {"Version:", "GitCommit:", "GitTreeState:", "BuildDate:", "Compiler:",
                              "Platform:", "gRPC:", "Protobuf:", "Abseil:", "glibc:"}) {
      EXPECT_THAT(result.output, HasSubstr(field)) << form;
    }
  }
  RunResult json = Crio({"version", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  auto parsed = nlohmann::json::parse(json.output);
  EXPECT_EQ(parsed["Version"], "0.1.0");
  EXPECT_EQ(parsed["GitCommit"].get<std::string>().size(), 40u);
}

}  // namespace
}  // namespace crio::testing
