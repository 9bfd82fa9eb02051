// The daemon on its socket: the implemented RPCs, UNIMPLEMENTED for the rest, message limits,
// readiness notification, reload, shutdown and startup refusals.
// The generated CRI header comes first: its Signal enum has values named like the <signal.h>
// macros (SIGTERM, ...), which must not be defined yet when it is parsed.
#include "daemon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <nlohmann/json.hpp>

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(DaemonTest, VersionReportsTheRuntimeAndCriVersion) {
  Daemon daemon;
  daemon.Start();
  runtime::v1::VersionRequest request;
  request.set_version("v1");
  runtime::v1::VersionResponse response;
  ASSERT_TRUE(daemon.runtime().Version(Context().get(), request, &response).ok());
  EXPECT_EQ(response.version(), "0.1.0");
  EXPECT_EQ(response.runtime_name(), "crio-cpp");
  EXPECT_EQ(response.runtime_version(), "0.1.0");
  EXPECT_EQ(response.runtime_api_version(), "v1");
}

TEST(DaemonTest, StatusReportsConditionsHandlersAndVerboseConfig) {
  TempDir empty_network_dir;
  Daemon daemon("[crio.runtime.runtimes.runc]\nruntime_root = \"/run/runc-test\"\n",
                {"--cni-config-dir", empty_network_dir.path().string()});
  daemon.Start();
  runtime::v1::StatusRequest request;
  request.set_verbose(true);
  runtime::v1::StatusResponse response;
  ASSERT_TRUE(daemon.runtime().Status(Context().get(), request, &response).ok());
  ASSERT_EQ(response.status().conditions_size(), 2);
  EXPECT_EQ(response.status().conditions(0).type(), "RuntimeReady");
  EXPECT_TRUE(response.status().conditions(0).status());
  const auto& network = response.status().conditions(1);
  EXPECT_EQ(network.type(), "NetworkReady");
  EXPECT_FALSE(network.status());
  EXPECT_EQ(network.reason(), "NetworkPluginNotReady");
  EXPECT_THAT(network.message(),
              HasSubstr("No CNI configuration file in " + empty_network_dir.path().string()));
  ASSERT_EQ(response.runtime_handlers_size(), 2);
  EXPECT_EQ(response.runtime_handlers(0).name(), "runc");
  EXPECT_EQ(response.runtime_handlers(1).name(), "");

  ASSERT_EQ(response.info().count("config"), 1u);
  auto config = nlohmann::json::parse(response.info().at("config"));
  EXPECT_EQ(config["crio"]["api"]["listen"], daemon.socket().string());
  EXPECT_EQ(config["crio"]["runtime"]["runtimes"]["runc"]["runtime_root"], "/run/runc-test");

  runtime::v1::StatusResponse quiet;
  ASSERT_TRUE(daemon.runtime().Status(Context().get(), {}, &quiet).ok());
  EXPECT_TRUE(quiet.info().empty());
}

TEST(DaemonTest, RuntimeConfigReportsTheCgroupDriver) {
  Daemon daemon("", {"--cgroup-manager", "cgroupfs"});
  daemon.Start();
  runtime::v1::RuntimeConfigResponse response;
  ASSERT_TRUE(daemon.runtime().RuntimeConfig(Context().get(), {}, &response).ok());
  EXPECT_EQ(response.linux().cgroup_driver(), runtime::v1::CGROUPFS);
}

TEST(DaemonTest, UnimplementedRpcsSayWhichAndThatTheyAreNotSupportedYet) {
  Daemon daemon;
  daemon.Start();
  runtime::v1::UpdatePodSandboxResourcesResponse resources_response;
  grpc::Status status =
      daemon.runtime().UpdatePodSandboxResources(Context().get(), {}, &resources_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(status.error_message(), "UpdatePodSandboxResources is not supported yet");

  // CheckpointContainer first looks the container up (its UNIMPLEMENTED answer for a real
  // container without CRIU is covered by the container tests).
  runtime::v1::CheckpointContainerRequest checkpoint;
  checkpoint.set_container_id("no-such-container");
  runtime::v1::CheckpointContainerResponse checkpoint_response;
  status = daemon.runtime().CheckpointContainer(Context().get(), checkpoint, &checkpoint_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();

  // Failed calls are logged at error level with their method and request id.
  EXPECT_TRUE(Eventually([&] {
    return daemon.Log().find("error Response UpdatePodSandboxResources id=") != std::string::npos;
  }));
}

TEST(DaemonTest, UpdateRuntimeConfigRecordsThePodCidrAsCrioDoes) {
  Daemon daemon;
  daemon.Start();
  // Pod networks come from the CNI configuration; the kubelet's pod CIDR is accepted and logged.
  runtime::v1::UpdateRuntimeConfigRequest request;
  request.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.244.3.0/24");
  runtime::v1::UpdateRuntimeConfigResponse response;
  grpc::Status status = daemon.runtime().UpdateRuntimeConfig(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Eventually([&] {
    return daemon.Log().find("The node's pod CIDR is 10.244.3.0/24") != std::string::npos;
  }));
  // An empty one (the kubelet before the node has a CIDR) is accepted quietly.
  EXPECT_TRUE(daemon.runtime().UpdateRuntimeConfig(Context().get(), {}, &response).ok());
}

TEST(DaemonTest, ReceiveLimitComesFromTheConfiguration) {
  Daemon daemon("[crio.api]\ngrpc_max_recv_msg_size = 1024\n");
  daemon.Start();
  runtime::v1::VersionRequest request;
  request.set_version(std::string(4096, 'x'));
  runtime::v1::VersionResponse response;
  grpc::Status status = daemon.runtime().Version(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  request.set_version("v1");
  EXPECT_TRUE(daemon.runtime().Version(Context().get(), request, &response).ok());
}

TEST(DaemonTest, SocketIsMode0660) {
  Daemon daemon;
  daemon.Start();
  struct stat st {};
  ASSERT_EQ(::stat(daemon.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
}

TEST(DaemonTest, CreatesTheSocketDirectory) {
  TempDir dir;
  std::filesystem::path socket = dir.path() / "nested" / "run" / "crio.sock";
  Daemon daemon("", {"--listen", socket.string()});  // the last --listen wins
  Process crio(daemon.Command(), dir.path() / "crio.log");
  EXPECT_TRUE(Eventually([&] { return std::filesystem::exists(socket); })) << crio.Output();
  crio.Signal(SIGTERM);
  EXPECT_EQ(crio.Wait(std::chrono::seconds(15)), 0);
}

TEST(DaemonTest, NotifiesTheServiceManagerWhenReady) {
  TempDir dir;
  std::filesystem::path notify = dir.path() / "notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, notify.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  Daemon daemon("", {}, {{"NOTIFY_SOCKET", notify.string()}});
  daemon.Start();
  char buffer[64] = {};
  ssize_t n = ::recv(fd, buffer, sizeof(buffer) - 1, 0);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buffer, static_cast<size_t>(n)), "READY=1");
}

TEST(DaemonTest, SighupReloadsTheLogLevel) {
  Daemon daemon("[crio.runtime]\nlog_level = \"info\"\n");
  daemon.Start();
  runtime::v1::VersionResponse response;
  ASSERT_TRUE(daemon.runtime().Version(Context().get(), {}, &response).ok());
  EXPECT_THAT(daemon.Log(), Not(HasSubstr("Request Version")));

  daemon.dir().Write("crio.conf.d/50-debug.conf", "[crio.runtime]\nlog_level = \"debug\"\n");
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return daemon.Log().find("crio.runtime.log_level changed from \"info\" to \"debug\"") !=
           std::string::npos;
  })) << daemon.Log();
  ASSERT_TRUE(daemon.runtime().Version(Context().get(), {}, &response).ok());
  EXPECT_TRUE(
      Eventually([&] { return daemon.Log().find("Request Version") != std::string::npos; }));

  // A broken file on reload keeps the running configuration.
  daemon.dir().Write("crio.conf.d/60-broken.conf", "[crio.runtime]\nlog_level = 3\n");
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return daemon.Log().find("Reload failed, keeping the running configuration") !=
           std::string::npos;
  })) << daemon.Log();
  EXPECT_THAT(daemon.Log(), HasSubstr("60-broken.conf:2: crio.runtime.log_level"));
  ASSERT_TRUE(daemon.runtime().Version(Context().get(), {}, &response).ok());
}

TEST(DaemonTest, SigtermStopsAndRemovesTheSocket) {
  for (int signo : {SIGTERM, SIGINT}) {
    Daemon daemon;
    daemon.Start();
    ASSERT_TRUE(std::filesystem::exists(daemon.socket()));
    daemon.process().Signal(signo);
    std::optional<int> code = daemon.process().Wait(std::chrono::seconds(15));
    ASSERT_TRUE(code.has_value()) << "crio did not stop";
    EXPECT_EQ(*code, 0) << daemon.Log();
    EXPECT_FALSE(std::filesystem::exists(daemon.socket()));
    EXPECT_THAT(daemon.Log(), HasSubstr("Shutdown complete"));
  }
}

TEST(DaemonTest, RefusesASocketALiveDaemonServes) {
  Daemon first;
  first.Start();
  Daemon second("", {"--listen", first.socket().string()});
  RunResult result = second.StartExpectingExit();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output,
              HasSubstr("another daemon is already serving on " + first.socket().string()));
  // The first daemon is untouched.
  runtime::v1::VersionResponse response;
  EXPECT_TRUE(first.runtime().Version(Context().get(), {}, &response).ok());
}

TEST(DaemonTest, ReplacesAStaleSocket) {
  Daemon daemon;
  // A socket file nobody listens on, as a daemon killed with SIGKILL leaves behind.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, daemon.socket().c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  daemon.Start();
  EXPECT_THAT(daemon.Log(), HasSubstr("Removed stale socket"));
}

TEST(DaemonTest, RefusesToReplaceSomethingThatIsNotASocket) {
  Daemon daemon;
  daemon.dir().Write("crio.sock", "precious");
  RunResult result = daemon.StartExpectingExit();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("exists and is not a socket"));
}

// Starts a daemon over `config` and expects it to exit before it serves or touches any state,
// saying `why`.
void ExpectRefusedAtStartup(const std::string& config, const std::string& why) {
  Daemon daemon(config);
  RunResult result = daemon.StartExpectingExit();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr(why));
  EXPECT_FALSE(std::filesystem::exists(daemon.socket()));
}

TEST(DaemonTest, BrokenConfigurationStopsStartupBeforeAnyState) {
  ExpectRefusedAtStartup("[crio.runtime]\ncgroup_manager = \"cgroupv3\"\n",
                         "crio.conf:2: crio.runtime.cgroup_manager");
}

TEST(DaemonTest, UnparsableConfigurationStopsStartup) {
  ExpectRefusedAtStartup("[crio.api\nlisten = 3\n", "crio.conf:1: invalid TOML");
}

TEST(DaemonTest, MissingRuntimeStopsStartup) {
  ExpectRefusedAtStartup("[crio.runtime.runtimes.runc]\nruntime_path = \"/nonexistent/runc\"\n",
                         "runtime_path /nonexistent/runc is not an executable file");
}

TEST(DaemonTest, AnAdditionalDeviceThatIsNotThereStopsStartup) {
  ExpectRefusedAtStartup(
      "[crio.runtime]\nadditional_devices = [\"/dev/no-such-device:/dev/x:rw\"]\n",
      "crio.runtime.additional_devices: /dev/no-such-device is not a valid device");
}

TEST(DaemonTest, ALogSizeMaxBelowOneReadStopsStartup) {
  ExpectRefusedAtStartup("[crio.runtime]\nlog_size_max = 4096\n",
                         "crio.runtime.log_size_max: must be negative or at least 8192, got 4096");
}

TEST(DaemonTest, UnknownKeysAndUnsupportedOptionsAreWarnings) {
  Daemon daemon("[crio.api]\nlistn = \"x\"\n[crio]\nimagestore = \"/srv/elsewhere\"\n");
  daemon.Start();
  EXPECT_THAT(daemon.Log(), HasSubstr("crio.conf:2: crio.api.listn: unknown option"));
  EXPECT_THAT(daemon.Log(), HasSubstr("crio.imagestore is set but not supported yet"));
}

}  // namespace
}  // namespace crio::testing
