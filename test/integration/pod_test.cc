// Pod sandboxes end to end: the real daemon, pinns, runc, conmon and Debian's CNI plugins, in a
// network namespace of the test's own (see support/node.h).
// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "node.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string InfoOf(const runtime::v1::PodSandboxStatusResponse& status) {
  auto found = status.info().find("info");
  return found == status.info().end() ? "" : found->second;
}

nlohmann::json VerboseInfo(TestNode& node, const std::string& id) {
  return nlohmann::json::parse(InfoOf(node.PodStatus(id, true)));
}

std::string NetnsOf(TestNode& node, const std::string& id) {
  return VerboseInfo(node, id)["namespaces"]["network"].get<std::string>();
}

grpc::Status TryRunPod(TestNode& node, const runtime::v1::PodSandboxConfig& config,
                       std::string* id = nullptr) {
  runtime::v1::RunPodSandboxRequest request;
  *request.mutable_config() = config;
  runtime::v1::RunPodSandboxResponse response;
  grpc::Status status = node.daemon().runtime().RunPodSandbox(
      Context(std::chrono::seconds(120)).get(), request, &response);
  if (id != nullptr) *id = response.pod_sandbox_id();
  return status;
}

grpc::Status StopPod(TestNode& node, const std::string& id) {
  runtime::v1::StopPodSandboxRequest request;
  request.set_pod_sandbox_id(id);
  runtime::v1::StopPodSandboxResponse response;
  return node.daemon().runtime().StopPodSandbox(Context(std::chrono::seconds(30)).get(), request,
                                                &response);
}

int CountFiles(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

// Host-local keeps one file per allocated address (plus its bookkeeping files).
int AllocatedAddresses(const TestNode& node) {
  int count = 0;
  std::filesystem::path dir = node.ipam_dir() / "crio-test";
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename();
    if (name.rfind("10.89.", 0) == 0) ++count;
  }
  return count;
}

int MountsBelow(const std::filesystem::path& dir) {
  std::istringstream mountinfo(ReadAll("/proc/self/mountinfo"));
  std::string line;
  int count = 0;
  while (std::getline(mountinfo, line)) {
    if (line.find(" " + dir.string() + "/") != std::string::npos) ++count;
  }
  return count;
}

// The body of an HTTP/1.0 GET, "" on any failure. (Debian's static busybox wget crashes.)
std::string HttpGet(const std::string& ip, int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    std::string request = StrCat("GET ", path, " HTTP/1.0\r\n\r\n");
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
  }
  ::close(fd);
  size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) return "";
  return response.substr(body + 4);
}

class PodTest : public ::testing::Test {
 protected:
  TestNode node_;
};

TEST_F(PodTest, PodGetsAnAddressFromTheNetworkReachableFromTheNode) {
  std::string id = node_.RunPod(node_.PodConfig("web"));
  ASSERT_FALSE(id.empty());
  runtime::v1::PodSandboxStatusResponse status = node_.PodStatus(id);
  EXPECT_EQ(status.status().state(), runtime::v1::SANDBOX_READY);
  const std::string& ip = status.status().network().ip();
  EXPECT_THAT(ip, StartsWith("10.89.")) << "status: " << status.DebugString();
  EXPECT_NE(ip, TestNode::kGateway);

  RunResult ping = crio::testing::Run({"busybox", "ping", "-c", "1", "-W", "2", ip});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  RunResult addr = node_.InNetns(NetnsOf(node_, id), {"ip", "-4", "-o", "addr", "show", "eth0"});
  EXPECT_THAT(addr.output, HasSubstr(ip + "/16"));
  EXPECT_EQ(AllocatedAddresses(node_), 1);
}

TEST_F(PodTest, TwoPodsReachEachOther) {
  std::string first = node_.RunPod(node_.PodConfig("first"));
  std::string second = node_.RunPod(node_.PodConfig("second"));
  std::string second_ip = node_.PodStatus(second).status().network().ip();
  ASSERT_FALSE(second_ip.empty());
  EXPECT_NE(node_.PodStatus(first).status().network().ip(), second_ip);
  RunResult ping =
      node_.InNetns(NetnsOf(node_, first), {"busybox", "ping", "-c", "1", "-W", "2", second_ip});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
}

TEST_F(PodTest, HostPortReachesAServerInThePod) {
  runtime::v1::PodSandboxConfig config = node_.PodConfig("hostport");
  auto* mapping = config.add_port_mappings();
  mapping->set_protocol(runtime::v1::TCP);
  mapping->set_container_port(8080);
  mapping->set_host_port(18080);
  std::string id = node_.RunPod(config);
  std::string netns = NetnsOf(node_, id);

  TempDir www;
  www.Write("index.html", "hello from the pod\n");
  Process server({"nsenter", "--net=" + netns, "--", "busybox", "httpd", "-f", "-p", "8080", "-h",
                  www.path().string()},
                 www.path() / "httpd.log");
  // The node's own, non-loopback address: the bridge's.
  std::string body;
  bool served = Eventually([&] {
    body = HttpGet(TestNode::kGateway, 18080, "/index.html");
    return !body.empty();
  });
  EXPECT_TRUE(served) << body;
  EXPECT_EQ(body, "hello from the pod\n");
  server.Signal(SIGKILL);
}

TEST_F(PodTest, HostnameDnsShmAndSysctlsInsideThePod) {
  runtime::v1::PodSandboxConfig config = node_.PodConfig("files");
  config.set_hostname("files-host");
  config.mutable_dns_config()->add_servers("10.96.0.10");
  config.mutable_dns_config()->add_searches("test.svc.cluster.local");
  config.mutable_dns_config()->add_options("ndots:5");
  (*config.mutable_annotations())["shm-size.crio.io"] = "32Mi";
  (*config.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "0";
  (*config.mutable_linux()->mutable_sysctls())["kernel.msgmax"] = "12345";
  std::string id = node_.RunPod(config);
  nlohmann::json info = VerboseInfo(node_, id);

  RunResult hostname = crio::testing::Run(
      {"nsenter", "--uts=" + info["namespaces"]["uts"].get<std::string>(), "hostname"});
  EXPECT_EQ(hostname.output, "files-host\n");
  EXPECT_EQ(ReadAll(info["hostnamePath"].get<std::string>()), "files-host\n");
  EXPECT_EQ(ReadAll(info["resolvPath"].get<std::string>()),
            "search test.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  std::string hosts = ReadAll(info["hostsPath"].get<std::string>());
  EXPECT_THAT(hosts, HasSubstr("127.0.0.1\tlocalhost"));
  EXPECT_THAT(hosts, HasSubstr(node_.PodStatus(id).status().network().ip() + "\tfiles-host"));

  struct statfs shm {};
  ASSERT_EQ(statfs(info["shmPath"].get<std::string>().c_str(), &shm), 0);
  EXPECT_EQ(static_cast<uint64_t>(shm.f_blocks) * shm.f_bsize, 32ULL << 20);

  RunResult port_start = node_.InNetns(info["namespaces"]["network"],
                                       {"cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"});
  EXPECT_EQ(port_start.output, "0\n");
  RunResult msgmax =
      crio::testing::Run({"nsenter", "--ipc=" + info["namespaces"]["ipc"].get<std::string>(), "cat",
                          "/proc/sys/kernel/msgmax"});
  EXPECT_EQ(msgmax.output, "12345\n");
  EXPECT_NE(ReadAll("/proc/sys/kernel/msgmax"), "12345\n");
  EXPECT_TRUE(std::filesystem::is_directory(config.log_directory()));
  EXPECT_FALSE(info["infraContainer"].get<bool>());
}

TEST_F(PodTest, NodeWideSysctlIsRefusedAndLeavesNothing) {
  runtime::v1::PodSandboxConfig config = node_.PodConfig("unsafe");
  (*config.mutable_linux()->mutable_sysctls())["kernel.panic"] = "1";
  grpc::Status status = TryRunPod(node_, config);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("kernel.panic"));
  runtime::v1::ListPodSandboxResponse pods;
  ASSERT_TRUE(node_.daemon().runtime().ListPodSandbox(Context().get(), {}, &pods).ok());
  EXPECT_EQ(pods.items_size(), 0);
  EXPECT_EQ(CountFiles(node_.namespaces_dir()), 0);
  // The name is free again.
  (*config.mutable_linux()->mutable_sysctls()).erase("kernel.panic");
  EXPECT_TRUE(TryRunPod(node_, config).ok());
}

TEST_F(PodTest, SharedPidNamespaceGetsAPauseContainerOthersNone) {
  runtime::v1::PodSandboxConfig shared = node_.PodConfig("shared-pid");
  shared.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::POD);
  std::string with_infra = node_.RunPod(shared);
  std::string without_infra = node_.RunPod(node_.PodConfig("own-pid"));

  nlohmann::json info = VerboseInfo(node_, with_infra);
  ASSERT_TRUE(info["infraContainer"].get<bool>()) << info.dump();
  int pid = info["pid"].get<int>();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(ReadAll(StrCat("/proc/", pid, "/cmdline")), std::string("/pause") + '\0');
  // It holds the pod's network namespace.
  RunResult same_netns =
      crio::testing::Run({"nsenter", "--net=" + info["namespaces"]["network"].get<std::string>(),
                          "readlink", "/proc/self/ns/net"});
  EXPECT_EQ(same_netns.output,
            std::filesystem::read_symlink(StrCat("/proc/", pid, "/ns/net")).string() + "\n");

  nlohmann::json other = VerboseInfo(node_, without_infra);
  EXPECT_FALSE(other["infraContainer"].get<bool>());
  EXPECT_FALSE(other.contains("pid"));

  // Stopping and removing the pod ends the pause container, its monitor and its cgroup.
  std::string cgroup_parent = shared.linux().cgroup_parent();
  node_.StopAndRemovePod(with_infra);
  EXPECT_FALSE(std::filesystem::exists(StrCat("/proc/", pid)));
  EXPECT_FALSE(std::filesystem::exists(
      StrCat("/sys/fs/cgroup/memory", cgroup_parent, "/crio-", with_infra)));
  EXPECT_FALSE(std::filesystem::exists(
      StrCat("/sys/fs/cgroup/memory", cgroup_parent, "/crio-conmon-", with_infra)));
  RunResult monitors = crio::testing::Run({"pgrep", "-f", with_infra});
  EXPECT_NE(monitors.exit_code, 0) << "still running: " << monitors.output;
}

TEST_F(PodTest, HostNetworkPodUsesTheNodesNetworkAndFiles) {
  runtime::v1::PodSandboxConfig config = node_.PodConfig("hostnet");
  config.clear_hostname();
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::NODE);
  std::string id = node_.RunPod(config);
  nlohmann::json info = VerboseInfo(node_, id);
  EXPECT_EQ(info["namespaces"]["network"], "");
  EXPECT_EQ(info["namespaces"]["uts"], "");
  EXPECT_NE(info["namespaces"]["ipc"], "");
  EXPECT_EQ(node_.PodStatus(id).status().network().ip(), "");
  EXPECT_EQ(ReadAll(info["resolvPath"].get<std::string>()), ReadAll("/etc/resolv.conf"));
  EXPECT_EQ(ReadAll(info["hostsPath"].get<std::string>()), ReadAll("/etc/hosts"));
  char hostname[256] = {};
  gethostname(hostname, sizeof(hostname));
  EXPECT_EQ(ReadAll(info["hostnamePath"].get<std::string>()), std::string(hostname) + "\n");
  EXPECT_EQ(AllocatedAddresses(node_), 0);
}

TEST_F(PodTest, SameMetadataTwiceIsRefusedNamingTheExistingPod) {
  runtime::v1::PodSandboxConfig config = node_.PodConfig("dup");
  std::string id = node_.RunPod(config);
  grpc::Status again = TryRunPod(node_, config);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(again.error_message(), HasSubstr(id));
  // Another attempt number is another pod.
  config.mutable_metadata()->set_attempt(1);
  EXPECT_TRUE(TryRunPod(node_, config).ok());
}

TEST_F(PodTest, StopAndRemoveLeaveNothingAndAreIdempotent) {
  std::string id = node_.RunPod(node_.PodConfig("gone"));
  std::string netns = NetnsOf(node_, id);
  ASSERT_EQ(AllocatedAddresses(node_), 1);
  ASSERT_EQ(MountsBelow(node_.namespaces_dir()), 3);  // net, ipc, uts

  ASSERT_TRUE(StopPod(node_, id).ok());
  EXPECT_EQ(node_.PodStatus(id).status().state(), runtime::v1::SANDBOX_NOTREADY);
  EXPECT_EQ(AllocatedAddresses(node_), 0);
  EXPECT_TRUE(StopPod(node_, id).ok());

  runtime::v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(id);
  runtime::v1::RemovePodSandboxResponse removed;
  ASSERT_TRUE(node_.daemon()
                  .runtime()
                  .RemovePodSandbox(Context(std::chrono::seconds(30)).get(), remove, &removed)
                  .ok());
  EXPECT_EQ(MountsBelow(node_.namespaces_dir()), 0);
  EXPECT_EQ(CountFiles(node_.namespaces_dir()), 0);
  EXPECT_FALSE(std::filesystem::exists(netns));
  EXPECT_TRUE(node_.daemon()
                  .runtime()
                  .RemovePodSandbox(Context(std::chrono::seconds(30)).get(), remove, &removed)
                  .ok());
  runtime::v1::PodSandboxStatusRequest request;
  request.set_pod_sandbox_id(id);
  runtime::v1::PodSandboxStatusResponse response;
  EXPECT_EQ(
      node_.daemon().runtime().PodSandboxStatus(Context().get(), request, &response).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(PodTest, ListFiltersByIdPrefixStateAndLabels) {
  runtime::v1::PodSandboxConfig a = node_.PodConfig("list-a");
  (*a.mutable_labels())["app"] = "a";
  runtime::v1::PodSandboxConfig b = node_.PodConfig("list-b");
  (*b.mutable_labels())["app"] = "b";
  std::string id_a = node_.RunPod(a);
  std::string id_b = node_.RunPod(b);
  ASSERT_TRUE(StopPod(node_, id_b).ok());

  auto list = [&](const runtime::v1::PodSandboxFilter& filter) {
    runtime::v1::ListPodSandboxRequest request;
    *request.mutable_filter() = filter;
    runtime::v1::ListPodSandboxResponse response;
    EXPECT_TRUE(node_.daemon().runtime().ListPodSandbox(Context().get(), request, &response).ok());
    std::vector<std::string> ids;
    for (const auto& pod : response.items()) ids.push_back(pod.id());
    return ids;
  };
  runtime::v1::PodSandboxFilter by_label;
  (*by_label.mutable_label_selector())["app"] = "a";
  EXPECT_EQ(list(by_label), std::vector<std::string>{id_a});
  runtime::v1::PodSandboxFilter ready;
  ready.mutable_state()->set_state(runtime::v1::SANDBOX_READY);
  EXPECT_EQ(list(ready), std::vector<std::string>{id_a});
  runtime::v1::PodSandboxFilter by_prefix;
  by_prefix.set_id(id_b.substr(0, 12));
  EXPECT_EQ(list(by_prefix), std::vector<std::string>{id_b});
  EXPECT_EQ(list({}).size(), 2u);
}

TEST_F(PodTest, PodsSurviveADaemonRestart) {
  std::string ready = node_.RunPod(node_.PodConfig("stays"));
  runtime::v1::PodSandboxConfig shared = node_.PodConfig("stays-infra");
  shared.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::POD);
  std::string with_infra = node_.RunPod(shared);
  std::string stopped_id = node_.RunPod(node_.PodConfig("stopped"));
  ASSERT_TRUE(StopPod(node_, stopped_id).ok()) << node_.daemon().Log();
  std::string ip = node_.PodStatus(ready).status().network().ip();

  node_.daemon().process().Signal(SIGTERM);
  ASSERT_TRUE(node_.daemon().process().Wait(std::chrono::seconds(15)).has_value());
  node_.daemon().Start();

  EXPECT_EQ(node_.PodStatus(ready).status().state(), runtime::v1::SANDBOX_READY);
  EXPECT_EQ(node_.PodStatus(ready).status().network().ip(), ip);
  EXPECT_EQ(node_.PodStatus(with_infra).status().state(), runtime::v1::SANDBOX_READY);
  EXPECT_EQ(node_.PodStatus(stopped_id).status().state(), runtime::v1::SANDBOX_NOTREADY);
  RunResult ping = crio::testing::Run({"busybox", "ping", "-c", "1", "-W", "2", ip});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  // The restored pods' names stay reserved.
  runtime::v1::PodSandboxConfig again;
  *again.mutable_metadata() = node_.PodStatus(ready).status().metadata();
  *again.mutable_linux() = node_.PodConfig("x").linux();
  grpc::Status duplicate = TryRunPod(node_, again);
  EXPECT_EQ(duplicate.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  // The restored pause container is still this pod's: stopping and removing it ends it.
  int pause_pid = VerboseInfo(node_, with_infra)["pid"].get<int>();
  ASSERT_TRUE(std::filesystem::exists(StrCat("/proc/", pause_pid)));
  node_.StopAndRemovePod(with_infra);
  EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(StrCat("/proc/", pause_pid)); }))
      << node_.daemon().Log();
}

TEST_F(PodTest, UnknownRuntimeHandlerIsRefused) {
  runtime::v1::RunPodSandboxRequest request;
  *request.mutable_config() = node_.PodConfig("handler");
  request.set_runtime_handler("no-such-handler");
  runtime::v1::RunPodSandboxResponse response;
  grpc::Status status = node_.daemon().runtime().RunPodSandbox(
      Context(std::chrono::seconds(30)).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-handler"));
}

TEST_F(PodTest, MissingMetadataIsRefused) {
  runtime::v1::PodSandboxConfig config = node_.PodConfig("meta");
  config.mutable_metadata()->clear_uid();
  grpc::Status status = TryRunPod(node_, config);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("uid"));
}

class PodNetworkReadinessTest : public ::testing::Test {
 protected:
  TestNode node_{NodeOptions{.with_network = false}};
};

bool NetworkReady(Daemon& daemon, std::string* reason = nullptr) {
  runtime::v1::StatusResponse status;
  EXPECT_TRUE(daemon.runtime().Status(Context().get(), {}, &status).ok());
  for (const auto& condition : status.status().conditions()) {
    if (condition.type() == "NetworkReady") {
      if (reason != nullptr) *reason = condition.reason();
      return condition.status();
    }
  }
  return false;
}

TEST_F(PodNetworkReadinessTest, ReadyOnceAConfigAppearsWithoutRestart) {
  std::string reason;
  EXPECT_FALSE(NetworkReady(node_.daemon(), &reason));
  EXPECT_EQ(reason, "NetworkPluginNotReady");
  grpc::Status refused = TryRunPod(node_, node_.PodConfig("early"));
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.error_message(), HasSubstr("network"));

  node_.WriteNetworkConfig();
  EXPECT_TRUE(Eventually([&] { return NetworkReady(node_.daemon()); }));
  std::string id = node_.RunPod(node_.PodConfig("late"));
  EXPECT_THAT(node_.PodStatus(id).status().network().ip(), StartsWith("10.89."));
}

}  // namespace
}  // namespace crio::testing

namespace crio::testing {
namespace {

class CrioctlPodTest : public ::testing::Test {
 protected:
  RunResult Crioctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", node_.daemon().endpoint()});
    return crio::testing::Run(args);
  }
  TestNode node_;
};

TEST_F(CrioctlPodTest, RunpPodsInspectpStoppRmpWithJsonAndYamlConfigs) {
  std::filesystem::path json = node_.dir().Write("pod.json", R"({
  "metadata": {"name": "cli-json", "namespace": "cli", "uid": "uid-json", "attempt": 0},
  "hostname": "cli-json",
  "log_directory": "/tmp",
  "labels": {"tier": "json"},
  "linux": {"security_context": {"namespace_options": {"pid": 1}}}
})");
  std::filesystem::path yaml = node_.dir().Write("pod.yaml", R"(metadata:
  name: cli-yaml
  namespace: cli
  uid: uid-yaml
hostname: cli-yaml
labels:
  tier: yaml
linux:
  security_context:
    namespace_options:
      pid: 1
)");
  RunResult first = Crioctl({"runp", json.string()});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::string json_id = first.output.substr(0, first.output.find('\n'));
  EXPECT_EQ(json_id.size(), 64u);
  RunResult second = Crioctl({"runp", yaml.string()});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  std::string yaml_id = second.output.substr(0, second.output.find('\n'));

  RunResult table = Crioctl({"pods"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.output, HasSubstr("POD ID"));
  EXPECT_THAT(table.output, HasSubstr(json_id.substr(0, 13)));
  EXPECT_THAT(table.output, HasSubstr("cli-yaml"));
  EXPECT_THAT(table.output, HasSubstr("Ready"));

  RunResult by_label = Crioctl({"pods", "-q", "--label", "tier=yaml"});
  EXPECT_EQ(by_label.output, yaml_id + "\n");
  RunResult by_name = Crioctl({"pods", "-q", "--name", "cli-json"});
  EXPECT_EQ(by_name.output, json_id + "\n");

  RunResult inspect = Crioctl({"inspectp", json_id.substr(0, 12)});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  nlohmann::json document = nlohmann::json::parse(inspect.output);
  EXPECT_EQ(document["status"]["id"], json_id);
  EXPECT_EQ(document["status"]["state"], "SANDBOX_READY");
  EXPECT_THAT(document["status"]["network"]["ip"].get<std::string>(), StartsWith("10.89."));
  EXPECT_EQ(document["info"]["hostname"], "cli-json");

  RunResult yaml_out = Crioctl({"pods", "-o", "yaml", "--id", yaml_id});
  EXPECT_THAT(yaml_out.output, HasSubstr("cli-yaml"));

  RunResult stop = Crioctl({"stopp", json_id});
  EXPECT_EQ(stop.exit_code, 0) << stop.output;
  EXPECT_THAT(stop.output, HasSubstr("Stopped sandbox " + json_id));
  RunResult not_ready = Crioctl({"pods", "-q", "--state", "notready"});
  EXPECT_EQ(not_ready.output, json_id + "\n");

  RunResult remove_all = Crioctl({"rmp", "-a", "-f"});
  EXPECT_EQ(remove_all.exit_code, 0) << remove_all.output;
  EXPECT_THAT(remove_all.output, HasSubstr("Removed sandbox " + yaml_id));
  EXPECT_EQ(Crioctl({"pods", "-q"}).output, "");
}

TEST_F(CrioctlPodTest, BadConfigFileIsReported) {
  std::filesystem::path bad = node_.dir().Write("bad.json", R"({"metadata": {"nmae": "x"}})");
  RunResult run = Crioctl({"runp", bad.string()});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("bad.json"));
}

}  // namespace
}  // namespace crio::testing
