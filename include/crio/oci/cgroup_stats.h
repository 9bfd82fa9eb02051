#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace crio::oci {

// What the CRI stats report of a cgroup: CPU, memory and process figures.
struct CgroupStats {
  uint64_t cpu_usage_ns = 0;  // cumulative CPU time, all cores
  uint64_t memory_usage = 0;  // bytes charged, page cache included
  uint64_t working_set = 0;   // usage minus inactive file pages (what the kubelet evicts on)
  uint64_t rss = 0;           // anonymous memory
  uint64_t page_faults = 0;
  uint64_t major_page_faults = 0;
  uint64_t pids = 0;
};

// Reads the cgroupfs cgroup `path` ("/kubepods/pod1/crio-ID"): the v1 controllers (cpuacct,
// memory, pids) where they are mounted, else the v2 unified files. NotFound when the cgroup does
// not exist in any hierarchy. `root` is /sys/fs/cgroup except in tests.
absl::StatusOr<CgroupStats> ReadCgroupStats(const std::string& path,
                                            const std::filesystem::path& root = "/sys/fs/cgroup");

}  // namespace crio::oci
