// Fuzzes what a WebSocket client can send the streaming server: arbitrary bytes after a valid
// upgrade request go through Beast's frame reading (server role: masking, control frames,
// fragmentation, size limits, close handshake) over Beast's in-memory test stream, and every
// message that comes out goes through our channel decoding in all its modes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "streaming/websocket_channel.h"

namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using crio::streaming::ChannelMessage;

constexpr std::string_view kUpgrade =
    "GET /exec/token HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n";

void DecodeEveryWay(std::string_view payload) {
  for (bool base64 : {false, true}) {
    for (bool v5 : {false, true}) {
      ChannelMessage message = crio::streaming::DecodeChannelMessage(payload, base64, v5);
      if (message.kind == ChannelMessage::Kind::kData) {
        // What we decode we can encode and decode again to the same bytes.
        std::string again =
            crio::streaming::EncodeChannelMessage(message.channel, message.data, base64);
        ChannelMessage twice = crio::streaming::DecodeChannelMessage(again, base64, false);
        if (twice.data != message.data) __builtin_trap();
      }
    }
  }
  std::optional<std::string> decoded = crio::streaming::Base64StdDecode(payload);
  std::string encoded = crio::streaming::Base64StdEncode(payload);
  if (crio::streaming::Base64StdDecode(encoded) != std::string(payload)) __builtin_trap();
  (void)decoded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The offered subprotocols are client input too.
  (void)crio::streaming::NegotiateWsProtocol({std::string(input.substr(0, 256))}, false);

  boost::asio::io_context ioc;
  beast::test::stream server(ioc);
  beast::test::stream client(ioc);
  server.connect(client);
  server.append(beast::string_view(kUpgrade.data(), kUpgrade.size()));
  server.append(beast::string_view(input.data(), input.size()));
  client.close();  // the server reads EOF after the input

  websocket::stream<beast::test::stream&> ws(server);
  ws.read_message_max(64 * 1024);  // as in the server, scaled down to keep runs fast
  beast::error_code ec;
  ws.accept(ec);
  if (ec) return 0;
  beast::flat_buffer buffer;
  for (int i = 0; i < 256; ++i) {
    ws.read(buffer, ec);
    if (ec) break;
    auto bytes = buffer.data();
    DecodeEveryWay(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()));
    buffer.clear();
  }
  return 0;
}
