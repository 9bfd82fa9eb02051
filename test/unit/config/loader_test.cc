#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "crio/config/loader.h"

namespace crio::config {
namespace {

using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "crio-config-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& content) const {
    std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

absl::Status Merge(std::string_view toml, Config& config, std::vector<Diagnostic>& warnings) {
  return MergeToml(toml, "test.conf", config, warnings);
}

TEST(MergeTomlTest, SetsEachTypeOfValue) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  ASSERT_TRUE(Merge(R"(
[crio]
root = "/srv/storage"
storage_option = ["overlay.mountopt=nodev"]
[crio.api]
grpc_max_send_msg_size = 1024
stream_enable_tls = true
[crio.runtime]
log_level = "debug"
)",
                    config, warnings)
                  .ok());
  EXPECT_EQ(config.crio.root, "/srv/storage");
  EXPECT_EQ(config.crio.storage_option, std::vector<std::string>{"overlay.mountopt=nodev"});
  EXPECT_EQ(config.api.grpc_max_send_msg_size, 1024);
  EXPECT_TRUE(config.api.stream_enable_tls);
  EXPECT_EQ(config.runtime.log_level, "debug");
  EXPECT_TRUE(warnings.empty());
  // Keys the document does not set keep their value.
  EXPECT_EQ(config.crio.runroot, "/var/run/containers/storage");
}

TEST(MergeTomlTest, DottedKeysAndInlineTablesAreTheSameTables) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  ASSERT_TRUE(Merge("crio.api.listen = \"/tmp/a.sock\"\ncrio.runtime = { pids_limit = 5 }\n",
                    config, warnings)
                  .ok());
  EXPECT_EQ(config.api.listen, "/tmp/a.sock");
  EXPECT_EQ(config.runtime.pids_limit, 5);
}

TEST(MergeTomlTest, UnknownKeyIsAWarningWithFileLineAndKey) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  ASSERT_TRUE(
      Merge("[crio.api]\nlisten = \"/tmp/x.sock\"\nlistn = \"/tmp/y.sock\"\n", config, warnings)
          .ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].source, "test.conf");
  EXPECT_EQ(warnings[0].line, 3);
  EXPECT_EQ(warnings[0].key, "crio.api.listn");
  EXPECT_THAT(warnings[0].ToString(), HasSubstr("test.conf:3: crio.api.listn: unknown option"));
  EXPECT_EQ(config.api.listen, "/tmp/x.sock");
}

TEST(MergeTomlTest, UnknownTopLevelTableAndUnsupportedCrioTablesWarn) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  ASSERT_TRUE(
      Merge("[other]\na = 1\n[crio.runtime.workloads.mgmt]\nactivation_annotation = \"x\"\n",
            config, warnings)
          .ok());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].key, "crio.runtime.workloads");
  EXPECT_THAT(warnings[0].message, HasSubstr("not supported yet"));
  EXPECT_EQ(warnings[1].key, "other");
}

TEST(MergeTomlTest, WrongTypeIsAnErrorWithFileLineAndKey) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  absl::Status status = Merge("[crio.api]\n\ngrpc_max_send_msg_size = \"big\"\n", config, warnings);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("test.conf:3: crio.api.grpc_max_send_msg_size"));
  EXPECT_THAT(status.message(), HasSubstr("expected a value of type integer, got string"));
}

TEST(MergeTomlTest, ArrayOfNonStringsIsAnError) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  absl::Status status = Merge("[crio.runtime]\ndefault_capabilities = [1, 2]\n", config, warnings);
  EXPECT_THAT(status.message(), HasSubstr("test.conf:2: crio.runtime.default_capabilities"));
  EXPECT_THAT(status.message(), HasSubstr("array of strings"));
}

TEST(MergeTomlTest, UnknownEnumValueIsAnError) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  absl::Status status = Merge("[crio.runtime]\ncgroup_manager = \"cgroupv3\"\n", config, warnings);
  EXPECT_THAT(status.message(), HasSubstr("test.conf:2: crio.runtime.cgroup_manager"));
  EXPECT_THAT(status.message(), HasSubstr("expected one of: systemd, cgroupfs"));
  status = Merge("[crio.runtime]\nlog_level = \"loud\"\n", config, warnings);
  EXPECT_THAT(status.message(), HasSubstr("crio.runtime.log_level: invalid value \"loud\""));
}

TEST(MergeTomlTest, ValueChecksNameTheProblem) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  EXPECT_THAT(Merge("[crio.api]\nstream_port = \"70000\"\n", config, warnings).message(),
              HasSubstr("invalid port"));
  EXPECT_THAT(
      Merge("[crio.image]\npull_progress_timeout = \"10 minutes\"\n", config, warnings).message(),
      HasSubstr("invalid duration"));
  EXPECT_THAT(
      Merge("[crio.runtime]\ndefault_ulimits = [\"nofile=1024\"]\n", config, warnings).message(),
      HasSubstr("name=soft:hard"));
  EXPECT_THAT(
      Merge("[crio.runtime]\ndefault_sysctls = [\"net.ipv4.ip_forward\"]\n", config, warnings)
          .message(),
      HasSubstr("key=value"));
  EXPECT_THAT(Merge("[crio.runtime]\nlog_filter = \"([a\"\n", config, warnings).message(),
              HasSubstr("invalid regular expression"));
  EXPECT_THAT(Merge("[crio.api]\ngrpc_max_recv_msg_size = 0\n", config, warnings).message(),
              HasSubstr("greater than 0"));
  EXPECT_THAT(Merge("[crio.runtime]\nuid_mappings = \"0:100000\"\n", config, warnings).message(),
              HasSubstr("containerID:hostID:size"));
  EXPECT_TRUE(Merge("[crio.runtime]\ndefault_ulimits = [\"nofile=1024:2048\"]\nuid_mappings = "
                    "\"0:100000:65536\"\n",
                    config, warnings)
                  .ok());
}

TEST(MergeTomlTest, SyntaxErrorNamesFileAndLine) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  absl::Status status = Merge("[crio.api]\nlisten = \n", config, warnings);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("test.conf:2: invalid TOML"));
}

TEST(MergeTomlTest, RuntimeHandlersMergeKeyByKey) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  ASSERT_TRUE(Merge("[crio.runtime.runtimes.runc]\nruntime_path = \"/opt/runc\"\n"
                    "[crio.runtime.runtimes.crun]\nruntime_root = \"/run/crun\"\nbogus = 1\n",
                    config, warnings)
                  .ok());
  const RuntimeHandler& runc = config.runtime.runtimes.at("runc");
  EXPECT_EQ(runc.runtime_path, "/opt/runc");
  EXPECT_EQ(runc.runtime_root, "/run/runc");  // kept from the default handler
  const RuntimeHandler& crun = config.runtime.runtimes.at("crun");
  EXPECT_EQ(crun.runtime_root, "/run/crun");
  EXPECT_EQ(crun.container_create_timeout, 240);  // a new handler starts from the defaults
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].key, "crio.runtime.runtimes.crun.bogus");
}

TEST(MergeTomlTest, BadHandlerValueIsAnError) {
  Config config = Defaults();
  std::vector<Diagnostic> warnings;
  absl::Status status =
      Merge("[crio.runtime.runtimes.kata]\nruntime_type = \"shim\"\n", config, warnings);
  EXPECT_THAT(status.message(), HasSubstr("crio.runtime.runtimes.kata.runtime_type"));
}

TEST(LoadTest, FilesApplyInOrderThenOverrides) {
  TempDir dir;
  Sources sources;
  sources.config_file = dir.Write("crio.conf",
                                  "[crio]\nroot = \"/main\"\nstorage_option = [\"a\", \"b\"]\n"
                                  "[crio.runtime]\nlog_level = \"warn\"\npids_limit = 10\n");
  sources.config_dir = dir.path() / "crio.conf.d";
  dir.Write("crio.conf.d/20-second.conf", "[crio]\nroot = \"/second\"\n");
  dir.Write("crio.conf.d/10-first.conf",
            "[crio]\nroot = \"/first\"\nrunroot = \"/run/first\"\nstorage_option = [\"c\"]\n");
  dir.Write("crio.conf.d/30-ignored.txt", "[crio]\nroot = \"/not-a-conf-file\"\n");
  sources.overrides = {{"crio.runtime.log_level", {"debug"}}};

  absl::StatusOr<Loaded> loaded = Load(sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.crio.root, "/second");        // the last drop-in wins
  EXPECT_EQ(loaded->config.crio.runroot, "/run/first");  // set only by the first drop-in
  EXPECT_EQ(loaded->config.crio.storage_option, std::vector<std::string>{"c"});  // arrays replace
  EXPECT_EQ(loaded->config.runtime.pids_limit, 10);      // set only by the main file
  EXPECT_EQ(loaded->config.runtime.log_level, "debug");  // the command line wins
  ASSERT_EQ(loaded->files.size(), 3u);
  EXPECT_EQ(loaded->files[1].filename(), "10-first.conf");
  EXPECT_EQ(loaded->files[2].filename(), "20-second.conf");
}

TEST(LoadTest, MissingDefaultFileIsFineButAMissingNamedFileIsNot) {
  TempDir dir;
  Sources sources;
  sources.config_file = dir.path() / "absent.conf";
  sources.config_dir = dir.path() / "absent.d";
  absl::StatusOr<Loaded> loaded = Load(sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config, Defaults());
  sources.config_file_required = true;
  EXPECT_THAT(Load(sources).status().message(),
              HasSubstr("absent.conf: configuration file does not exist"));
}

TEST(LoadTest, AnErrorInADropInFailsTheLoadNamingIt) {
  TempDir dir;
  Sources sources;
  sources.config_file = dir.path() / "absent.conf";
  sources.config_dir = dir.path();
  dir.Write("50-bad.conf", "[crio.runtime]\n\n\ncgroup_manager = 7\n");
  absl::Status status = Load(sources).status();
  EXPECT_THAT(status.message(), HasSubstr("50-bad.conf:4: crio.runtime.cgroup_manager"));
}

TEST(LoadTest, DefaultRuntimeMustHaveAHandler) {
  TempDir dir;
  Sources sources;
  sources.config_file = dir.Write("crio.conf", "[crio.runtime]\ndefault_runtime = \"kata\"\n");
  sources.config_dir = dir.path() / "none";
  absl::Status status = Load(sources).status();
  EXPECT_THAT(status.message(), HasSubstr("no [crio.runtime.runtimes.kata] table"));
  EXPECT_THAT(status.message(), HasSubstr("handlers: runc"));
}

TEST(OverrideTest, ParsesByFieldType) {
  Config config = Defaults();
  ASSERT_TRUE(ApplyOverride({"crio.metrics.enable_metrics", {"true"}}, config).ok());
  EXPECT_TRUE(config.metrics.enable_metrics);
  ASSERT_TRUE(ApplyOverride({"crio.metrics.metrics_port", {"9537"}}, config).ok());
  EXPECT_EQ(config.metrics.metrics_port, 9537);
  ASSERT_TRUE(
      ApplyOverride({"crio.image.registries", {"quay.io", "docker.io,ghcr.io"}}, config).ok());
  EXPECT_EQ(config.image.registries, (std::vector<std::string>{"quay.io", "docker.io", "ghcr.io"}));
}

TEST(OverrideTest, BadValuesNameTheFlag) {
  Config config = Defaults();
  absl::Status status = ApplyOverride({"crio.runtime.cgroup_manager", {"nope"}}, config);
  EXPECT_THAT(status.message(),
              HasSubstr("command line: --cgroup-manager (crio.runtime.cgroup_manager)"));
  EXPECT_THAT(ApplyOverride({"crio.metrics.metrics_port", {"ninety"}}, config).message(),
              HasSubstr("expected an integer"));
  EXPECT_THAT(ApplyOverride({"crio.runtime.selinux", {"yes"}}, config).message(),
              HasSubstr("expected true or false"));
}

TEST(UnsupportedSettingsTest, ListsOnlyUnsupportedOptionsAwayFromDefault) {
  Config config = Defaults();
  EXPECT_TRUE(UnsupportedSettings(config).empty());
  config.api.listen = "/tmp/other.sock";                       // supported
  config.crio.imagestore = "/srv";                             // not supported yet
  config.runtime.runtimes["runc"].runtime_path = "/opt/runc";  // supported
  config.runtime.runtimes["runc"].runtime_config_path = "/etc/runc.toml";
  EXPECT_EQ(UnsupportedSettings(config),
            (std::vector<std::string>{"crio.imagestore",
                                      "crio.runtime.runtimes.runc.runtime_config_path"}));
}

}  // namespace
}  // namespace crio::config
