// CniManager with the real plugins (/usr/lib/cni: bridge, host-local, portmap): pods get
// addresses that answer, DEL frees them whatever happened in between, errors name the plugin,
// and readiness follows the configuration directory.
//
// Network rule: nothing here may touch the host's network. The test process moves itself into a
// fresh network namespace before any test runs (gtest runs environments and tests on the main
// thread, and plugins are forked from it), so the bridge, its routes and the portmap rules live
// there; pod namespaces are created by the test and bind-mounted under its temporary directory.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "crio/network/cni.h"
#include "process.h"

namespace crio::testing {
namespace {

using network::AttachResult;
using network::CniManager;
using network::CniOptions;
using network::PodNetwork;
using ::testing::HasSubstr;

constexpr char kPluginDir[] = "/usr/lib/cni";
constexpr char kNetworkName[] = "crio-cni-test";
constexpr char kBridge[] = "cnitest0";

// Why the tests cannot run here; "" once the process sits in its own network namespace.
std::string& SkipReason() {
  static std::string reason = "the isolated network namespace was not set up";
  return reason;
}

class IsolatedNetwork : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::geteuid() != 0) {
      SkipReason() = "needs root (network namespaces)";
      return;
    }
    for (auto plugin : {"bridge", "host-local", "portmap"}) {
      if (::access((std::filesystem::path(kPluginDir) / plugin).c_str(), X_OK) != 0) {
        SkipReason() = std::string("no ") + kPluginDir + "/" + plugin +
                       " (Debian package containernetworking-plugins)";
        return;
      }
    }
    if (::unshare(CLONE_NEWNET) != 0) {
      SkipReason() = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    RunResult lo = crio::testing::Run({"ip", "link", "set", "lo", "up"});
    if (lo.exit_code != 0) {
      SkipReason() = "ip link set lo up: " + lo.output;
      return;
    }
    SkipReason() = "";
  }
};

::testing::Environment* const kIsolatedNetwork =
    ::testing::AddGlobalTestEnvironment(new IsolatedNetwork);

// A pod's network namespace, pinned by a bind mount on a file of the test's directory.
class PodNetns {
 public:
  explicit PodNetns(const std::filesystem::path& dir)
      : path_(dir / ("netns-" + RandomHexId().substr(0, 12))) {
    std::ofstream(path_).flush();
    RunResult made =
        crio::testing::Run({"unshare", "--net=" + path_.string(), "ip", "link", "set", "lo", "up"});
    EXPECT_EQ(made.exit_code, 0) << made.output;
  }
  ~PodNetns() { Remove(); }
  PodNetns(const PodNetns&) = delete;
  PodNetns& operator=(const PodNetns&) = delete;

  const std::filesystem::path& path() const { return path_; }
  RunResult Exec(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"nsenter", "--net=" + path_.string()});
    return crio::testing::Run(argv);
  }
  void Remove() {
    if (removed_) return;
    removed_ = true;
    ::umount2(path_.c_str(), MNT_DETACH);
    ::unlink(path_.c_str());
  }

 private:
  std::filesystem::path path_;
  bool removed_ = false;
};

std::string BridgeConflist(const std::filesystem::path& ipam_dir,
                           std::string_view subnet = "10.89.0.0/16",
                           std::string_view name = kNetworkName,
                           std::string_view bridge = kBridge) {
  nlohmann::json list = {{"cniVersion", "1.0.0"},
                         {"name", name},
                         {"plugins",
                          {{{"type", "bridge"},
                            {"bridge", bridge},
                            {"isGateway", true},
                            {"ipMasq", false},
                            {"hairpinMode", true},
                            {"ipam",
                             {{"type", "host-local"},
                              {"dataDir", ipam_dir.string()},
                              {"ranges", {{{{"subnet", subnet}}}}},
                              {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
                           {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
  return list.dump(2);
}

class CniIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SkipReason().empty()) GTEST_SKIP() << SkipReason();
    std::filesystem::create_directories(net_dir());
  }
  void TearDown() override {
    manager_.reset();
    pods_.clear();
    // Everything this test mounted (pod namespaces) is gone.
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0);
    // The next test starts without a bridge.
    crio::testing::Run({"ip", "link", "del", kBridge});
  }

  std::filesystem::path net_dir() const { return dir_.path() / "net.d"; }
  std::filesystem::path ipam_dir() const { return dir_.path() / "ipam"; }
  std::filesystem::path cache_dir() const { return dir_.path() / "cache"; }
  std::filesystem::path IpamFile(const std::string& ip) const {
    return ipam_dir() / kNetworkName / ip;
  }
  std::filesystem::path CacheFile(const std::string& pod_id) const {
    return cache_dir() / "results" / (std::string(kNetworkName) + "-" + pod_id + "-eth0");
  }

  CniManager& Manager() {
    if (!manager_) {
      CniOptions options;
      options.network_dir = net_dir();
      options.plugin_dirs = {"/opt/cni/bin", kPluginDir};
      options.cache_dir = cache_dir();
      options.plugin_timeout = absl::Seconds(30);
      auto manager = CniManager::Create(options);
      EXPECT_TRUE(manager.ok()) << manager.status();
      manager_ = *std::move(manager);
    }
    return *manager_;
  }

  void WriteConfig(const std::string& name, const std::string& text) {
    // Written whole and renamed into place, as a network provider should.
    dir_.Write("staging/" + name, text);
    std::filesystem::rename(dir_.path() / "staging" / name, net_dir() / name);
  }

  PodNetwork NewPod(const std::string& name) {
    pods_.push_back(std::make_unique<PodNetns>(dir_.path()));
    PodNetwork pod;
    pod.pod_id = RandomHexId();
    pod.name = name;
    pod.namespace_name = "default";
    pod.uid = RandomHexId().substr(0, 8);
    pod.netns = pods_.back()->path();
    return pod;
  }
  PodNetns& Netns(const PodNetwork& pod) {
    for (auto& netns : pods_) {
      if (netns->path() == pod.netns) return *netns;
    }
    throw std::runtime_error("unknown pod");
  }

  static std::string Ipv4(const AttachResult& result) {
    for (const auto& ip : result.ips) {
      if (ip.address.find(':') == std::string::npos) return ip.address;
    }
    return "";
  }

  TempDir dir_;
  std::vector<std::unique_ptr<PodNetns>> pods_;
  std::unique_ptr<CniManager> manager_;
};

TEST_F(CniIntegrationTest, PodsGetReachableAddressesAndDetachFreesThem) {
  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  ASSERT_TRUE(Manager().Status().ready) << Manager().Status().message;
  EXPECT_EQ(Manager().DefaultNetworkName(), kNetworkName);

  PodNetwork a = NewPod("a");
  a.port_mappings = {{"tcp", 80, 18080, ""}};
  PodNetwork b = NewPod("b");
  absl::StatusOr<AttachResult> a_result = Manager().Attach(a);
  ASSERT_TRUE(a_result.ok()) << a_result.status();
  absl::StatusOr<AttachResult> b_result = Manager().Attach(b);
  ASSERT_TRUE(b_result.ok()) << b_result.status();

  EXPECT_EQ(a_result->network_name, kNetworkName);
  ASSERT_EQ(a_result->ips.size(), 1u);
  std::string a_ip = a_result->ips[0].address, b_ip = Ipv4(*b_result);
  EXPECT_TRUE(a_ip.starts_with("10.89.")) << a_ip;
  EXPECT_TRUE(b_ip.starts_with("10.89.")) << b_ip;
  EXPECT_NE(a_ip, b_ip);
  EXPECT_EQ(a_result->ips[0].prefix_length, 16);
  EXPECT_EQ(a_result->ips[0].gateway, "10.89.0.1");
  EXPECT_EQ(a_result->ips[0].interface_name, "eth0");

  RunResult addr = Netns(a).Exec({"ip", "-4", "addr", "show", "eth0"});
  EXPECT_EQ(addr.exit_code, 0) << addr.output;
  EXPECT_THAT(addr.output, HasSubstr("inet " + a_ip + "/16"));
  RunResult from_host = crio::testing::Run({"busybox", "ping", "-c1", "-W2", a_ip});
  EXPECT_EQ(from_host.exit_code, 0) << from_host.output;
  RunResult pod_to_pod = Netns(a).Exec({"busybox", "ping", "-c1", "-W2", b_ip});
  EXPECT_EQ(pod_to_pod.exit_code, 0) << pod_to_pod.output;

  // host-local's allocation, in the data directory we gave it, keyed by the pod id.
  ASSERT_TRUE(std::filesystem::exists(IpamFile(a_ip)));
  EXPECT_THAT(ReadAll(IpamFile(a_ip)), HasSubstr(a.pod_id));
  EXPECT_TRUE(std::filesystem::exists(CacheFile(a.pod_id)));
  // portmap got the port mapping through runtimeConfig.
  RunResult nat = crio::testing::Run({"iptables", "-t", "nat", "-S"});
  EXPECT_THAT(nat.output, HasSubstr("--dport 18080"));
  auto cached = Manager().CachedResult(a.pod_id);
  ASSERT_TRUE(cached.ok() && cached->has_value());
  EXPECT_EQ((*cached)->ips[0].address, a_ip);
  // On b: portmap 1.1.1's CHECK wrongly looks for an IPv6 chain whenever there are mappings.
  absl::Status checked = Manager().Check(b);
  EXPECT_TRUE(checked.ok()) << checked;

  ASSERT_TRUE(Manager().Detach(a).ok());
  EXPECT_FALSE(std::filesystem::exists(IpamFile(a_ip)));
  EXPECT_FALSE(std::filesystem::exists(CacheFile(a.pod_id)));
  EXPECT_NE(Netns(a).Exec({"ip", "link", "show", "eth0"}).exit_code, 0);
  EXPECT_THAT(crio::testing::Run({"iptables", "-t", "nat", "-S"}).output,
              ::testing::Not(HasSubstr("18080")));
  EXPECT_NE(crio::testing::Run({"busybox", "ping", "-c1", "-W1", a_ip}).exit_code, 0);
  // DEL is idempotent.
  EXPECT_TRUE(Manager().Detach(a).ok());

  ASSERT_TRUE(Manager().Detach(b).ok());
  EXPECT_FALSE(std::filesystem::exists(IpamFile(b_ip)));
}

TEST_F(CniIntegrationTest, CheckNoticesABrokenAttachment) {
  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  PodNetwork pod = NewPod("checked");
  ASSERT_TRUE(Manager().Attach(pod).ok());
  EXPECT_TRUE(Manager().Check(pod).ok());
  ASSERT_EQ(Netns(pod).Exec({"ip", "link", "del", "eth0"}).exit_code, 0);
  absl::Status broken = Manager().Check(pod);
  EXPECT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.message()), HasSubstr("plugin type=\"bridge\""));
  EXPECT_TRUE(Manager().Detach(pod).ok());
}

TEST_F(CniIntegrationTest, DetachAfterTheNamespaceWentAwayStillFreesTheAddress) {
  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  PodNetwork pod = NewPod("gone");
  absl::StatusOr<AttachResult> result = Manager().Attach(pod);
  ASSERT_TRUE(result.ok()) << result.status();
  std::string ip = Ipv4(*result);
  ASSERT_TRUE(std::filesystem::exists(IpamFile(ip)));

  Netns(pod).Remove();  // the veth pair dies with the namespace
  absl::Status detached = Manager().Detach(pod);
  EXPECT_TRUE(detached.ok()) << detached;
  EXPECT_FALSE(std::filesystem::exists(IpamFile(ip)));
  EXPECT_FALSE(std::filesystem::exists(CacheFile(pod.pod_id)));
}

TEST_F(CniIntegrationTest, DetachUsesTheCacheAfterTheConfigurationChanged) {
  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  PodNetwork pod = NewPod("changed");
  pod.port_mappings = {{"udp", 53, 15353, ""}};
  absl::StatusOr<AttachResult> result = Manager().Attach(pod);
  ASSERT_TRUE(result.ok()) << result.status();
  std::string ip = Ipv4(*result);

  // The provider removes its file; then another network (other name, subnet and data dir)
  // takes its place.
  std::filesystem::remove(net_dir() / "10-test.conflist");
  ASSERT_TRUE(Eventually([&] { return !Manager().Status().ready; }));
  WriteConfig("20-other.conflist",
              BridgeConflist(dir_.path() / "ipam-other", "10.90.0.0/16", "other-net", "cnitest1"));
  ASSERT_TRUE(Eventually([&] { return Manager().DefaultNetworkName() == "other-net"; }));

  absl::Status detached = Manager().Detach(pod);
  EXPECT_TRUE(detached.ok()) << detached;
  EXPECT_FALSE(std::filesystem::exists(IpamFile(ip)));
  EXPECT_FALSE(std::filesystem::exists(CacheFile(pod.pod_id)));
  EXPECT_THAT(crio::testing::Run({"iptables", "-t", "nat", "-S"}).output,
              ::testing::Not(HasSubstr("15353")));
  crio::testing::Run({"ip", "link", "del", "cnitest1"});
}

TEST_F(CniIntegrationTest, BrokenPluginConfigurationGivesAnErrorNamingThePlugin) {
  nlohmann::json list = nlohmann::json::parse(BridgeConflist(ipam_dir()));
  list["plugins"][0]["ipam"]["ranges"] = {{{{"subnet", "banana"}}}};
  WriteConfig("10-test.conflist", list.dump());
  PodNetwork pod = NewPod("broken");
  absl::StatusOr<AttachResult> result = Manager().Attach(pod);
  ASSERT_FALSE(result.ok());
  std::string message(result.status().message());
  EXPECT_THAT(message, HasSubstr("plugin type=\"bridge\" name=\"crio-cni-test\" failed (add): "));
  EXPECT_THAT(message, HasSubstr("banana"));
  EXPECT_FALSE(std::filesystem::exists(CacheFile(pod.pod_id)));

  // Without a cached attachment DEL goes through the same broken configuration, and says so.
  absl::Status detached = Manager().Detach(pod);
  EXPECT_FALSE(detached.ok());
  EXPECT_THAT(std::string(detached.message()),
              HasSubstr("plugin type=\"bridge\" name=\"crio-cni-test\" failed (del): "));
  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  ASSERT_TRUE(Eventually([&] { return Manager().Status().ready; }));
  ASSERT_TRUE(Eventually([&] { return Manager().Detach(pod).ok(); }));
}

TEST_F(CniIntegrationTest, ReadinessFollowsTheConfigurationDirectory) {
  network::Readiness empty = Manager().Status();
  EXPECT_FALSE(empty.ready);
  EXPECT_EQ(empty.reason, "NetworkPluginNotReady");
  EXPECT_EQ(empty.message, "Network plugin returns error: No CNI configuration file in " +
                               net_dir().string() + "/. Has your network provider started?");

  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  EXPECT_TRUE(Eventually([&] { return Manager().Status().ready; }, std::chrono::seconds(5)));
  EXPECT_EQ(Manager().DefaultNetworkName(), kNetworkName);

  std::filesystem::remove(net_dir() / "10-test.conflist");
  EXPECT_TRUE(Eventually([&] { return !Manager().Status().ready; }, std::chrono::seconds(5)));
  EXPECT_EQ(Manager().DefaultNetworkName(), "");
}

TEST_F(CniIntegrationTest, NetworkDirectoryCreatedLater) {
  std::filesystem::remove(net_dir());
  EXPECT_FALSE(Manager().Status().ready);
  std::filesystem::create_directories(net_dir());
  WriteConfig("10-test.conflist", BridgeConflist(ipam_dir()));
  EXPECT_TRUE(Eventually([&] { return Manager().Status().ready; }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace crio::testing
