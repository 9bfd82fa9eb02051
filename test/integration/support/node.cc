#include "node.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <fstream>

#include "crio/common/strings.h"

namespace crio::testing {

void EnterPrivateNetworkNamespace() {
  static thread_local bool entered = false;
  if (entered) return;
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
  RunResult lo = Run({"ip", "link", "set", "lo", "up"});
  ASSERT_EQ(lo.exit_code, 0) << lo.output;
  entered = true;
}

TestNode::TestNode(NodeOptions options) : options_(std::move(options)) {
  EnterPrivateNetworkNamespace();
  bridge_ = "crt" + RandomHexId().substr(0, 8);
  std::filesystem::create_directories(network_dir());
  std::filesystem::create_directories(ipam_dir());
  registry_ = std::make_unique<LocalRegistry>();
  registry_->PushPause("pause", "test");
  registry_->PushBusybox("busybox", "latest");
  dir_.Write("policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
  std::filesystem::path registries =
      dir_.Write("registries.conf",
                 StrCat("[[registry]]\nlocation = \"", registry_->host(), "\"\ninsecure = true\n"));
  if (options_.with_network) WriteNetworkConfig();

  std::string config = StrCat(
      "[crio.runtime]\n"
      "cgroup_manager = \"cgroupfs\"\n"
      "namespaces_dir = \"",
      namespaces_dir().string(),
      "\"\n"
      "pinns_path = \"",
      PINNS_BINARY,
      "\"\n"
      "container_exits_dir = \"",
      (dir_.path() / "exits").string(),
      "\"\n"
      "container_attach_socket_dir = \"",
      (dir_.path() / "attach").string(),
      "\"\n"
      "[crio.runtime.runtimes.runc]\n"
      "runtime_root = \"",
      (dir_.path() / "runc").string(),
      "\"\n"
      "monitor_path = \"",
      CONMON_BINARY,
      "\"\n"
      "monitor_env = [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]\n"
      "[crio.image]\n"
      "signature_policy = \"",
      (dir_.path() / "policy.json").string(),
      "\"\n"
      "pause_image = \"",
      pause_image(),
      "\"\n"
      "[crio.network]\n"
      "network_dir = \"",
      network_dir().string(),
      "\"\n"
      "plugin_dirs = [\"/usr/lib/cni\"]\n",
      options_.extra_config);
  daemon_ = std::make_unique<Daemon>(
      config, options_.extra_args,
      std::map<std::string, std::string>{{"CONTAINERS_REGISTRIES_CONF", registries.string()}});
  if (!options_.dropin.empty()) {
    std::ofstream(daemon_->dir().path() / "crio.conf.d" / "50-test.conf") << options_.dropin;
  }
  daemon_->Start();
}

TestNode::~TestNode() {
  if (daemon_ != nullptr && daemon_->Running()) {
    // Leave nothing behind for the next test, after a failed one too: every pod goes.
    runtime::v1::ListPodSandboxResponse pods;
    if (daemon_->runtime().ListPodSandbox(Context().get(), {}, &pods).ok()) {
      for (const auto& pod : pods.items()) StopAndRemovePod(pod.id());
    }
  }
  daemon_.reset();
  registry_.reset();
  (void)Run({"ip", "link", "delete", bridge_});
  UnmountAllBelow(dir_.path());
  // The pod cgroup parents are the kubelet's to create and remove; here the test plays it. What
  // the daemon made below them (containers', monitors') must be gone with the pods.
  std::vector<std::string> left;
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    for (const std::string& parent : cgroup_parents_) {
      for (const std::filesystem::path& dir :
           {hierarchy.path() / parent.substr(1), hierarchy.path() / "unified" / parent.substr(1)}) {
        if (!std::filesystem::is_directory(dir)) continue;
        std::vector<std::filesystem::path> below;
        std::error_code ec;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
          if (entry.is_directory()) below.push_back(entry.path());
        }
        for (auto it = below.rbegin(); it != below.rend(); ++it) {
          left.push_back(it->string());
          ::rmdir(it->c_str());
        }
        ::rmdir(dir.c_str());
      }
    }
  }
  if (!left.empty()) {
    ADD_FAILURE() << "cgroups left below the pods' parents (now removed):\n" << StrJoin(left, "\n");
  }
}

std::string TestNode::pause_image() const { return StrCat(registry_->host(), "/pause:test"); }
std::string TestNode::busybox_image() const { return StrCat(registry_->host(), "/busybox:latest"); }

void TestNode::WriteNetworkConfig() {
  std::string conflist = StrCat(R"({
  "cniVersion": "1.0.0",
  "name": "crio-test",
  "plugins": [
    {"type": "bridge", "bridge": ")",
                                bridge_, R"(", "isGateway": true, "ipMasq": false,
     "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": ")",
                                ipam_dir().string(), R"(",
              "ranges": [[{"subnet": ")",
                                kSubnet, R"("}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
})");
  dir_.Write("net.d.tmp", conflist);
  std::filesystem::rename(dir_.path() / "net.d.tmp", network_dir() / "10-crio-test.conflist");
}

runtime::v1::PodSandboxConfig TestNode::PodConfig(const std::string& name) {
  runtime::v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_("test");
  config.mutable_metadata()->set_uid(RandomHexId().substr(0, 16));
  config.set_hostname(name);
  config.set_log_directory((dir_.path() / "logs" / name).string());
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::CONTAINER);
  cgroup_parents_.push_back("/crio-test-" + RandomHexId().substr(0, 8));
  config.mutable_linux()->set_cgroup_parent(cgroup_parents_.back());
  return config;
}

std::string TestNode::RunPod(const runtime::v1::PodSandboxConfig& config) {
  runtime::v1::RunPodSandboxRequest request;
  *request.mutable_config() = config;
  runtime::v1::RunPodSandboxResponse response;
  grpc::Status status = daemon_->runtime().RunPodSandbox(Context(std::chrono::seconds(120)).get(),
                                                         request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message() << "\nlog:\n" << daemon_->Log();
  return response.pod_sandbox_id();
}

runtime::v1::PodSandboxStatusResponse TestNode::PodStatus(const std::string& id, bool verbose) {
  runtime::v1::PodSandboxStatusRequest request;
  request.set_pod_sandbox_id(id);
  request.set_verbose(verbose);
  runtime::v1::PodSandboxStatusResponse response;
  grpc::Status status = daemon_->runtime().PodSandboxStatus(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

void TestNode::StopAndRemovePod(const std::string& id) {
  runtime::v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  runtime::v1::StopPodSandboxResponse stopped;
  grpc::Status status =
      daemon_->runtime().StopPodSandbox(Context(std::chrono::seconds(60)).get(), stop, &stopped);
  EXPECT_TRUE(status.ok()) << status.error_message();
  runtime::v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(id);
  runtime::v1::RemovePodSandboxResponse removed;
  status = daemon_->runtime().RemovePodSandbox(Context(std::chrono::seconds(60)).get(), remove,
                                               &removed);
  EXPECT_TRUE(status.ok()) << status.error_message() << "\nlog:\n" << daemon_->Log();
}

RunResult TestNode::InNetns(const std::string& netns, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"nsenter", "--net=" + netns, "--"});
  return Run(argv);
}

}  // namespace crio::testing
