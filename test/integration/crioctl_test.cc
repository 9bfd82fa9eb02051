// crioctl against the real daemon: crictl's commands, flags and output formats.
#include "daemon.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pod_fixture.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

class CrioctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = std::make_unique<Daemon>();
    daemon_->Start();
  }
  static void TearDownTestSuite() { daemon_.reset(); }

  static RunResult Crioctl(std::vector<std::string> args,
                           std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), CrioctlBinary());
    return crio::testing::Run(args, std::chrono::seconds(30), std::move(env));
  }

  static std::unique_ptr<Daemon> daemon_;
};

std::unique_ptr<Daemon> CrioctlTest::daemon_;

TEST_F(CrioctlTest, VersionPrintsCrictlStyleText) {
  RunResult result = Crioctl({"-r", daemon_->endpoint(), "version"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output,
            "Version:  0.1.0\nRuntimeName:  crio-cpp\nRuntimeVersion:  0.1.0\n"
            "RuntimeApiVersion:  v1\n");
}

TEST_F(CrioctlTest, VersionAsJsonAndYaml) {
  RunResult json = Crioctl({"--runtime-endpoint", daemon_->endpoint(), "version", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  auto parsed = nlohmann::json::parse(json.output);
  EXPECT_EQ(parsed["runtimeApiVersion"], "v1");
  EXPECT_EQ(parsed["runtimeName"], "crio-cpp");

  RunResult yaml = Crioctl({"-r", daemon_->endpoint(), "version", "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.output;
  EXPECT_THAT(yaml.output, HasSubstr("runtimeApiVersion: \"v1\""));
}

TEST_F(CrioctlTest, EndpointFromTheEnvironment) {
  RunResult result = Crioctl({"version"}, {{"CONTAINER_RUNTIME_ENDPOINT", daemon_->endpoint()}});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("RuntimeName:  crio-cpp"));
  // A bare socket path works too.
  result = Crioctl({"-r", daemon_->socket().string(), "version"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(CrioctlTest, InfoShowsConditionsAndConfigAsJson) {
  RunResult result = Crioctl({"-r", daemon_->endpoint(), "info"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto info = nlohmann::json::parse(result.output);
  ASSERT_EQ(info["status"]["conditions"].size(), 2u);
  EXPECT_EQ(info["status"]["conditions"][0]["type"], "RuntimeReady");
  EXPECT_EQ(info["status"]["conditions"][0]["status"], true);
  EXPECT_EQ(info["status"]["conditions"][1]["type"], "NetworkReady");
  EXPECT_EQ(info["status"]["conditions"][1]["status"], false);
  EXPECT_EQ(info["runtimeHandlers"][0]["name"], "runc");
  EXPECT_EQ(info["config"]["crio"]["api"]["listen"], daemon_->socket().string());
}

TEST_F(CrioctlTest, InfoAsYaml) {
  RunResult result = Crioctl({"-r", daemon_->endpoint(), "info", "-o", "yaml"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("type: \"RuntimeReady\""));
  EXPECT_THAT(result.output, HasSubstr("listen: \"" + daemon_->socket().string() + "\""));
  RunResult bad = Crioctl({"-r", daemon_->endpoint(), "info", "-o", "xml"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("unsupported output format \"xml\""));
}

TEST_F(CrioctlTest, UnreachableEndpointFailsClearlyWithinTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  RunResult result = Crioctl({"-r", "unix:///nonexistent/crio.sock", "--timeout", "1s", "version"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("getting the runtime version: UNAVAILABLE"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(CrioctlTest, RejectsNonUnixEndpoints) {
  RunResult result = Crioctl({"-r", "tcp://127.0.0.1:1", "version"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("only unix sockets are supported"));
}

// rmi --prune keeps the images containers were created from (the rest of the image flags are
// tested in image_service_test.cc).
class CrioctlPruneTest : public PodFixture {};

TEST_F(CrioctlPruneTest, PruneKeepsImagesThatContainersUse) {
  runtime::v1::PullImageRequest pull;
  pull.mutable_image()->set_image(node_.pause_image());
  runtime::v1::PullImageResponse pulled;
  ASSERT_TRUE(node_.daemon()
                  .image()
                  .PullImage(Context(std::chrono::seconds(60)).get(), pull, &pulled)
                  .ok());
  std::string id;
  grpc::Status created = TryCreate(Config("keeper", {"sleep", "1"}), &id);
  ASSERT_TRUE(created.ok()) << created.error_message();

  RunResult pruned =
      crio::testing::Run({CrioctlBinary(), "-r", node_.daemon().endpoint(), "rmi", "--prune"},
                         std::chrono::seconds(60));
  ASSERT_EQ(pruned.exit_code, 0) << pruned.output;
  EXPECT_THAT(pruned.output, HasSubstr("Deleted: " + node_.pause_image() + "\n"));
  EXPECT_EQ(pruned.output.find(node_.busybox_image()), std::string::npos) << pruned.output;

  runtime::v1::ImageStatusRequest request;
  request.mutable_image()->set_image(node_.busybox_image());
  runtime::v1::ImageStatusResponse status;
  ASSERT_TRUE(node_.daemon().image().ImageStatus(Context().get(), request, &status).ok());
  EXPECT_TRUE(status.has_image());
  request.mutable_image()->set_image(node_.pause_image());
  runtime::v1::ImageStatusResponse gone;
  ASSERT_TRUE(node_.daemon().image().ImageStatus(Context().get(), request, &gone).ok());
  EXPECT_FALSE(gone.has_image());
}

}  // namespace
}  // namespace crio::testing
