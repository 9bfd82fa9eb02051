#include "crio/sandbox/pod_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace crio::sandbox {
namespace {

using ::testing::HasSubstr;

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream out;
  out << file.rdbuf();
  return out.str();
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/crio-sandbox-unit-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(ResolvConf, RendersSearchesServersAndOptionsInResolverOrder) {
  DnsSettings dns{.servers = {"10.96.0.10", "10.96.0.11"},
                  .searches = {"default.svc.cluster.local", "svc.cluster.local"},
                  .options = {"ndots:5", "timeout:2"}};
  EXPECT_EQ(RenderResolvConf(dns),
            "search default.svc.cluster.local svc.cluster.local\n"
            "nameserver 10.96.0.10\n"
            "nameserver 10.96.0.11\n"
            "options ndots:5 timeout:2\n");
}

TEST(ResolvConf, OnlyServers) {
  EXPECT_EQ(RenderResolvConf({.servers = {"1.1.1.1"}}), "nameserver 1.1.1.1\n");
}

TEST(ResolvConf, EmptySettingsCopyTheHostFile) {
  TempDir dir;
  std::ofstream(dir.path() / "host-resolv.conf") << "nameserver 192.0.2.53\nsearch example\n";
  ASSERT_TRUE(
      WriteResolvConf(dir.path() / "resolv.conf", {}, dir.path() / "host-resolv.conf").ok());
  EXPECT_EQ(Slurp(dir.path() / "resolv.conf"), "nameserver 192.0.2.53\nsearch example\n");
}

TEST(ResolvConf, MissingHostFileGivesAnEmptyOne) {
  TempDir dir;
  ASSERT_TRUE(WriteResolvConf(dir.path() / "resolv.conf", {}, dir.path() / "absent").ok());
  EXPECT_EQ(Slurp(dir.path() / "resolv.conf"), "");
}

TEST(ResolvConf, SettingsWinOverTheHostFile) {
  TempDir dir;
  std::ofstream(dir.path() / "host") << "nameserver 192.0.2.53\n";
  ASSERT_TRUE(
      WriteResolvConf(dir.path() / "resolv.conf", {.servers = {"10.0.0.1"}}, dir.path() / "host")
          .ok());
  EXPECT_EQ(Slurp(dir.path() / "resolv.conf"), "nameserver 10.0.0.1\n");
}

TEST(Hosts, LocalhostLinesThenPodAddresses) {
  std::string hosts = RenderHosts("web-0", {"10.88.0.5", "fd00::5"});
  EXPECT_THAT(hosts, HasSubstr("127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(hosts, HasSubstr("::1\tlocalhost ip6-localhost ip6-loopback\n"));
  EXPECT_THAT(hosts, HasSubstr("10.88.0.5\tweb-0\nfd00::5\tweb-0\n"));
  EXPECT_LT(hosts.find("localhost"), hosts.find("web-0"));
}

TEST(Hosts, NoAddressNoPodLine) {
  EXPECT_THAT(RenderHosts("web-0", {}), ::testing::Not(HasSubstr("web-0")));
}

TEST(Quantity, BinaryAndDecimalSuffixes) {
  EXPECT_EQ(*ParseQuantity("64Mi"), 64ULL << 20);
  EXPECT_EQ(*ParseQuantity("1Gi"), 1ULL << 30);
  EXPECT_EQ(*ParseQuantity("512Ki"), 512ULL << 10);
  EXPECT_EQ(*ParseQuantity("1G"), 1000000000ULL);
  EXPECT_EQ(*ParseQuantity("10M"), 10000000ULL);
  EXPECT_EQ(*ParseQuantity("2k"), 2000ULL);
  EXPECT_EQ(*ParseQuantity("1048576"), 1048576ULL);
  EXPECT_EQ(*ParseQuantity("1.5Gi"), 1610612736ULL);
}

TEST(Quantity, RejectsGarbage) {
  EXPECT_FALSE(ParseQuantity("").ok());
  EXPECT_FALSE(ParseQuantity("Mi").ok());
  EXPECT_FALSE(ParseQuantity("12Xi").ok());
  EXPECT_FALSE(ParseQuantity("-5M").ok());
}

TEST(ShmSize, AnnotationsOrFallback) {
  EXPECT_EQ(*ShmSizeFromAnnotations({}, 64ULL << 20), 64ULL << 20);
  EXPECT_EQ(*ShmSizeFromAnnotations({{"shm-size.crio.io", "128Mi"}}, 1), 128ULL << 20);
  EXPECT_EQ(*ShmSizeFromAnnotations({{"io.kubernetes.cri-o.ShmSize", "32Mi"}}, 1), 32ULL << 20);
  absl::StatusOr<uint64_t> bad = ShmSizeFromAnnotations({{"shm-size.crio.io", "lots"}}, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("shm-size.crio.io"));
  EXPECT_FALSE(ShmSizeFromAnnotations({{"shm-size.crio.io", "0"}}, 1).ok());
}

}  // namespace
}  // namespace crio::sandbox
