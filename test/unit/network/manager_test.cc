// CniManager against stand-in plugins that record what they are given: what we pass, in which
// order, and what we do with their answers. Real networking is in test/integration/cni_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"

#include "crio/network/cni.h"
#include "test_util.h"

namespace crio::network {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScratchDir;
using testing::Slurp;

constexpr char kFirstResult[] = R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/24"}]})";
constexpr char kSecondResult[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"br0"},{"name":"eth0","sandbox":"/x"}],)"
    R"("ips":[{"address":"10.9.9.9/16","gateway":"10.9.0.1","interface":1}]})";

template <class Condition>
bool Eventually(Condition condition, absl::Duration timeout = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

std::string Conflist(std::string_view name, std::string_view version, std::string_view plugins,
                     std::string_view extra = "") {
  return "{\"cniVersion\":\"" + std::string(version) + "\",\"name\":\"" + std::string(name) +
         "\"," + std::string(extra) + "\"plugins\":[" + std::string(plugins) + "]}";
}

constexpr char kTwoPlugins[] =
    R"({"type":"first","capabilities":{"portMappings":true}},{"type":"second","mtu":1400})";

class CniManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto name : {"first", "second", "third"})
      root_.Write("bin/" + std::string(name), testing::kFakePlugin, 0755);
    root_.Write("bin/first.result", kFirstResult);
    root_.Write("bin/second.result", kSecondResult);
    root_.Write("bin/third.result", kFirstResult);
    std::filesystem::create_directories(net_dir());
  }

  std::filesystem::path bin() const { return root_.path() / "bin"; }
  std::filesystem::path net_dir() const { return root_.path() / "net.d"; }
  std::filesystem::path cache() const { return root_.path() / "cache"; }

  CniOptions Options() const {
    CniOptions options;
    options.network_dir = net_dir();
    options.plugin_dirs = {root_.path() / "nothing-here", bin()};
    options.cache_dir = cache();
    options.watch = false;
    return options;
  }

  std::unique_ptr<CniManager> Make(CniOptions options) {
    auto manager = CniManager::Create(std::move(options));
    EXPECT_TRUE(manager.ok()) << manager.status();
    return *std::move(manager);
  }
  std::unique_ptr<CniManager> Make() { return Make(Options()); }

  void WriteConfig(const std::string& file, const std::string& text) {
    root_.Write("net.d/" + file, text);
  }
  std::string Calls() const { return Slurp(bin() / "calls.log"); }
  void ClearCalls() const { std::filesystem::remove(bin() / "calls.log"); }
  nlohmann::json Stdin(std::string_view plugin, std::string_view verb) const {
    return nlohmann::json::parse(
        Slurp(bin() / (std::string(plugin) + "." + std::string(verb) + ".stdin")));
  }
  std::vector<std::string> Env(std::string_view plugin, std::string_view verb) const {
    std::vector<std::string> lines;
    std::istringstream in(Slurp(bin() / (std::string(plugin) + "." + std::string(verb) + ".env")));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  static PodNetwork Pod(std::string id = "c0ffee01") {
    PodNetwork pod;
    pod.pod_id = id;
    pod.name = "web";
    pod.namespace_name = "prod";
    pod.uid = "uid-1";
    pod.netns = "/nonexistent/netns/" + id;
    return pod;
  }

  ScratchDir root_;
};

TEST_F(CniManagerTest, AttachRunsTheChainInOrderAndCachesTheResult) {
  std::string conflist = Conflist("fakenet", "1.0.0", kTwoPlugins);
  WriteConfig("10-fake.conflist", conflist);
  auto manager = Make();
  EXPECT_EQ(manager->DefaultNetworkName(), "fakenet");
  EXPECT_TRUE(manager->Status().ready);

  PodNetwork pod = Pod();
  pod.port_mappings = {{"tcp", 80, 8080, ""}};
  absl::StatusOr<AttachResult> result = manager->Attach(pod);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->network_name, "fakenet");
  ASSERT_EQ(result->ips.size(), 1u);
  EXPECT_EQ(result->ips[0].address, "10.9.9.9");
  EXPECT_EQ(result->ips[0].prefix_length, 16);
  EXPECT_EQ(result->ips[0].gateway, "10.9.0.1");
  EXPECT_EQ(result->ips[0].interface_name, "eth0");
  EXPECT_EQ(nlohmann::json::parse(result->result_json), nlohmann::json::parse(kSecondResult));
  EXPECT_EQ(Calls(), "ADD first\nADD second\n");

  nlohmann::json first = Stdin("first", "ADD");
  EXPECT_EQ(first["name"], "fakenet");
  EXPECT_EQ(first["cniVersion"], "1.0.0");
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_EQ(first["runtimeConfig"],
            nlohmann::json::parse(
                R"({"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]})"));
  nlohmann::json second = Stdin("second", "ADD");
  EXPECT_EQ(second["prevResult"], nlohmann::json::parse(kFirstResult));
  EXPECT_EQ(second["mtu"], 1400);
  EXPECT_FALSE(second.contains("runtimeConfig"));

  std::vector<std::string> env = Env("first", "ADD");
  EXPECT_THAT(env, Contains("CNI_COMMAND=ADD"));
  EXPECT_THAT(env, Contains("CNI_CONTAINERID=c0ffee01"));
  EXPECT_THAT(env, Contains("CNI_NETNS=/nonexistent/netns/c0ffee01"));
  EXPECT_THAT(env, Contains("CNI_IFNAME=eth0"));
  EXPECT_THAT(env, Contains("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web;"
                            "K8S_POD_INFRA_CONTAINER_ID=c0ffee01;K8S_POD_UID=uid-1"));
  EXPECT_THAT(
      env, Contains("CNI_PATH=" + (root_.path() / "nothing-here").string() + ":" + bin().string()));

  // libcni's file, with the exact bytes of the list.
  nlohmann::json cached =
      nlohmann::json::parse(Slurp(cache() / "results" / "fakenet-c0ffee01-eth0"));
  EXPECT_EQ(cached["kind"], "cniCacheV1");
  EXPECT_EQ(cached["result"], nlohmann::json::parse(kSecondResult));
  EXPECT_EQ(cached["capabilityArgs"]["portMappings"][0]["hostPort"], 8080);

  auto again = manager->CachedResult("c0ffee01");
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->ips[0].address, "10.9.9.9");
  EXPECT_EQ((*again)->network_name, "fakenet");
  auto none = manager->CachedResult("c0ffee02");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(manager->CachedResult("../x").ok());
}

TEST_F(CniManagerTest, DetachUsesTheCachedConfigurationAfterTheDirectoryChanged) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  PodNetwork pod = Pod();
  pod.port_mappings = {{"udp", 53, 5353, ""}};
  ASSERT_TRUE(manager->Attach(pod).ok());

  std::filesystem::remove(net_dir() / "10-fake.conflist");
  WriteConfig("10-new.conflist", Conflist("newnet", "1.0.0", R"({"type":"third"})"));
  manager->Reload();
  EXPECT_EQ(manager->DefaultNetworkName(), "newnet");
  ClearCalls();

  PodNetwork later = Pod();  // a caller that lost the port mappings still undoes them
  ASSERT_TRUE(manager->Detach(later).ok());
  EXPECT_EQ(Calls(), "DEL second\nDEL first\n");
  nlohmann::json first = Stdin("first", "DEL");
  EXPECT_EQ(first["name"], "fakenet");
  EXPECT_EQ(first["prevResult"], nlohmann::json::parse(kSecondResult));
  EXPECT_EQ(first["runtimeConfig"]["portMappings"][0]["hostPort"], 5353);
  // The namespace does not exist: not passed.
  EXPECT_THAT(Env("first", "DEL"), Not(Contains(HasSubstr("CNI_NETNS"))));
  EXPECT_FALSE(std::filesystem::exists(cache() / "results" / "fakenet-c0ffee01-eth0"));

  // Again: nothing cached, so the current default gets a DEL (plugins tolerate it).
  ClearCalls();
  ASSERT_TRUE(manager->Detach(later).ok());
  EXPECT_EQ(Calls(), "DEL third\n");
  EXPECT_FALSE(Stdin("third", "DEL").contains("prevResult"));
}

TEST_F(CniManagerTest, DetachPassesALiveNamespace) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  PodNetwork pod = Pod();
  pod.netns = "/proc/self/ns/net";
  ASSERT_TRUE(manager->Attach(pod).ok());
  ASSERT_TRUE(manager->Detach(pod).ok());
  EXPECT_THAT(Env("first", "DEL"), Contains("CNI_NETNS=/proc/self/ns/net"));
}

TEST_F(CniManagerTest, DetachOfAPodNeverAttachedWithoutAnyNetworkIsOk) {
  auto manager = Make();
  EXPECT_FALSE(manager->Status().ready);
  EXPECT_TRUE(manager->Detach(Pod()).ok());
  EXPECT_EQ(Calls(), "");
}

TEST_F(CniManagerTest, FailingDelIsRetried) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  ASSERT_TRUE(manager->Attach(Pod()).ok());
  ClearCalls();
  root_.Write("bin/second.fail-DEL", R"({"code":11,"msg":"try again"})");
  root_.Write("bin/second.failtimes-DEL", "2");
  ASSERT_TRUE(manager->Detach(Pod()).ok());
  EXPECT_EQ(Calls(), "DEL second\nDEL second\nDEL second\nDEL first\n");
}

TEST_F(CniManagerTest, DelThatKeepsFailingKeepsTheCache) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  ASSERT_TRUE(manager->Attach(Pod()).ok());
  root_.Write("bin/first.fail-DEL", R"({"code":5,"msg":"disk on fire","details":"sda"})");
  absl::Status status = manager->Detach(Pod());
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("plugin type=\"first\" name=\"fakenet\" failed (del): disk on fire: sda "
                        "(CNI error code 5)"));
  EXPECT_TRUE(std::filesystem::exists(cache() / "results" / "fakenet-c0ffee01-eth0"));
  std::filesystem::remove(bin() / "first.fail-DEL");
  EXPECT_TRUE(manager->Detach(Pod()).ok());
  EXPECT_FALSE(std::filesystem::exists(cache() / "results" / "fakenet-c0ffee01-eth0"));
}

TEST_F(CniManagerTest, FailedAddNamesThePluginAndCleansUp) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  root_.Write("bin/second.fail-ADD",
              R"({"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"no subnet"})");
  absl::StatusOr<AttachResult> result = manager->Attach(Pod());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("attaching pod prod/web (c0ffee01) to the CNI network \"fakenet\": "
                        "plugin type=\"second\" name=\"fakenet\" failed (add): bad config: "
                        "no subnet (CNI error code 7)"));
  EXPECT_EQ(Calls(), "ADD first\nADD second\nDEL second\nDEL first\n");
  EXPECT_FALSE(std::filesystem::exists(cache() / "results" / "fakenet-c0ffee01-eth0"));

  ClearCalls();
  root_.Write("bin/second.fail-ADD", "segmentation fault\n");
  result = manager->Attach(Pod());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("plugin type=\"second\" name=\"fakenet\" failed (add): exit status 1: "
                        "segmentation fault"));
}

TEST_F(CniManagerTest, BadResultIsAnError) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  root_.Write("bin/second.result", "not json");
  auto manager = Make();
  absl::StatusOr<AttachResult> result = manager->Attach(Pod());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("plugin type=\"second\" name=\"fakenet\" failed (add): its result is not "
                        "JSON"));
  root_.Write("bin/second.result", R"({"ips":[{"address":"nonsense"}]})");
  result = manager->Attach(Pod());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("invalid CNI result"));
}

TEST_F(CniManagerTest, SlowPluginTimesOut) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  root_.Write("bin/first.sleep", "3");
  CniOptions options = Options();
  options.plugin_timeout = absl::Milliseconds(300);
  auto manager = Make(options);
  absl::Time start = absl::Now();
  absl::StatusOr<AttachResult> result = manager->Attach(Pod());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("plugin type=\"first\" name=\"fakenet\" failed (add): did not finish "
                        "within 300ms"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(CniManagerTest, MissingPluginAtRunTime) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  std::filesystem::remove(bin() / "second");
  absl::StatusOr<AttachResult> result = manager->Attach(Pod());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("plugin type=\"second\" name=\"fakenet\" failed (add): no executable "
                        "plugin \"second\""));
}

TEST_F(CniManagerTest, CheckUsesTheCachedResult) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  absl::Status unattached = manager->Check(Pod());
  EXPECT_TRUE(absl::IsFailedPrecondition(unattached)) << unattached;
  ASSERT_TRUE(manager->Attach(Pod()).ok());
  ClearCalls();
  ASSERT_TRUE(manager->Check(Pod()).ok());
  EXPECT_EQ(Calls(), "CHECK first\nCHECK second\n");
  EXPECT_EQ(Stdin("first", "CHECK")["prevResult"], nlohmann::json::parse(kSecondResult));

  root_.Write("bin/second.fail-CHECK", R"({"code":100,"msg":"veth is down"})");
  absl::Status failed = manager->Check(Pod());
  EXPECT_THAT(std::string(failed.message()), HasSubstr("failed (check): veth is down"));
}

TEST_F(CniManagerTest, CheckIsSkippedWhenDisabledOrUnsupported) {
  for (auto [version, extra] :
       {std::pair{"1.0.0", "\"disableCheck\":true,"}, std::pair{"0.3.1", ""}}) {
    WriteConfig("10-fake.conflist", Conflist("fakenet", version, kTwoPlugins, extra));
    auto manager = Make();
    ASSERT_TRUE(manager->Attach(Pod()).ok());
    ClearCalls();
    EXPECT_TRUE(manager->Check(Pod()).ok());
    EXPECT_EQ(Calls(), "") << version;
    ASSERT_TRUE(manager->Detach(Pod()).ok());
    if (std::string(version) == "0.3.1") {
      EXPECT_FALSE(Stdin("first", "DEL").contains("prevResult"));  // DEL has none before 0.4.0
    }
  }
}

TEST_F(CniManagerTest, ReadinessMessages) {
  auto manager = Make();
  Readiness empty = manager->Status();
  EXPECT_FALSE(empty.ready);
  EXPECT_EQ(empty.reason, "NetworkPluginNotReady");
  EXPECT_EQ(empty.message, "Network plugin returns error: No CNI configuration file in " +
                               net_dir().string() + "/. Has your network provider started?");
  EXPECT_EQ(manager->DefaultNetworkName(), "");
  absl::StatusOr<AttachResult> result = manager->Attach(Pod());
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status()));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("No CNI configuration file"));

  WriteConfig("10-a.conflist", Conflist("a", "1.0.0", R"({"type":"first"})"));
  WriteConfig("20-b.conflist", Conflist("b", "1.0.0", R"({"type":"first"})"));
  CniOptions options = Options();
  options.default_network = "b";
  EXPECT_EQ(Make(options)->DefaultNetworkName(), "b");
  options.default_network = "c";
  Readiness missing = Make(options)->Status();
  EXPECT_FALSE(missing.ready);
  EXPECT_THAT(missing.message, HasSubstr("Network plugin returns error: the default network \"c\" "
                                         "(cni_default_network) is not defined"));
}

TEST_F(CniManagerTest, StatusVerbForVersion110) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.1.0", kTwoPlugins));
  auto manager = Make();
  EXPECT_TRUE(manager->Status().ready);
  EXPECT_EQ(Calls(), "STATUS first\nSTATUS second\n");
  std::vector<std::string> env = Env("first", "STATUS");
  EXPECT_THAT(env, Contains("CNI_COMMAND=STATUS"));
  EXPECT_THAT(env, Not(Contains(HasSubstr("CNI_CONTAINERID"))));
  EXPECT_EQ(Stdin("first", "STATUS")["name"], "fakenet");

  root_.Write("bin/second.fail-STATUS", R"({"code":50,"msg":"plugin not available"})");
  Readiness readiness = manager->Status();
  EXPECT_FALSE(readiness.ready);
  EXPECT_EQ(readiness.reason, "NetworkPluginNotReady");
  EXPECT_THAT(readiness.message,
              HasSubstr("Network plugin returns error: plugin type=\"second\" name=\"fakenet\" "
                        "failed (status): plugin not available (CNI error code 50)"));

  // Older versions have no STATUS: nothing is run.
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  manager->Reload();
  ClearCalls();
  EXPECT_TRUE(manager->Status().ready);
  EXPECT_EQ(Calls(), "");
}

TEST_F(CniManagerTest, GarbageCollectDeletesStaleAttachmentsAndSendsGc) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.1.0", kTwoPlugins));
  auto manager = Make();
  ASSERT_TRUE(manager->Attach(Pod("aaaa")).ok());
  ASSERT_TRUE(manager->Attach(Pod("bbbb")).ok());
  ClearCalls();
  ASSERT_TRUE(manager->GarbageCollect({"aaaa"}).ok());
  EXPECT_EQ(Calls(), "DEL second\nDEL first\nGC first\nGC second\n");
  EXPECT_EQ(Stdin("first", "DEL")["prevResult"], nlohmann::json::parse(kSecondResult));
  EXPECT_EQ(Stdin("first", "GC")["cni.dev/valid-attachments"],
            nlohmann::json::parse(R"([{"containerID":"aaaa","ifname":"eth0"}])"));
  EXPECT_TRUE(std::filesystem::exists(cache() / "results" / "fakenet-aaaa-eth0"));
  EXPECT_FALSE(std::filesystem::exists(cache() / "results" / "fakenet-bbbb-eth0"));

  // disableGC: stale attachments still go, but no GC verb.
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.1.0", kTwoPlugins, "\"disableGC\":true,"));
  manager->Reload();
  ClearCalls();
  ASSERT_TRUE(manager->GarbageCollect({}).ok());
  EXPECT_EQ(Calls(), "DEL second\nDEL first\n");
}

TEST_F(CniManagerTest, SingleConfFileIsCachedAsAList) {
  WriteConfig("10-one.conf", R"({"cniVersion":"0.4.0","name":"one","type":"first","x":1})");
  auto manager = Make();
  ASSERT_TRUE(manager->Attach(Pod()).ok());
  std::filesystem::remove(net_dir() / "10-one.conf");
  manager->Reload();
  ClearCalls();
  ASSERT_TRUE(manager->Detach(Pod()).ok());
  EXPECT_EQ(Calls(), "DEL first\n");
  EXPECT_EQ(Stdin("first", "DEL")["x"], 1);
  EXPECT_EQ(Stdin("first", "DEL")["prevResult"], nlohmann::json::parse(kFirstResult));
}

TEST_F(CniManagerTest, UnreadableCacheFallsBackToTheDefault) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", R"({"type":"third"})"));
  auto manager = Make();
  root_.Write("cache/results/fakenet-c0ffee01-eth0", "{garbage");
  ASSERT_TRUE(manager->Detach(Pod()).ok());
  EXPECT_EQ(Calls(), "DEL third\n");
  EXPECT_FALSE(std::filesystem::exists(cache() / "results" / "fakenet-c0ffee01-eth0"));
}

TEST_F(CniManagerTest, InvalidIdsAreRefused) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  PodNetwork pod = Pod("../../etc");
  EXPECT_TRUE(absl::IsInvalidArgument(manager->Attach(pod).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(manager->Detach(pod)));
  pod = Pod();
  pod.ifname = "eth0/x";
  EXPECT_TRUE(absl::IsInvalidArgument(manager->Check(pod)));
  EXPECT_EQ(Calls(), "");
}

TEST_F(CniManagerTest, ConcurrentAttachAndDetach) {
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  auto manager = Make();
  constexpr int kPods = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<AttachResult> result = manager->Attach(Pod("pod" + std::to_string(i)));
      if (!result.ok() || result->ips.size() != 1) ++failures;
      if (!manager->Detach(Pod("pod" + std::to_string(i))).ok()) ++failures;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  std::istringstream calls(Calls());
  int lines = 0;
  for (std::string line; std::getline(calls, line);) ++lines;
  EXPECT_EQ(lines, kPods * 4);
  EXPECT_TRUE(std::filesystem::is_empty(cache() / "results"));
}

TEST_F(CniManagerTest, WatcherReloadsWhenTheDirectoryAppearsAndChanges) {
  std::filesystem::remove(net_dir());
  CniOptions options = Options();
  options.watch = true;
  auto manager = Make(options);
  EXPECT_FALSE(manager->Status().ready);

  std::filesystem::create_directories(net_dir());
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  EXPECT_TRUE(Eventually([&] { return manager->Status().ready; }));
  EXPECT_EQ(manager->DefaultNetworkName(), "fakenet");

  WriteConfig("05-first.conflist", Conflist("earlier", "1.0.0", R"({"type":"third"})"));
  EXPECT_TRUE(Eventually([&] { return manager->DefaultNetworkName() == "earlier"; }));

  std::filesystem::remove(net_dir() / "05-first.conflist");
  std::filesystem::remove(net_dir() / "10-fake.conflist");
  EXPECT_TRUE(Eventually([&] { return !manager->Status().ready; }));

  // The directory itself goes and comes back.
  std::filesystem::remove_all(net_dir());
  std::filesystem::create_directories(net_dir());
  WriteConfig("10-fake.conflist", Conflist("fakenet", "1.0.0", kTwoPlugins));
  EXPECT_TRUE(Eventually([&] { return manager->Status().ready; }));
}

}  // namespace
}  // namespace crio::network
