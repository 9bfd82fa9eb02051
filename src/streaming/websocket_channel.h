#pragma once

// The Kubernetes channel protocols over WebSocket (k8s.io wsstream): every message starts with
// a channel number, raw (a byte) in the binary protocols and as an ASCII digit followed by the
// base64 of the payload in the base64 ones. v5.channel.k8s.io adds a CLOSE message, channel
// 255 followed by the number of the channel the peer will not write to any more.
//
// This file only depends on the standard library, so the fuzz target can compile it on its own.
// (The resize channel's JSON is decoded by ResizeDecoder, shared with SPDY in spdy_session.h.)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crio::streaming {

inline constexpr uint8_t kStdinChannel = 0;
inline constexpr uint8_t kStdoutChannel = 1;
inline constexpr uint8_t kStderrChannel = 2;
inline constexpr uint8_t kErrorChannel = 3;
inline constexpr uint8_t kResizeChannel = 4;
inline constexpr uint8_t kCloseChannel = 255;  // v5 only

struct WsChannelProtocol {
  std::string_view name;  // "" when the client asked for no subprotocol (binary, like v1)
  bool base64 = false;
  int version = 1;  // 1 (channel.k8s.io) .. 5
};

// The subprotocol to answer for a client offering `offered` (the Sec-WebSocket-Protocol values,
// each possibly a comma-separated list): the first offered one we speak, in the client's order
// (as the kubelet does). With nothing offered, the unnamed binary protocol. nullopt when none
// of the offered ones is spoken. Remote command: v5 and v4..v1 binary, v4..v1 base64;
// port-forward: v4 binary and base64, as the kubelet.
std::optional<WsChannelProtocol> NegotiateWsProtocol(const std::vector<std::string>& offered,
                                                     bool port_forward);

// One outgoing message on `channel`.
std::string EncodeChannelMessage(uint8_t channel, std::string_view data, bool base64);

struct ChannelMessage {
  enum class Kind {
    kData,     // `data` arrived on `channel`
    kClose,    // v5: the peer closed `channel`
    kIgnore,   // empty or undecodable message: skipped, as the kubelet does
    kInvalid,  // a malformed CLOSE message: the connection must end
  };
  Kind kind = Kind::kIgnore;
  uint8_t channel = 0;
  std::string data;
};
ChannelMessage DecodeChannelMessage(std::string_view payload, bool base64, bool v5);

// Standard base64 with padding, as Go's base64.StdEncoding (line breaks are skipped when
// decoding, anything else invalid yields nullopt).
std::string Base64StdEncode(std::string_view data);
std::optional<std::string> Base64StdDecode(std::string_view text);

// The 2-byte little-endian port number the port-forward protocol sends first on each channel.
std::string PortPrefix(uint16_t port);

}  // namespace crio::streaming
