#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace crio::network {

// Traffic shaping for one pod, in the units the CNI bandwidth plugin takes in runtimeConfig.
struct Bandwidth {
  uint64_t ingress_rate = 0;   // bits per second
  uint64_t ingress_burst = 0;  // bits
  uint64_t egress_rate = 0;
  uint64_t egress_burst = 0;
  bool operator==(const Bandwidth&) const = default;
};

// A Kubernetes resource quantity ("10M", "1Gi", "1.5k", "2e6", "500m") as a whole number,
// rounded up like resource.Quantity.Value(). Negative quantities are refused.
absl::StatusOr<uint64_t> ParseQuantity(std::string_view text);

// The pod's kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth annotations (bits
// per second); nullopt when neither is set. Like the kubelet, a rate outside 1k..1P is refused.
// The burst is left unbounded (the largest value the plugin accepts), as CRI-O and containerd do,
// since Kubernetes has no way to express one.
absl::StatusOr<std::optional<Bandwidth>> BandwidthFromAnnotations(
    const std::map<std::string, std::string>& annotations);

}  // namespace crio::network
