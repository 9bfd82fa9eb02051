#include "http_util.h"

#include <charconv>

#include "absl/status/status.h"
#include "crio/common/strings.h"

namespace crio::streaming {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string QueryUnescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<StreamTarget> ParseStreamTarget(std::string_view target) {
  std::string_view path = target;
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  static constexpr std::pair<std::string_view, StreamKind> kPrefixes[] = {
      {"/exec/", StreamKind::kExec},
      {"/attach/", StreamKind::kAttach},
      {"/portforward/", StreamKind::kPortForward},
  };
  StreamTarget result;
  bool matched = false;
  for (const auto& [prefix, kind] : kPrefixes) {
    if (path.substr(0, prefix.size()) == prefix) {
      result.kind = kind;
      result.token = std::string(path.substr(prefix.size()));
      matched = true;
      break;
    }
  }
  if (!matched || result.token.empty() || result.token.find('/') != std::string::npos) {
    return std::nullopt;
  }
  for (std::string_view pair : StrSplit(query, '&', /*skip_empty=*/true)) {
    size_t eq = pair.find('=');
    std::string name = QueryUnescape(pair.substr(0, eq));
    if (name != "port") continue;
    result.port_params.push_back(eq == std::string_view::npos ? std::string()
                                                              : QueryUnescape(pair.substr(eq + 1)));
  }
  return result;
}

absl::StatusOr<std::vector<int32_t>> ParsePortParams(const std::vector<std::string>& params) {
  std::vector<int32_t> ports;
  for (const std::string& param : params) {
    if (param.empty()) return absl::InvalidArgumentError("query parameter \"port\" is empty");
    for (std::string_view text : StrSplit(param, ',')) {
      uint32_t port = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
      if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
        return absl::InvalidArgumentError(StrCat("invalid port \"", text, "\""));
      }
      ports.push_back(static_cast<int32_t>(port));
    }
  }
  return ports;
}

std::optional<std::string> NegotiateSpdyProtocol(const std::vector<std::string>& offered,
                                                 const std::vector<std::string_view>& supported) {
  bool any = false;
  for (const std::string& header : offered) {
    for (std::string_view name : StrSplit(header, ',', /*skip_empty=*/true)) {
      name = TrimSpace(name);
      if (name.empty()) continue;
      any = true;
      for (std::string_view ours : supported) {
        if (ours == name) return std::string(name);
      }
    }
  }
  if (!any) return std::string();
  return std::nullopt;
}

absl::StatusOr<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl parsed;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("not a URL: ", url));
  }
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme == "https" || scheme == "wss") {
    parsed.tls = true;
  } else if (scheme != "http" && scheme != "ws") {
    return absl::InvalidArgumentError(StrCat("unsupported URL scheme: ", scheme));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (parsed.target[0] == '?') parsed.target.insert(0, "/");
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("bad IPv6 host");
    parsed.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return absl::InvalidArgumentError(StrCat("no host in URL: ", url));
  parsed.port = port.empty() ? (parsed.tls ? "443" : "80") : std::string(port);
  return parsed;
}

}  // namespace crio::streaming
