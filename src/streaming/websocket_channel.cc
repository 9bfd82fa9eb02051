#include "websocket_channel.h"

#include <array>

namespace crio::streaming {
namespace {

// What we serve, in the order the kubelet lists them (the client's order decides).
constexpr std::array<WsChannelProtocol, 9> kRemoteCommandProtocols = {{
    {"v5.channel.k8s.io", false, 5},
    {"v4.channel.k8s.io", false, 4},
    {"v4.base64.channel.k8s.io", true, 4},
    {"v3.channel.k8s.io", false, 3},
    {"v3.base64.channel.k8s.io", true, 3},
    {"v2.channel.k8s.io", false, 2},
    {"v2.base64.channel.k8s.io", true, 2},
    {"channel.k8s.io", false, 1},
    {"base64.channel.k8s.io", true, 1},
}};
constexpr std::array<WsChannelProtocol, 2> kPortForwardProtocols = {{
    {"v4.channel.k8s.io", false, 4},
    {"v4.base64.channel.k8s.io", true, 4},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<WsChannelProtocol> NegotiateWsProtocol(const std::vector<std::string>& offered,
                                                     bool port_forward) {
  std::vector<std::string_view> names;
  for (const std::string& header : offered) {
    std::string_view rest = header;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view name = Trim(rest.substr(0, comma));
      if (!name.empty()) names.push_back(name);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (names.empty()) return WsChannelProtocol{"", false, port_forward ? 4 : 1};
  for (std::string_view name : names) {
    if (port_forward) {
      for (const WsChannelProtocol& p : kPortForwardProtocols) {
        if (p.name == name) return p;
      }
    } else {
      for (const WsChannelProtocol& p : kRemoteCommandProtocols) {
        if (p.name == name) return p;
      }
    }
  }
  return std::nullopt;
}

std::string EncodeChannelMessage(uint8_t channel, std::string_view data, bool base64) {
  std::string out;
  if (base64) {
    out.push_back(static_cast<char>('0' + channel));
    out += Base64StdEncode(data);
  } else {
    out.reserve(data.size() + 1);
    out.push_back(static_cast<char>(channel));
    out.append(data);
  }
  return out;
}

ChannelMessage DecodeChannelMessage(std::string_view payload, bool base64, bool v5) {
  ChannelMessage message;
  if (payload.empty()) return message;
  uint8_t channel = static_cast<uint8_t>(payload[0]);
  if (base64) channel = static_cast<uint8_t>(channel - '0');
  payload.remove_prefix(1);
  if (v5 && channel == kCloseChannel) {
    // The kubelet ends the connection on a CLOSE without exactly one channel byte.
    if (payload.size() != 1) {
      message.kind = ChannelMessage::Kind::kInvalid;
      return message;
    }
    message.kind = ChannelMessage::Kind::kClose;
    message.channel = static_cast<uint8_t>(payload[0]);
    return message;
  }
  message.channel = channel;
  if (base64) {
    std::optional<std::string> decoded = Base64StdDecode(payload);
    if (!decoded) return message;  // kIgnore
    message.data = std::move(*decoded);
  } else {
    message.data.assign(payload);
  }
  message.kind = ChannelMessage::Kind::kData;
  return message;
}

std::string Base64StdEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(data[i])) << 16) | (uint32_t(uint8_t(data[i + 1])) << 8) |
                 uint8_t(data[i + 2]);
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(kBase64Alphabet[(n >> 6) & 63]);
    out.push_back(kBase64Alphabet[n & 63]);
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t(uint8_t(data[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(data[i + 1])) << 8;
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64StdDecode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(clean.size() / 4 * 3);
  for (size_t i = 0; i < clean.size(); i += 4) {
    bool last = i + 4 == clean.size();
    int pad = 0;
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = clean[i + j];
      int v;
      if (c == '=' && last && j >= 2) {
        ++pad;
        v = 0;
      } else {
        if (pad > 0) return std::nullopt;  // data after padding
        v = Base64Value(c);
        if (v < 0) return std::nullopt;
      }
      n = (n << 6) | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

std::string PortPrefix(uint16_t port) {
  std::string out(2, '\0');
  out[0] = static_cast<char>(port & 0xff);
  out[1] = static_cast<char>(port >> 8);
  return out;
}

}  // namespace crio::streaming
