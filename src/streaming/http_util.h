#pragma once

// Small pieces of the streaming server's HTTP handling, kept apart so they can be tested
// without sockets: the URL scheme, the port query and SPDY protocol negotiation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::streaming {

enum class StreamKind { kExec, kAttach, kPortForward };

struct StreamTarget {
  StreamKind kind = StreamKind::kExec;
  std::string token;
  std::vector<std::string> port_params;  // values of the `port` query parameters, decoded
};

// "/exec/<token>", "/attach/<token>" or "/portforward/<token>", with an optional query;
// nullopt for anything else.
std::optional<StreamTarget> ParseStreamTarget(std::string_view target);

// The ports named by `port` query parameters (each a comma-separated list of 1..65535), as the
// kubelet parses them for WebSocket port-forwarding.
absl::StatusOr<std::vector<int32_t>> ParsePortParams(const std::vector<std::string>& params);

// The SPDY protocol for a client sending the X-Stream-Protocol-Version headers `offered`: the
// first of the client's that we speak (the kubelet's order). "" when the client sent none (old
// clients, which get the oldest protocol); nullopt when none matches.
std::optional<std::string> NegotiateSpdyProtocol(const std::vector<std::string>& offered,
                                                 const std::vector<std::string_view>& supported);

// Parts of an http(s):// or ws(s):// URL.
struct ParsedUrl {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string target;  // path and query, at least "/"
};
absl::StatusOr<ParsedUrl> ParseUrl(std::string_view url);

}  // namespace crio::streaming
