#include "crio/network/cni_result.h"

#include <arpa/inet.h>

#include <charconv>

#include "absl/status/status.h"
#include "crio/common/strings.h"

namespace crio::network {
namespace {

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(StrCat("invalid CNI result: ", what));
}

bool IsIp(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// "10.88.0.5/16" into the address and the prefix length.
absl::Status SplitCidr(const std::string& cidr, PodIp* ip) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return Invalid(StrCat("address \"", cidr, "\" has no prefix"));
  ip->address = cidr.substr(0, slash);
  std::string_view length = std::string_view(cidr).substr(slash + 1);
  auto [end, error] =
      std::from_chars(length.data(), length.data() + length.size(), ip->prefix_length);
  bool v6 = ip->address.find(':') != std::string::npos;
  if (error != std::errc() || end != length.data() + length.size() || length.empty() ||
      ip->prefix_length < 0 || ip->prefix_length > (v6 ? 128 : 32) || !IsIp(ip->address)) {
    return Invalid(StrCat("address \"", cidr, "\" is not an IP address with a prefix length"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OptionalGateway(const nlohmann::json& object) {
  auto gateway = object.find("gateway");
  if (gateway == object.end() || gateway->is_null()) return std::string();
  if (!gateway->is_string() || !IsIp(gateway->get<std::string>())) {
    return Invalid(StrCat("gateway ", gateway->dump(), " is not an IP address"));
  }
  return gateway->get<std::string>();
}

absl::StatusOr<std::vector<PodIp>> FromIps(const nlohmann::json& result,
                                           std::string_view default_ifname) {
  const nlohmann::json& ips = *result.find("ips");
  if (!ips.is_array()) return Invalid("\"ips\" is not a list");
  const nlohmann::json* interfaces = nullptr;
  if (auto it = result.find("interfaces"); it != result.end() && it->is_array()) {
    interfaces = &*it;
  }
  std::vector<PodIp> out;
  for (const auto& item : ips) {
    if (!item.is_object()) return Invalid("an \"ips\" item is not an object");
    auto address = item.find("address");
    if (address == item.end() || !address->is_string()) return Invalid("an address is missing");
    PodIp ip;
    if (absl::Status status = SplitCidr(address->get<std::string>(), &ip); !status.ok()) {
      return status;
    }
    absl::StatusOr<std::string> gateway = OptionalGateway(item);
    if (!gateway.ok()) return gateway.status();
    ip.gateway = *gateway;
    ip.interface_name = std::string(default_ifname);
    if (auto index = item.find("interface"); index != item.end() && !index->is_null()) {
      if (!index->is_number_integer()) return Invalid("an interface index is not a number");
      int i = index->get<int>();
      if (interfaces == nullptr || i < 0 || static_cast<size_t>(i) >= interfaces->size()) {
        return Invalid(StrCat("interface index ", i, " is out of range"));
      }
      const nlohmann::json& interface = (*interfaces)[static_cast<size_t>(i)];
      if (interface.is_object() && interface.contains("name") && interface["name"].is_string()) {
        ip.interface_name = interface["name"].get<std::string>();
      }
    }
    out.push_back(std::move(ip));
  }
  return out;
}

// 0.1.0 and 0.2.0: {"ip4": {"ip": cidr, "gateway": ip}, "ip6": {...}}.
absl::StatusOr<std::vector<PodIp>> FromLegacy(const nlohmann::json& result,
                                              std::string_view default_ifname) {
  std::vector<PodIp> out;
  for (const char* key : {"ip4", "ip6"}) {
    auto family = result.find(key);
    if (family == result.end() || family->is_null()) continue;
    if (!family->is_object() || !family->contains("ip") || !(*family)["ip"].is_string()) {
      return Invalid(StrCat("\"", key, "\" has no ip"));
    }
    PodIp ip;
    if (absl::Status status = SplitCidr((*family)["ip"].get<std::string>(), &ip); !status.ok()) {
      return status;
    }
    absl::StatusOr<std::string> gateway = OptionalGateway(*family);
    if (!gateway.ok()) return gateway.status();
    ip.gateway = *gateway;
    ip.interface_name = std::string(default_ifname);
    out.push_back(std::move(ip));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PodIp>> PodIpsFromResult(const nlohmann::json& result,
                                                    std::string_view default_ifname) {
  if (!result.is_object()) return Invalid("not a JSON object");
  if (result.contains("ips")) return FromIps(result, default_ifname);
  if (result.contains("ip4") || result.contains("ip6")) return FromLegacy(result, default_ifname);
  return std::vector<PodIp>();  // a chain without IPAM: the pod has no address from CNI
}

}  // namespace crio::network
