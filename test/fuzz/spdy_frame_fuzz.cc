// libFuzzer target for the SPDY/3.1 frame parser: arbitrary bytes from a peer must yield
// frames or a clean error, never a crash, a hang or unbounded memory. The input is fed in
// pieces (sizes taken from the input) to exercise the incremental paths, and every parsed
// frame is re-serialized and parsed again to check the round trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streaming/spdy_frame.h"

using crio::streaming::spdy::Frame;
using crio::streaming::spdy::FrameParser;
using crio::streaming::spdy::HeaderCompressor;
using crio::streaming::spdy::SerializeFrame;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the feeding chunk size (1..256).
  size_t chunk = static_cast<size_t>(data[0]) + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  FrameParser parser;
  HeaderCompressor compressor;
  FrameParser reparser;
  while (!input.empty()) {
    std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    parser.Feed(piece);
    Frame frame;
    FrameParser::Result result;
    while ((result = parser.Next(&frame)) == FrameParser::Result::kFrame) {
      reparser.Feed(SerializeFrame(frame, compressor));
      Frame again;
      if (reparser.Next(&again) != FrameParser::Result::kFrame || !(again == frame)) abort();
    }
    if (result == FrameParser::Result::kError) break;
    // Never more than one frame's worth (capped) plus the last piece is held.
    if (parser.buffered() > (1u << 20) + 8 + chunk) abort();
  }
  return 0;
}
