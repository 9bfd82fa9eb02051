#pragma once

// SPDY/3.1 frame codec: the frame types the kubelet's streaming protocol uses, an incremental
// parser and serializers, with header blocks compressed by zlib primed with the SPDY/3
// dictionary. Only the standard library and zlib are used here, so the fuzz target can build
// this file alone with clang.
//
// Wire layout (all integers big-endian):
//   control frame: 1 | version(15) | type(16) | flags(8) | length(24) | payload
//   data frame:    0 | stream-id(31) | flags(8) | length(24) | payload
// A header block is: count(32), then per header name-length(32) name value-length(32) value,
// where several values of one name are joined with NUL. Each direction of a connection is one
// continuous zlib stream, flushed (Z_SYNC_FLUSH) at the end of every header block.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace crio::streaming::spdy {

inline constexpr uint16_t kVersion = 3;

enum class FrameType : uint16_t {
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

// Flags of SYN_STREAM, SYN_REPLY, HEADERS and DATA frames.
inline constexpr uint8_t kFlagFin = 0x01;
// SYN_STREAM only: the receiver must not send on this stream.
inline constexpr uint8_t kFlagUnidirectional = 0x02;
// SETTINGS frame flag.
inline constexpr uint8_t kFlagClearSettings = 0x01;

// RST_STREAM status codes.
enum RstStatus : uint32_t {
  kRstProtocolError = 1,
  kRstInvalidStream = 2,
  kRstRefusedStream = 3,
  kRstUnsupportedVersion = 4,
  kRstCancel = 5,
  kRstInternalError = 6,
  kRstFlowControlError = 7,
  kRstStreamInUse = 8,
  kRstStreamAlreadyClosed = 9,
  kRstFrameTooLarge = 11,
};

// GOAWAY status codes.
enum GoAwayStatus : uint32_t {
  kGoAwayOk = 0,
  kGoAwayProtocolError = 1,
  kGoAwayInternalError = 2,
};

// SETTINGS ids (the ones this implementation acts on; others are carried through).
inline constexpr uint32_t kSettingsMaxConcurrentStreams = 4;
inline constexpr uint32_t kSettingsInitialWindowSize = 7;

// The default per-stream and per-connection flow-control window of SPDY/3.1.
inline constexpr uint32_t kDefaultWindow = 64 * 1024;
// Windows and window deltas are 31-bit.
inline constexpr uint32_t kMaxWindow = 0x7fffffff;
// The largest payload the 24-bit length field can carry.
inline constexpr uint32_t kMaxFrameLength = 0xffffff;

// Names are lowercase on the wire (SPDY/3 requires it); the order is kept.
using HeaderBlock = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (compared case-insensitively), or empty.
std::string_view FindHeader(const HeaderBlock& headers, std::string_view name);

struct DataFrame {
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  std::string data;
  bool operator==(const DataFrame&) const = default;
};

struct SynStreamFrame {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;  // 0 (highest) .. 7
  uint8_t slot = 0;
  uint8_t flags = 0;
  HeaderBlock headers;
  bool operator==(const SynStreamFrame&) const = default;
};

struct SynReplyFrame {
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  HeaderBlock headers;
  bool operator==(const SynReplyFrame&) const = default;
};

struct RstStreamFrame {
  uint32_t stream_id = 0;
  uint32_t status = 0;
  bool operator==(const RstStreamFrame&) const = default;
};

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24-bit
  uint32_t value = 0;
  bool operator==(const Setting&) const = default;
};

struct SettingsFrame {
  uint8_t flags = 0;
  std::vector<Setting> settings;
  bool operator==(const SettingsFrame&) const = default;
};

struct PingFrame {
  uint32_t id = 0;
  bool operator==(const PingFrame&) const = default;
};

struct GoAwayFrame {
  uint32_t last_good_stream_id = 0;
  uint32_t status = 0;
  bool operator==(const GoAwayFrame&) const = default;
};

struct HeadersFrame {
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  HeaderBlock headers;
  bool operator==(const HeadersFrame&) const = default;
};

struct WindowUpdateFrame {
  uint32_t stream_id = 0;  // 0: the connection-level window (SPDY/3.1)
  uint32_t delta = 0;
  bool operator==(const WindowUpdateFrame&) const = default;
};

using Frame = std::variant<DataFrame, SynStreamFrame, SynReplyFrame, RstStreamFrame, SettingsFrame,
                           PingFrame, GoAwayFrame, HeadersFrame, WindowUpdateFrame>;

// Caps that keep one connection's memory bounded whatever the peer sends. A frame or header
// block beyond them is a connection error.
struct Limits {
  uint32_t max_data_length = 1 << 20;     // one DATA payload
  uint32_t max_control_length = 1 << 16;  // one control-frame payload (compressed headers)
  size_t max_header_bytes = 1 << 16;      // one decompressed header block
  uint32_t max_headers = 128;             // entries in one header block
};

// The SPDY/3 zlib dictionary (1423 bytes).
std::string_view HeaderDictionary();

// One deflate context: the sending direction of one connection. Not thread-safe.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  // Appends the compressed header block to `out`. False only if zlib fails (out of memory).
  bool Compress(const HeaderBlock& headers, std::string* out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One inflate context: the receiving direction of one connection. Not thread-safe. After an
// error the context is unusable (the zlib stream is out of step with the peer's).
class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  // Inflates one frame's compressed header block (all of `in`) and parses it into `headers`.
  // False with `*error` set on corrupt input, a block over the limits, or trailing bytes.
  bool Decompress(std::string_view in, const Limits& limits, HeaderBlock* headers,
                  std::string* error);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The uncompressed header block encoding (exposed for tests).
std::string EncodeHeaderBlock(const HeaderBlock& headers);
bool DecodeHeaderBlock(std::string_view block, const Limits& limits, HeaderBlock* headers,
                       std::string* error);

// Incremental parser for one connection's incoming bytes.
class FrameParser {
 public:
  enum class Result { kFrame, kNeedMore, kError };

  explicit FrameParser(Limits limits = {});

  // Appends bytes read from the connection.
  void Feed(std::string_view bytes);
  // Extracts the next whole frame. kNeedMore: feed more bytes. kError: the connection is
  // broken (error() says why) and every later call returns kError. Control frames of unknown
  // types are skipped, as SPDY/3 requires.
  Result Next(Frame* frame);
  const std::string& error() const { return error_; }
  // Bytes fed but not yet consumed (bounded by one frame plus the last Feed).
  size_t buffered() const { return buffer_.size() - offset_; }

 private:
  Result Fail(std::string message);
  bool ParseControl(uint16_t type, uint8_t flags, std::string_view payload, Frame* frame,
                    bool* skipped);

  Limits limits_;
  std::string buffer_;
  size_t offset_ = 0;
  HeaderDecompressor decompressor_;
  std::string error_;
};

// Serializers. The ones carrying headers compress with `compressor`; frames must then be
// written in the order they were serialized, since the peer inflates them as one stream.
std::string SerializeData(uint32_t stream_id, uint8_t flags, std::string_view data);
std::string SerializeFrame(const Frame& frame, HeaderCompressor& compressor);

}  // namespace crio::streaming::spdy
