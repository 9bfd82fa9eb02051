#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/network/cni_config.h"
#include "test_util.h"

namespace crio::network {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ScratchDir;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(CniVersionTest, SupportedSetAndOrdering) {
  for (auto version : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    EXPECT_TRUE(IsSupportedCniVersion(version)) << version;
  }
  for (auto version : {"0.1.0", "0.2.0", "2.0.0", "", "1.0"}) {
    EXPECT_FALSE(IsSupportedCniVersion(version)) << version;
  }
  EXPECT_LT(CompareCniVersions("0.3.1", "0.4.0"), 0);
  EXPECT_GT(CompareCniVersions("0.10.0", "0.4.0"), 0);
  EXPECT_EQ(CompareCniVersions("1.0", "1.0.0"), 0);
  EXPECT_GT(CompareCniVersions("1.1.0", "1.0.0"), 0);
}

TEST(ConfigListTest, ParsesAList) {
  constexpr char kText[] = R"({
    "cniVersion": "1.0.0", "name": "mynet", "disableCheck": true,
    "plugins": [
      {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local"}},
      {"type": "portmap", "capabilities": {"portMappings": true, "bandwidth": false}}
    ]})";
  auto list = ParseConfigList(kText, "87.conflist");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "mynet");
  EXPECT_EQ(list->cni_version, "1.0.0");
  EXPECT_TRUE(list->disable_check);
  EXPECT_FALSE(list->disable_gc);
  ASSERT_EQ(list->plugins.size(), 2u);
  EXPECT_EQ(list->plugins[0].type, "bridge");
  EXPECT_EQ(list->plugins[0].conf["bridge"], "cni0");
  EXPECT_TRUE(list->plugins[1].HasCapability("portMappings"));
  EXPECT_FALSE(list->plugins[1].HasCapability("bandwidth"));
  EXPECT_FALSE(list->plugins[0].HasCapability("portMappings"));
  EXPECT_EQ(list->bytes, kText);  // exactly the file's bytes, for the cache
  EXPECT_EQ(list->source, "87.conflist");
}

TEST(ConfigListTest, FlagsAsStrings) {
  auto list = ParseConfigList(
      R"({"cniVersion":"1.1.0","name":"n","disableCheck":"true","disableGC":"True",
          "plugins":[{"type":"x"}]})",
      "f");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->disable_check);
  EXPECT_TRUE(list->disable_gc);
  EXPECT_THAT(Message(ParseConfigList(
                          R"({"cniVersion":"1.0.0","name":"n","disableCheck":"yes",
                              "plugins":[{"type":"x"}]})",
                          "f")
                          .status()),
              HasSubstr("\"disableCheck\" must be true or false"));
}

TEST(ConfigListTest, CniVersionsPicksTheBestSupported) {
  auto list = ParseConfigList(
      R"({"cniVersion":"0.4.0","cniVersions":["0.3.1","1.0.0","9.0.0"],"name":"n",
          "plugins":[{"type":"x"}]})",
      "f");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->cni_version, "1.0.0");
  auto none = ParseConfigList(
      R"({"cniVersions":["0.2.0","9.0.0"],"name":"n","plugins":[{"type":"x"}]})", "f");
  EXPECT_THAT(Message(none.status()), HasSubstr("none of cniVersions [0.2.0, 9.0.0] is supported"));
}

TEST(ConfigListTest, RejectsInvalidLists) {
  struct Case {
    const char* text;
    const char* reason;
  } cases[] = {
      {"{", "f: invalid JSON"},
      {"[]", "f: not a JSON object"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"x"}]})", "f: no network name"},
      {R"({"cniVersion":"1.0.0","name":"a/b","plugins":[{"type":"x"}]})",
       "invalid network name \"a/b\""},
      {R"({"cniVersion":"1.0.0","name":"n"})", "f: no plugins"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[]})", "f: no plugins"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"mtu":1}]})",
       "f: plugin 2 has no type"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../bin/sh"}]})",
       "plugin 1 has an invalid type \"../bin/sh\""},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a","capabilities":[]}]})",
       "\"capabilities\" must be an object"},
      {R"({"name":"n","plugins":[{"type":"a"}]})", "f: no cniVersion"},
      {R"({"cniVersion":"0.2.0","name":"n","plugins":[{"type":"a"}]})",
       "f: cniVersion \"0.2.0\" is not supported (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)"},
      {R"({"cniVersion":"2.0.0","name":"n","plugins":[{"type":"a"}]})",
       "cniVersion \"2.0.0\" is not supported"},
  };
  for (const auto& c : cases) {
    auto list = ParseConfigList(c.text, "f");
    ASSERT_FALSE(list.ok()) << c.text;
    EXPECT_THAT(Message(list.status()), HasSubstr(c.reason)) << c.text;
  }
}

TEST(SingleConfigTest, WrapsIntoAList) {
  auto list = ParseSingleConfig(
      R"({"cniVersion":"0.3.1","name":"single","type":"bridge","bridge":"br9"})", "10.conf");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "single");
  EXPECT_EQ(list->cni_version, "0.3.1");
  ASSERT_EQ(list->plugins.size(), 1u);
  EXPECT_EQ(list->plugins[0].type, "bridge");
  EXPECT_EQ(list->plugins[0].conf["bridge"], "br9");
  // The synthesized list reads back as the same network: what the cache relies on.
  auto again = ParseConfigList(list->bytes, "cache");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name, "single");
  EXPECT_EQ(again->plugins[0].conf, list->plugins[0].conf);

  EXPECT_THAT(Message(ParseSingleConfig(R"({"cniVersion":"1.0.0","name":"n"})", "f").status()),
              HasSubstr("f: no type"));
  EXPECT_THAT(
      Message(ParseSingleConfig(R"({"cniVersion":"0.1.0","name":"n","type":"x"})", "f").status()),
      HasSubstr("not supported"));
  auto list_in_conf =
      ParseSingleConfig(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x"}]})", "f.conf");
  EXPECT_TRUE(list_in_conf.ok()) << list_in_conf.status();
}

class NetworkDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto name : {"bridge", "host-local", "portmap", "loopback"}) {
      plugins_.Write(name, "#!/bin/sh\nexit 0\n", 0755);
    }
    plugins_.Write("not-executable", "", 0644);
  }
  NetworkDirScan Scan() { return ScanNetworkDir(configs_.path(), {missing_dir_, plugins_.path()}); }

  ScratchDir configs_;
  ScratchDir plugins_;
  std::filesystem::path missing_dir_ = "/nonexistent/cni/bin";
};

std::string List(std::string_view name, std::string_view type = "bridge",
                 std::string_view version = "1.0.0") {
  return "{\"cniVersion\":\"" + std::string(version) + "\",\"name\":\"" + std::string(name) +
         "\",\"plugins\":[{\"type\":\"" + std::string(type) + "\"}]}";
}

TEST_F(NetworkDirTest, LoadsInLexicalOrderAndSkipsWithReasons) {
  configs_.Write("20-b.conflist", List("b"));
  configs_.Write("10-a.conf", R"({"cniVersion":"0.4.0","name":"a","type":"bridge"})");
  configs_.Write("30-c.json", R"({"cniVersion":"1.0.0","name":"c","type":"loopback"})");
  configs_.Write("05-broken.conflist", "{not json");
  configs_.Write("06-old.conflist", List("old", "bridge", "0.2.0"));
  configs_.Write("07-missing.conflist", List("missing", "flannel"));
  configs_.Write("08-noexec.conflist", List("noexec", "not-executable"));
  configs_.Write("25-dup.conflist", List("a"));
  configs_.Write("99-ignored.txt", List("txt"));
  configs_.Write("98-ignored.conflist.bak", List("bak"));
  std::filesystem::create_directory(configs_.path() / "40-dir.conflist");

  NetworkDirScan scan = Scan();
  std::vector<std::string> names;
  for (const auto& network : scan.networks) names.push_back(network.name);
  EXPECT_THAT(names, ElementsAre("a", "b", "c"));
  EXPECT_EQ(scan.networks[0].source, configs_.path() / "10-a.conf");

  std::vector<std::string> skipped;
  for (const auto& s : scan.skipped) skipped.push_back(s.file.filename().string());
  EXPECT_THAT(skipped, ElementsAre("05-broken.conflist", "06-old.conflist", "07-missing.conflist",
                                   "08-noexec.conflist", "25-dup.conflist"));
  EXPECT_THAT(scan.skipped[0].reason, HasSubstr("invalid JSON"));
  EXPECT_THAT(scan.skipped[1].reason, HasSubstr("cniVersion \"0.2.0\" is not supported"));
  EXPECT_THAT(scan.skipped[2].reason,
              HasSubstr("no executable plugin \"flannel\" in /nonexistent/cni/bin:" +
                        plugins_.path().string()));
  EXPECT_THAT(scan.skipped[3].reason, HasSubstr("no executable plugin \"not-executable\""));
  EXPECT_THAT(scan.skipped[4].reason, HasSubstr("network \"a\" is already defined by " +
                                                (configs_.path() / "10-a.conf").string()));
}

TEST_F(NetworkDirTest, FindsPluginsInOrder) {
  ScratchDir other;
  other.Write("bridge", "#!/bin/sh\n", 0755);
  auto found = FindPlugin("bridge", {other.path(), plugins_.path()});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, other.path() / "bridge");
  found = FindPlugin("portmap", {other.path(), plugins_.path()});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, plugins_.path() / "portmap");
  EXPECT_FALSE(FindPlugin("nope", {other.path()}).ok());
}

TEST_F(NetworkDirTest, DefaultIsTheFirstValidOrTheNamedOne) {
  configs_.Write("10-a.conflist", List("a"));
  configs_.Write("20-b.conflist", List("b"));
  NetworkDirScan scan = Scan();
  auto first = SelectDefaultNetwork(scan, "", configs_.path());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(scan.networks[*first].name, "a");
  auto named = SelectDefaultNetwork(scan, "b", configs_.path());
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(scan.networks[*named].name, "b");
  auto missing = SelectDefaultNetwork(scan, "zzz", configs_.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status()));
  EXPECT_THAT(Message(missing.status()),
              HasSubstr("the default network \"zzz\" (cni_default_network) is not defined"));
}

TEST_F(NetworkDirTest, EmptyOrMissingDirectoryHasNoDefault) {
  auto empty = SelectDefaultNetwork(Scan(), "", configs_.path());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(Message(empty.status()), "No CNI configuration file in " + configs_.path().string() +
                                         "/. Has your network provider started?");
  NetworkDirScan missing = ScanNetworkDir("/nonexistent/net.d", {plugins_.path()});
  EXPECT_TRUE(missing.networks.empty());
  EXPECT_TRUE(missing.skipped.empty());
}

TEST_F(NetworkDirTest, FollowsSymlinkedFiles) {
  ScratchDir elsewhere;
  auto target = elsewhere.Write("real.conflist", List("linked"));
  std::filesystem::create_symlink(target, configs_.path() / "50-linked.conflist");
  NetworkDirScan scan = Scan();
  ASSERT_EQ(scan.networks.size(), 1u);
  EXPECT_EQ(scan.networks[0].name, "linked");
}

}  // namespace
}  // namespace crio::network
