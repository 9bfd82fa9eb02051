#include <gtest/gtest.h>

#include "streaming/http_util.h"

namespace crio::streaming {
namespace {

TEST(StreamTargetTest, ParsesTheThreeKinds) {
  auto t = ParseStreamTarget("/exec/abc");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, StreamKind::kExec);
  EXPECT_EQ(t->token, "abc");
  t = ParseStreamTarget("/attach/x-y_z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, StreamKind::kAttach);
  t = ParseStreamTarget("/portforward/tok?port=80&port=443%2C8080&other=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, StreamKind::kPortForward);
  EXPECT_EQ(t->token, "tok");
  EXPECT_EQ(t->port_params, (std::vector<std::string>{"80", "443,8080"}));
}

TEST(StreamTargetTest, RejectsOtherPaths) {
  EXPECT_FALSE(ParseStreamTarget("/"));
  EXPECT_FALSE(ParseStreamTarget("/exec/"));
  EXPECT_FALSE(ParseStreamTarget("/exec/a/b"));
  EXPECT_FALSE(ParseStreamTarget("/execx/a"));
  EXPECT_FALSE(ParseStreamTarget("exec/a"));
}

TEST(PortParamsTest, CommaListsOfValidPorts) {
  auto ports = ParsePortParams({"80", "443,8080"});
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(*ports, (std::vector<int32_t>{80, 443, 8080}));
  EXPECT_TRUE(ParsePortParams({})->empty());
  EXPECT_FALSE(ParsePortParams({""}).ok());
  EXPECT_FALSE(ParsePortParams({"0"}).ok());
  EXPECT_FALSE(ParsePortParams({"65536"}).ok());
  EXPECT_FALSE(ParsePortParams({"80,"}).ok());
  EXPECT_FALSE(ParsePortParams({"http"}).ok());
}

TEST(SpdyNegotiationTest, FirstOfTheClientsThatWeSpeak) {
  std::vector<std::string_view> ours = {"v4.channel.k8s.io", "v3.channel.k8s.io"};
  EXPECT_EQ(
      NegotiateSpdyProtocol({"v5.channel.k8s.io", "v3.channel.k8s.io", "v4.channel.k8s.io"}, ours),
      "v3.channel.k8s.io");
  EXPECT_EQ(NegotiateSpdyProtocol({"v9, v4.channel.k8s.io"}, ours), "v4.channel.k8s.io");
  EXPECT_EQ(NegotiateSpdyProtocol({}, ours), "");
  EXPECT_EQ(NegotiateSpdyProtocol({"v9"}, ours), std::nullopt);
}

TEST(ParseUrlTest, Forms) {
  auto u = ParseUrl("http://127.0.0.1:1234/exec/tok");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "1234");
  EXPECT_EQ(u->target, "/exec/tok");
  u = ParseUrl("https://[::1]:99/portforward/t?port=80");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "99");
  EXPECT_EQ(u->target, "/portforward/t?port=80");
  u = ParseUrl("ws://example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->target, "/");
  EXPECT_FALSE(ParseUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseUrl("no-scheme").ok());
  EXPECT_FALSE(ParseUrl("http:///path").ok());
}

}  // namespace
}  // namespace crio::streaming
