#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "crio/common/encoding.h"
#include "crio/network/cni_cache.h"
#include "test_util.h"

namespace crio::network {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ScratchDir;

CacheEntry Sample(std::string id = "c0ffee", std::string network = "mynet") {
  CacheEntry entry;
  entry.container_id = id;
  entry.ifname = "eth0";
  entry.network_name = network;
  entry.netns = "/var/run/netns/ns1";
  entry.config_bytes = R"({"cniVersion":"1.0.0","name":"mynet","plugins":[{"type":"bridge"}]})";
  entry.cni_args = {{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "web"}};
  entry.capability_args = {{"portMappings", {{{"hostPort", 80}}}}};
  entry.result = nlohmann::json::parse(R"({"cniVersion":"1.0.0","ips":[]})");
  return entry;
}

TEST(Base64Test, DecodesWhatEncodeMakes) {
  for (std::string text : {"", "a", "ab", "abc", "abcd", "{\"x\":\n1}\xff\x00"}) {
    auto decoded = Base64Decode(crio::Base64Encode(text));
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(*decoded, text);
  }
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  for (auto bad : {"a", "abc", "ab=c", "a===", "ab$d", "=abc", "YQ==YQ=="}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

TEST(CacheEntryTest, LibcniLayoutRoundTrips) {
  CacheEntry entry = Sample();
  nlohmann::json json = nlohmann::json::parse(SerializeCacheEntry(entry));
  EXPECT_EQ(json["kind"], "cniCacheV1");
  EXPECT_EQ(json["containerId"], "c0ffee");
  EXPECT_EQ(json["ifName"], "eth0");
  EXPECT_EQ(json["networkName"], "mynet");
  EXPECT_EQ(json["config"], crio::Base64Encode(entry.config_bytes));
  EXPECT_EQ(json["cniArgs"],
            nlohmann::json::parse(R"([["IgnoreUnknown","1"],["K8S_POD_NAME","web"]])"));
  EXPECT_EQ(json["capabilityArgs"], entry.capability_args);
  EXPECT_EQ(json["result"], *entry.result);

  auto back = ParseCacheEntry(SerializeCacheEntry(entry), "f");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->config_bytes, entry.config_bytes);
  EXPECT_EQ(back->cni_args, entry.cni_args);
  EXPECT_EQ(back->netns, entry.netns);
  EXPECT_EQ(back->capability_args, entry.capability_args);
  EXPECT_EQ(back->result, entry.result);
}

TEST(CacheEntryTest, ReadsAFileWrittenByLibcni) {
  // As CRI-O's libcni writes it (its []byte config is base64, empty fields omitted).
  constexpr char kLibcni[] =
      R"({"kind":"cniCacheV1","containerId":"5a1f","config":"eyJjbmlWZXJzaW9uIjoiMC40LjAiLCJuYW1lIjoiY3Jpby1icmlkZ2UiLCJwbHVnaW5zIjpbeyJ0eXBlIjoiYnJpZGdlIn1dfQ==","ifName":"eth0","networkName":"crio-bridge","cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","default"]],"result":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.85.0.3/16","gateway":"10.85.0.1"}]}})";
  auto entry = ParseCacheEntry(kLibcni, "f");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->config_bytes,
            R"({"cniVersion":"0.4.0","name":"crio-bridge","plugins":[{"type":"bridge"}]})");
  EXPECT_EQ(entry->netns, "");
  EXPECT_TRUE(entry->capability_args.empty());
  EXPECT_EQ((*entry->result)["ips"][0]["address"], "10.85.0.3/16");
}

TEST(CacheEntryTest, RejectsForeignFiles) {
  EXPECT_THAT(std::string(ParseCacheEntry("{", "f").status().message()), HasSubstr("invalid JSON"));
  EXPECT_THAT(std::string(ParseCacheEntry(R"({"kind":"v2"})", "f").status().message()),
              HasSubstr("unknown kind \"v2\""));
  EXPECT_FALSE(ParseCacheEntry(R"({"kind":"cniCacheV1","containerId":"a"})", "f").ok());
  EXPECT_FALSE(ParseCacheEntry(R"({"kind":"cniCacheV1","containerId":"a","ifName":"eth0",
      "networkName":"n","config":"!!!!"})",
                               "f")
                   .ok());
  EXPECT_FALSE(ParseCacheEntry(R"({"kind":"cniCacheV1","containerId":"a","ifName":"eth0",
      "networkName":"n","config":"","cniArgs":[["a"]]})",
                               "f")
                   .ok());
}

TEST(CacheFilesTest, WriteFindListRemove) {
  ScratchDir dir;
  std::filesystem::path cache = dir.path() / "var-lib-cni";
  ASSERT_TRUE(WriteCacheEntry(cache, Sample("c0ffee", "mynet")).ok());
  ASSERT_TRUE(WriteCacheEntry(cache, Sample("c0ffee", "old-net")).ok());
  ASSERT_TRUE(WriteCacheEntry(cache, Sample("00c0ffee", "mynet")).ok());
  std::filesystem::path file = cache / "results" / "mynet-c0ffee-eth0";
  EXPECT_EQ(CacheFile(cache, "mynet", "c0ffee", "eth0"), file);
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((cache / "results").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  dir.Write("var-lib-cni/results/broken-c0ffee-eth0", "garbage");

  CacheLookup found = FindCacheEntries(cache, "c0ffee", "eth0");
  std::vector<std::string> networks;
  for (const auto& entry : found.entries) networks.push_back(entry.network_name);
  EXPECT_THAT(networks, ElementsAre("mynet", "old-net"));
  EXPECT_EQ(found.entries[0].file, file);
  EXPECT_THAT(found.unreadable, ElementsAre(cache / "results" / "broken-c0ffee-eth0"));
  EXPECT_TRUE(FindCacheEntries(cache, "c0ffee", "net1").entries.empty());

  EXPECT_EQ(ListCacheEntries(cache).entries.size(), 3u);
  ASSERT_TRUE(RemoveCacheFile(file).ok());
  ASSERT_TRUE(RemoveCacheFile(file).ok());  // already gone is fine
  EXPECT_EQ(FindCacheEntries(cache, "c0ffee", "eth0").entries.size(), 1u);
  EXPECT_TRUE(FindCacheEntries(dir.path() / "none", "c0ffee", "eth0").entries.empty());
}

TEST(CacheFilesTest, SuffixCollisionIsFilteredByContent) {
  ScratchDir dir;
  // "net-b-c0ffee-eth0" ends like c0ffee's file name would; the entry's own fields decide.
  CacheEntry other = Sample("b-c0ffee", "net");
  ASSERT_TRUE(WriteCacheEntry(dir.path(), other).ok());  // net-b-c0ffee-eth0
  EXPECT_TRUE(FindCacheEntries(dir.path(), "c0ffee", "eth0").entries.empty());
  EXPECT_EQ(FindCacheEntries(dir.path(), "b-c0ffee", "eth0").entries.size(), 1u);
}

}  // namespace
}  // namespace crio::network
