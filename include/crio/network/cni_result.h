#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "crio/network/cni_types.h"

namespace crio::network {

// The pod's addresses in a CNI result: "ips" (0.3.0 and later; "interface" indexes
// "interfaces") or the legacy "ip4"/"ip6" (0.1.0, 0.2.0). An address without an interface is
// attributed to `default_ifname`.
absl::StatusOr<std::vector<PodIp>> PodIpsFromResult(const nlohmann::json& result,
                                                    std::string_view default_ifname);

}  // namespace crio::network
