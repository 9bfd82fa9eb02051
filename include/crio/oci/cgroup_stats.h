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
  // The rest is for the cAdvisor-style metrics (ListPodSandboxMetrics).
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t cpu_periods = 0;            // CFS enforcement periods
  uint64_t cpu_throttled_periods = 0;  // ... in which the cgroup was throttled
  uint64_t cpu_throttled_ns = 0;
  uint64_t memory_cache = 0;        // page cache
  uint64_t memory_mapped_file = 0;  // mapped files
  uint64_t memory_swap = 0;
  uint64_t memory_max_usage = 0;  // peak usage, where the kernel records it
  uint64_t memory_failcnt = 0;    // times the limit was hit
  uint64_t pids_max = 0;          // 0 when unlimited
};

// What the processes of a cgroup hold (cAdvisor's process metrics).
struct ProcessStats {
  uint64_t processes = 0;
  uint64_t file_descriptors = 0;
  uint64_t sockets = 0;
};

// Reads the cgroupfs cgroup `path` ("/kubepods/pod1/crio-ID"): the v1 controllers (cpuacct,
// memory, pids) where they are mounted, else the v2 unified files. NotFound when the cgroup does
// not exist in any hierarchy. `root` is /sys/fs/cgroup except in tests.
absl::StatusOr<CgroupStats> ReadCgroupStats(const std::string& path,
                                            const std::filesystem::path& root = "/sys/fs/cgroup");

// The processes directly in cgroup `path` (its cgroup.procs, in the pids or memory hierarchy or
// the unified one) and their open files and sockets, from /proc/<pid>/fd (`proc` in tests).
// NotFound when the cgroup does not exist.
absl::StatusOr<ProcessStats> ReadCgroupProcessStats(
    const std::string& path, const std::filesystem::path& root = "/sys/fs/cgroup",
    const std::filesystem::path& proc = "/proc");

}  // namespace crio::oci
