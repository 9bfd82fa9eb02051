#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::network {

struct InterfaceStats {
  std::string name;
  uint64_t rx_bytes = 0;
  uint64_t rx_errors = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_errors = 0;
  uint64_t rx_packets = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_dropped = 0;
};

// The interfaces of the network namespace pinned at `netns` (loopback left out), from its
// /proc/net/dev, read by a short-lived thread that enters the namespace so that no process and
// no other thread of ours changes namespace.
absl::StatusOr<std::vector<InterfaceStats>> ReadInterfaceStats(const std::filesystem::path& netns);

// Parses /proc/net/dev text.
std::vector<InterfaceStats> ParseProcNetDev(const std::string& text);

}  // namespace crio::network
