#include "streaming/websocket_channel.h"

#include <gtest/gtest.h>

namespace crio::streaming {
namespace {

TEST(WebSocketChannelTest, NegotiationFollowsTheClientsOrder) {
  auto p = NegotiateWsProtocol({"v4.channel.k8s.io, v5.channel.k8s.io"}, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "v4.channel.k8s.io");
  EXPECT_EQ(p->version, 4);
  EXPECT_FALSE(p->base64);
  p = NegotiateWsProtocol({"v9.channel.k8s.io", "v5.channel.k8s.io"}, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->version, 5);
  p = NegotiateWsProtocol({"base64.channel.k8s.io"}, false);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->base64);
  EXPECT_EQ(p->version, 1);
  p = NegotiateWsProtocol({"v2.base64.channel.k8s.io"}, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->version, 2);
  EXPECT_TRUE(p->base64);
}

TEST(WebSocketChannelTest, NoOfferMeansUnnamedBinary) {
  auto p = NegotiateWsProtocol({}, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "");
  EXPECT_FALSE(p->base64);
  EXPECT_EQ(p->version, 1);
  EXPECT_TRUE(NegotiateWsProtocol({" , "}, false).has_value());
}

TEST(WebSocketChannelTest, UnknownOffersAreRefused) {
  EXPECT_FALSE(NegotiateWsProtocol({"v9.channel.k8s.io"}, false));
  // Port-forward speaks v4 only, as the kubelet; there is no v5 for it.
  EXPECT_FALSE(NegotiateWsProtocol({"v5.channel.k8s.io"}, true));
  EXPECT_FALSE(NegotiateWsProtocol({"channel.k8s.io"}, true));
  auto p = NegotiateWsProtocol({"v4.base64.channel.k8s.io"}, true);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->base64);
}

TEST(WebSocketChannelTest, BinaryMessagesStartWithTheChannelByte) {
  EXPECT_EQ(EncodeChannelMessage(1, "hi", false), std::string("\x01hi", 3));
  EXPECT_EQ(EncodeChannelMessage(3, "", false), std::string("\x03", 1));
  ChannelMessage m = DecodeChannelMessage(std::string("\x00"
                                                      "abc",
                                                      4),
                                          false, false);
  EXPECT_EQ(m.kind, ChannelMessage::Kind::kData);
  EXPECT_EQ(m.channel, 0);
  EXPECT_EQ(m.data, "abc");
  EXPECT_EQ(DecodeChannelMessage("", false, false).kind, ChannelMessage::Kind::kIgnore);
}

TEST(WebSocketChannelTest, Base64MessagesUseADigitAndBase64) {
  // The example from the wsstream documentation: "foo\n" on stdin.
  EXPECT_EQ(EncodeChannelMessage(0, "foo\n", true), "0Zm9vCg==");
  EXPECT_EQ(EncodeChannelMessage(1, "\n", true), "1Cg==");
  ChannelMessage m = DecodeChannelMessage("0Zm9vCg==", true, false);
  EXPECT_EQ(m.kind, ChannelMessage::Kind::kData);
  EXPECT_EQ(m.channel, 0);
  EXPECT_EQ(m.data, "foo\n");
  EXPECT_EQ(DecodeChannelMessage("0not base64!", true, false).kind, ChannelMessage::Kind::kIgnore);
}

TEST(WebSocketChannelTest, V5CloseMessage) {
  ChannelMessage m = DecodeChannelMessage(std::string("\xff\x00", 2), false, true);
  EXPECT_EQ(m.kind, ChannelMessage::Kind::kClose);
  EXPECT_EQ(m.channel, 0);
  EXPECT_EQ(DecodeChannelMessage(std::string("\xff", 1), false, true).kind,
            ChannelMessage::Kind::kInvalid);
  EXPECT_EQ(DecodeChannelMessage(std::string("\xff\x00\x01", 3), false, true).kind,
            ChannelMessage::Kind::kInvalid);
  // Before v5, channel 255 is only an unknown channel.
  m = DecodeChannelMessage(std::string("\xff\x00", 2), false, false);
  EXPECT_EQ(m.kind, ChannelMessage::Kind::kData);
  EXPECT_EQ(m.channel, 255);
}

TEST(WebSocketChannelTest, Base64RoundTripsAndIsStrict) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n < 8; ++n) {
    std::string piece = all.substr(100, n);
    EXPECT_EQ(Base64StdDecode(Base64StdEncode(piece)), piece) << n;
  }
  EXPECT_EQ(Base64StdDecode(Base64StdEncode(all)), all);
  EXPECT_EQ(Base64StdDecode("Zm9v\r\nYmFy"), "foobar");
  EXPECT_FALSE(Base64StdDecode("Zm9"));
  EXPECT_FALSE(Base64StdDecode("Zm=v"));
  EXPECT_FALSE(Base64StdDecode("Zg==Zg=="));
  EXPECT_FALSE(Base64StdDecode("Z==="));
}

TEST(WebSocketChannelTest, PortPrefixIsLittleEndian) {
  EXPECT_EQ(PortPrefix(80), std::string("\x50\x00", 2));
  EXPECT_EQ(PortPrefix(8080), std::string("\x90\x1f", 2));
}

}  // namespace
}  // namespace crio::streaming
