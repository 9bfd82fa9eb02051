#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/network/cni_result.h"

namespace crio::network {
namespace {

using ::testing::HasSubstr;

std::vector<PodIp> Ips(std::string_view text) {
  auto ips = PodIpsFromResult(nlohmann::json::parse(text), "eth0");
  EXPECT_TRUE(ips.ok()) << ips.status();
  return ips.value_or(std::vector<PodIp>{});
}

void ExpectIp(const PodIp& ip, std::string_view address, int prefix, std::string_view gateway,
              std::string_view interface) {
  EXPECT_EQ(ip.address, address);
  EXPECT_EQ(ip.prefix_length, prefix);
  EXPECT_EQ(ip.gateway, gateway);
  EXPECT_EQ(ip.interface_name, interface);
}

TEST(CniResultTest, Version100FromBridge) {
  auto ips = Ips(R"({
    "cniVersion": "1.0.0",
    "interfaces": [
      {"name": "cni0", "mac": "7e:1c:8d:3c:7d:01"},
      {"name": "veth3d2b1c0e", "mac": "a2:5d:11:0b:1f:02"},
      {"name": "eth0", "mac": "0a:58:0a:58:00:05", "sandbox": "/var/run/netns/cni-1"}],
    "ips": [
      {"interface": 2, "address": "10.88.0.5/16", "gateway": "10.88.0.1"},
      {"interface": 2, "address": "fd00:10:88::5/64", "gateway": "fd00:10:88::1"}],
    "routes": [{"dst": "0.0.0.0/0"}],
    "dns": {}})");
  ASSERT_EQ(ips.size(), 2u);
  ExpectIp(ips[0], "10.88.0.5", 16, "10.88.0.1", "eth0");
  ExpectIp(ips[1], "fd00:10:88::5", 64, "fd00:10:88::1", "eth0");
}

TEST(CniResultTest, Version040And031WithIpVersion) {
  for (auto version : {"0.4.0", "0.3.1"}) {
    std::string text = std::string(R"({"cniVersion":")") + version + R"(",
      "interfaces":[{"name":"net1","sandbox":"/proc/1/ns/net"}],
      "ips":[{"version":"4","interface":0,"address":"192.168.1.7/24","gateway":"192.168.1.1"}],
      "dns":{"nameservers":["8.8.8.8"]}})";
    auto ips = Ips(text);
    ASSERT_EQ(ips.size(), 1u) << version;
    ExpectIp(ips[0], "192.168.1.7", 24, "192.168.1.1", "net1");
  }
}

TEST(CniResultTest, IpamStyleResultWithoutInterfaces) {
  auto ips = Ips(R"({"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.9/8"}]})");
  ASSERT_EQ(ips.size(), 1u);
  ExpectIp(ips[0], "10.0.0.9", 8, "", "eth0");
}

TEST(CniResultTest, LegacyVersion020) {
  auto ips = Ips(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.4/16","gateway":"10.1.0.1"},
                    "ip6":{"ip":"fd00::4/64"}})");
  ASSERT_EQ(ips.size(), 2u);
  ExpectIp(ips[0], "10.1.0.4", 16, "10.1.0.1", "eth0");
  ExpectIp(ips[1], "fd00::4", 64, "", "eth0");
}

TEST(CniResultTest, NoAddresses) {
  EXPECT_TRUE(Ips(R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}]})").empty());
  EXPECT_TRUE(Ips(R"({"cniVersion":"1.0.0","ips":[]})").empty());
}

TEST(CniResultTest, RejectsMalformed) {
  struct Case {
    const char* text;
    const char* reason;
  } cases[] = {
      {R"([])", "not a JSON object"},
      {R"({"ips":{}})", "\"ips\" is not a list"},
      {R"({"ips":[{"gateway":"10.0.0.1"}]})", "an address is missing"},
      {R"({"ips":[{"address":"10.0.0.2"}]})", "has no prefix"},
      {R"({"ips":[{"address":"10.0.0.2/33"}]})", "not an IP address with a prefix length"},
      {R"({"ips":[{"address":"banana/24"}]})", "not an IP address with a prefix length"},
      {R"({"ips":[{"address":"10.0.0.2/2x"}]})", "not an IP address with a prefix length"},
      {R"({"ips":[{"address":"10.0.0.2/24","gateway":"x"}]})", "gateway \"x\" is not an IP"},
      {R"({"interfaces":[],"ips":[{"address":"10.0.0.2/24","interface":0}]})",
       "interface index 0 is out of range"},
      {R"({"ips":[{"address":"10.0.0.2/24","interface":"eth0"}]})", "not a number"},
      {R"({"ip4":{"gateway":"10.0.0.1"}})", "\"ip4\" has no ip"},
  };
  for (const auto& c : cases) {
    auto ips = PodIpsFromResult(nlohmann::json::parse(c.text), "eth0");
    ASSERT_FALSE(ips.ok()) << c.text;
    EXPECT_THAT(std::string(ips.status().message()), HasSubstr(c.reason)) << c.text;
  }
}

}  // namespace
}  // namespace crio::network
