#include "streaming/spdy_frame.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace crio::streaming::spdy {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// Parses all of `wire` with one parser; fails the test on an error.
std::vector<Frame> ParseAll(std::string_view wire, FrameParser& parser) {
  parser.Feed(wire);
  std::vector<Frame> frames;
  Frame frame;
  FrameParser::Result result;
  while ((result = parser.Next(&frame)) == FrameParser::Result::kFrame) frames.push_back(frame);
  EXPECT_EQ(result, FrameParser::Result::kNeedMore) << parser.error();
  return frames;
}

Frame ParseOne(std::string_view wire) {
  FrameParser parser;
  std::vector<Frame> frames = ParseAll(wire, parser);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(parser.buffered(), 0u);
  return frames.empty() ? Frame{} : frames[0];
}

std::string ParseError(std::string_view wire, Limits limits = {}) {
  FrameParser parser(limits);
  parser.Feed(wire);
  Frame frame;
  FrameParser::Result result;
  while ((result = parser.Next(&frame)) == FrameParser::Result::kFrame) {
  }
  EXPECT_EQ(result, FrameParser::Result::kError);
  // An error is final.
  EXPECT_EQ(parser.Next(&frame), FrameParser::Result::kError);
  return parser.error();
}

TEST(SpdyDictionaryTest, IsTheSpdy3Dictionary) {
  std::string_view dict = HeaderDictionary();
  ASSERT_EQ(dict.size(), 1423u);
  EXPECT_EQ(dict.substr(0, 11), std::string_view("\0\0\0\7options", 11));
  EXPECT_EQ(dict.substr(dict.size() - 7), ",enq=0.");
  // The dictionary id every SPDY/3 header stream names in its zlib header (FDICT).
  uLong id = adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(dict.data()),
                     static_cast<uInt>(dict.size()));
  EXPECT_EQ(id, 0xe3c6a7c2u);
}

// Control frames built by hand from the SPDY/3 layout, parsed and re-serialized byte-exact.
TEST(SpdyFrameTest, FixedLayoutControlFrames) {
  HeaderCompressor compressor;
  struct Case {
    std::string wire;
    Frame frame;
  } cases[] = {
      {Bytes({0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07}),
       PingFrame{7}},
      {Bytes({0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
              0x00, 0x05}),
       RstStreamFrame{5, kRstCancel}},
      {Bytes({0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
              0x00, 0x01}),
       GoAwayFrame{3, kGoAwayProtocolError}},
      {Bytes({0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
              0x00, 0x00}),
       WindowUpdateFrame{1, 65536}},
      {Bytes({0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
              0x00, 0x01, 0x01, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00}),
       SettingsFrame{0, {Setting{1, kSettingsInitialWindowSize, 65536}}}},
      {Bytes({0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}),
       DataFrame{1, kFlagFin, "hello"}},
      {Bytes({0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00}), DataFrame{2, 0, ""}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseOne(c.wire), c.frame) << "frame index " << c.frame.index();
    EXPECT_EQ(SerializeFrame(c.frame, compressor), c.wire) << "frame index " << c.frame.index();
  }
}

// Two SYN_STREAM frames as moby/spdystream's framer writes them (one zlib stream across both,
// so the second only decompresses after the first).
TEST(SpdyFrameTest, DecodesSpdystreamSynStreams) {
  std::string first =
      Bytes({0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x29, 0x00, 0x00, 0x00, 0x01, 0x00,
             0x00, 0x00, 0x00, 0x00, 0x00, 0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x62, 0x60,
             0x60, 0x60, 0x04, 0xa7, 0xb3, 0x92, 0xa2, 0xd4, 0xc4, 0x5c, 0x68, 0x51, 0xc2,
             0x9a, 0x0a, 0x0a, 0x68, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff});
  std::string second = Bytes({0x80, 0x03, 0x00, 0x01, 0x01, 0x00, 0x00, 0x19, 0x00, 0x00, 0x00,
                              0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc2, 0x2a, 0xc5, 0x56,
                              0x5c, 0x92, 0x92, 0x5f, 0x5a, 0x02, 0x00, 0x00, 0x00, 0xff, 0xff});
  FrameParser parser;
  std::vector<Frame> frames = ParseAll(first + second, parser);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], Frame(SynStreamFrame{1, 0, 0, 0, 0, {{"streamtype", "error"}}}));
  EXPECT_EQ(frames[1], Frame(SynStreamFrame{3, 0, 0, 0, kFlagFin, {{"streamtype", "stdout"}}}));

  // Without the first frame the second cannot be inflated: the context is per connection.
  EXPECT_FALSE(ParseError(second).empty());
}

TEST(SpdyFrameTest, RoundTripsEveryFrameTypeThroughOneCompressionContext) {
  HeaderCompressor compressor;
  std::vector<Frame> frames = {
      SynStreamFrame{1, 0, 3, 0, 0, {{"streamtype", "error"}, {"port", "8080"}}},
      SynReplyFrame{1, 0, {}},
      SynStreamFrame{3, 1, 7, 0, kFlagFin | kFlagUnidirectional, {{"streamtype", "stdin"}}},
      HeadersFrame{3, kFlagFin, {{"x-multi", std::string("a\0b", 3)}}},
      DataFrame{3, 0, std::string(70000, 'x')},
      RstStreamFrame{3, kRstFlowControlError},
      SettingsFrame{kFlagClearSettings, {{0, 4, 100}, {1, 7, 1 << 20}}},
      PingFrame{0xfffffffe},
      GoAwayFrame{7, kGoAwayOk},
      WindowUpdateFrame{0, kMaxWindow},
  };
  std::string wire;
  for (const Frame& f : frames) wire += SerializeFrame(f, compressor);
  FrameParser parser;
  EXPECT_EQ(ParseAll(wire, parser), frames);

  // Fed one byte at a time, the same frames come out.
  HeaderCompressor compressor2;
  std::string wire2;
  for (const Frame& f : frames) wire2 += SerializeFrame(f, compressor2);
  FrameParser slow;
  std::vector<Frame> got;
  for (char c : wire2) {
    slow.Feed(std::string_view(&c, 1));
    Frame frame;
    while (slow.Next(&frame) == FrameParser::Result::kFrame) got.push_back(frame);
  }
  EXPECT_EQ(got, frames);
}

TEST(SpdyFrameTest, RepeatedHeadersCompressSmallerThanTheFirst) {
  // The shared context is the point of SPDY header compression: a repeat costs a few bytes.
  HeaderCompressor compressor;
  HeaderBlock headers = {{"streamtype", "stdout"}, {"requestid", "12345"}};
  std::string first, second;
  ASSERT_TRUE(compressor.Compress(headers, &first));
  ASSERT_TRUE(compressor.Compress(headers, &second));
  EXPECT_LT(second.size(), first.size());
  HeaderDecompressor decompressor;
  HeaderBlock out;
  std::string error;
  ASSERT_TRUE(decompressor.Decompress(first, Limits{}, &out, &error)) << error;
  EXPECT_EQ(out, headers);
  ASSERT_TRUE(decompressor.Decompress(second, Limits{}, &out, &error)) << error;
  EXPECT_EQ(out, headers);
}

TEST(SpdyFrameTest, HeaderBlockEncoding) {
  // count, then length-prefixed name and value; names go out lowercase.
  EXPECT_EQ(EncodeHeaderBlock({{"streamType", "error"}}),
            Bytes({0,   0,   0,   1,   0, 0, 0, 10, 's', 't', 'r', 'e', 'a', 'm',
                   't', 'y', 'p', 'e', 0, 0, 0, 5,  'e', 'r', 'r', 'o', 'r'}));
  HeaderBlock out;
  std::string error;
  EXPECT_TRUE(
      DecodeHeaderBlock(Bytes({0, 0, 0, 1, 0, 0, 0, 1, 'P', 0, 0, 0, 0}), Limits{}, &out, &error));
  EXPECT_EQ(out, (HeaderBlock{{"p", ""}}));
  EXPECT_EQ(FindHeader(out, "P"), "");
  EXPECT_FALSE(DecodeHeaderBlock(Bytes({0, 0, 0, 1, 0, 0, 0, 9, 'a'}), Limits{}, &out, &error));
  EXPECT_FALSE(
      DecodeHeaderBlock(Bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}), Limits{}, &out, &error));
  EXPECT_FALSE(DecodeHeaderBlock(Bytes({0, 0, 0, 0, 'x'}), Limits{}, &out, &error));
}

TEST(SpdyFrameTest, MalformedFramesAreConnectionErrors) {
  // Data frame on stream 0.
  EXPECT_NE(ParseError(Bytes({0, 0, 0, 0, 0, 0, 0, 1, 'x'})).find("stream 0"), std::string::npos);
  // Control frame of SPDY version 2.
  EXPECT_NE(ParseError(Bytes({0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1})).find("version"),
            std::string::npos);
  // PING with 5 bytes.
  EXPECT_FALSE(ParseError(Bytes({0x80, 0x03, 0x00, 0x06, 0, 0, 0, 5, 0, 0, 0, 1, 0})).empty());
  // SETTINGS announcing 2 entries but carrying 1.
  EXPECT_FALSE(
      ParseError(Bytes({0x80, 0x03, 0x00, 0x04, 0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 1}))
          .empty());
  // RST_STREAM with status 0 and on stream 0.
  EXPECT_FALSE(
      ParseError(Bytes({0x80, 0x03, 0x00, 0x03, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0})).empty());
  EXPECT_FALSE(
      ParseError(Bytes({0x80, 0x03, 0x00, 0x03, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5})).empty());
  // SYN_STREAM whose header block is not zlib.
  EXPECT_FALSE(ParseError(Bytes({0x80, 0x03, 0x00, 0x01, 0, 0, 0, 14,  0,   0,   0,
                                 1,    0,    0,    0,    0, 0, 0, 'j', 'u', 'n', 'k'}))
                   .empty());
  // SYN_STREAM too short for its fixed fields.
  EXPECT_FALSE(ParseError(Bytes({0x80, 0x03, 0x00, 0x01, 0, 0, 0, 4, 0, 0, 0, 1})).empty());
}

TEST(SpdyFrameTest, OversizedFramesAreRefusedBeforeBuffering) {
  Limits limits;
  limits.max_data_length = 1024;
  // Only the 8-byte header of a 16 MiB frame is fed: the error needs no payload.
  std::string error = ParseError(Bytes({0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff}), limits);
  EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
  EXPECT_FALSE(ParseError(Bytes({0x80, 0x03, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00})).empty());
}

TEST(SpdyFrameTest, HeaderLimitsAreEnforced) {
  HeaderCompressor compressor;
  HeaderBlock many;
  for (int i = 0; i < 200; ++i) many.emplace_back("h" + std::to_string(i), "v");
  std::string error = ParseError(SerializeFrame(SynStreamFrame{1, 0, 0, 0, 0, many}, compressor));
  EXPECT_NE(error.find("too many headers"), std::string::npos) << error;

  // 1 MiB of one letter compresses to almost nothing but must not be inflated past the cap.
  HeaderCompressor compressor2;
  std::string bomb = SerializeFrame(
      SynStreamFrame{1, 0, 0, 0, 0, {{"x", std::string(1 << 20, 'a')}}}, compressor2);
  ASSERT_LT(bomb.size(), 4096u);
  error = ParseError(bomb);
  EXPECT_NE(error.find("larger than"), std::string::npos) << error;
}

TEST(SpdyFrameTest, UnknownControlFramesAreSkipped) {
  // Type 10 (CREDENTIAL in SPDY/3) is not ours: skipped, and the PING after it is parsed.
  std::string wire = Bytes({0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 2, 0xab, 0xcd}) +
                     Bytes({0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 9});
  EXPECT_EQ(ParseOne(wire), Frame(PingFrame{9}));
}

TEST(SpdyFrameTest, PartialFramesWaitForMoreBytes) {
  FrameParser parser;
  std::string ping = Bytes({0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 9});
  parser.Feed(ping.substr(0, 10));
  Frame frame;
  EXPECT_EQ(parser.Next(&frame), FrameParser::Result::kNeedMore);
  EXPECT_EQ(parser.buffered(), 10u);
  parser.Feed(ping.substr(10));
  ASSERT_EQ(parser.Next(&frame), FrameParser::Result::kFrame);
  EXPECT_EQ(frame, Frame(PingFrame{9}));
  EXPECT_EQ(parser.Next(&frame), FrameParser::Result::kNeedMore);
}

}  // namespace
}  // namespace crio::streaming::spdy
