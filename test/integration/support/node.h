#pragma once

// A Kubernetes node in miniature for pod and container tests: the calling test process moves into
// a network namespace of its own (so bridges, routes, iptables rules and traffic never touch the
// real host's), a local registry holding the pause and busybox images, a CNI network of real
// plugins (bridge + host-local + portmap) on a private subnet, and a crio configured to use them.

#include <memory>
#include <string>
#include <vector>

#include "daemon.h"
#include "process.h"
#include "registry.h"

namespace crio::testing {

// Moves this thread (and every child it starts from now on) into a fresh network namespace with
// loopback up. Idempotent per thread; fails the test on error.
void EnterPrivateNetworkNamespace();

struct NodeOptions {
  bool with_network = true;             // write the CNI config at start
  std::string extra_config;             // appended to crio.conf
  std::vector<std::string> extra_args;  // crio command-line flags (--hooks-dir DIR, ...)
  std::string dropin;                   // a crio.conf.d drop-in, for tables crio.conf has
};

class TestNode {
 public:
  // Subnet of the test network; the bridge takes .1.
  static constexpr const char* kSubnet = "10.89.0.0/16";
  static constexpr const char* kGateway = "10.89.0.1";

  explicit TestNode(NodeOptions options = {});
  ~TestNode();

  Daemon& daemon() { return *daemon_; }
  LocalRegistry& registry() { return *registry_; }
  const TempDir& dir() const { return dir_; }

  // Writes the CNI conflist into the network dir (for tests that start without one).
  void WriteNetworkConfig();
  std::filesystem::path network_dir() const { return dir_.path() / "net.d"; }
  std::filesystem::path namespaces_dir() const { return dir_.path() / "ns"; }
  std::filesystem::path ipam_dir() const { return dir_.path() / "ipam"; }
  std::string bridge() const { return bridge_; }
  std::string pause_image() const;
  std::string busybox_image() const;

  // A pod config with unique metadata, its own network, pid per container (no infra container).
  runtime::v1::PodSandboxConfig PodConfig(const std::string& name);
  // RunPodSandbox; fails the test on error.
  std::string RunPod(const runtime::v1::PodSandboxConfig& config);
  runtime::v1::PodSandboxStatusResponse PodStatus(const std::string& id, bool verbose = false);
  void StopAndRemovePod(const std::string& id);

  // Runs argv inside the pod network namespace file `netns`.
  RunResult InNetns(const std::string& netns, std::vector<std::string> argv);

 private:
  NodeOptions options_;
  TempDir dir_;
  std::string bridge_;
  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<Daemon> daemon_;
  std::vector<std::string> cgroup_parents_;  // made by PodConfig; removed like the kubelet does
};

}  // namespace crio::testing
