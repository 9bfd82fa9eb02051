#include "crio/oci/cgroup_stats.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "crio/common/strings.h"

namespace crio::oci {
namespace {

std::optional<uint64_t> ReadNumber(const std::filesystem::path& file) {
  std::ifstream in(file);
  uint64_t value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

// "key value" lines (memory.stat, cpu.stat).
std::map<std::string, uint64_t> ReadKeyedFile(const std::filesystem::path& file) {
  std::map<std::string, uint64_t> values;
  std::ifstream in(file);
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) values[key] = value;
  return values;
}

uint64_t Get(const std::map<std::string, uint64_t>& values, const char* key) {
  auto found = values.find(key);
  return found == values.end() ? 0 : found->second;
}

std::filesystem::path Below(const std::filesystem::path& hierarchy, const std::string& path) {
  return hierarchy / std::filesystem::path(path).relative_path();
}

}  // namespace

absl::StatusOr<CgroupStats> ReadCgroupStats(const std::string& path,
                                            const std::filesystem::path& root) {
  CgroupStats stats;
  bool found = false;
  // cgroup v1: one hierarchy per controller (cpuacct may be co-mounted as "cpu,cpuacct").
  std::filesystem::path cpuacct = Below(root / "cpuacct", path);
  if (auto usage = ReadNumber(cpuacct / "cpuacct.usage")) {
    stats.cpu_usage_ns = *usage;
    found = true;
  }
  std::filesystem::path memory = Below(root / "memory", path);
  if (auto usage = ReadNumber(memory / "memory.usage_in_bytes")) {
    found = true;
    stats.memory_usage = *usage;
    auto stat = ReadKeyedFile(memory / "memory.stat");
    uint64_t inactive = Get(stat, "total_inactive_file");
    stats.working_set = stats.memory_usage > inactive ? stats.memory_usage - inactive : 0;
    stats.rss = Get(stat, "total_rss");
    stats.page_faults = Get(stat, "total_pgfault");
    stats.major_page_faults = Get(stat, "total_pgmajfault");
  }
  if (auto pids = ReadNumber(Below(root / "pids", path) / "pids.current")) {
    stats.pids = *pids;
    stats.pids_max = ReadNumber(Below(root / "pids", path) / "pids.max").value_or(0);
    found = true;
  }
  if (found) {
    // cpuacct.stat counts in clock ticks.
    auto times = ReadKeyedFile(cpuacct / "cpuacct.stat");
    uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    stats.cpu_user_ns = Get(times, "user") * tick_ns;
    stats.cpu_system_ns = Get(times, "system") * tick_ns;
    auto cfs = ReadKeyedFile(Below(root / "cpu", path) / "cpu.stat");
    stats.cpu_periods = Get(cfs, "nr_periods");
    stats.cpu_throttled_periods = Get(cfs, "nr_throttled");
    stats.cpu_throttled_ns = Get(cfs, "throttled_time");
    auto stat = ReadKeyedFile(memory / "memory.stat");
    stats.memory_cache = Get(stat, "total_cache");
    stats.memory_mapped_file = Get(stat, "total_mapped_file");
    stats.memory_swap = Get(stat, "total_swap");
    stats.memory_max_usage = ReadNumber(memory / "memory.max_usage_in_bytes").value_or(0);
    stats.memory_failcnt = ReadNumber(memory / "memory.failcnt").value_or(0);
    return stats;
  }

  // cgroup v2 only: one tree, other file names.
  std::filesystem::path unified = Below(root, path);
  if (!std::filesystem::exists(unified / "cgroup.procs")) {
    return absl::NotFoundError(StrCat("cgroup ", path, " does not exist"));
  }
  auto cpu = ReadKeyedFile(unified / "cpu.stat");
  stats.cpu_usage_ns = Get(cpu, "usage_usec") * 1000;
  stats.memory_usage = ReadNumber(unified / "memory.current").value_or(0);
  auto stat = ReadKeyedFile(unified / "memory.stat");
  uint64_t inactive = Get(stat, "inactive_file");
  stats.working_set = stats.memory_usage > inactive ? stats.memory_usage - inactive : 0;
  stats.rss = Get(stat, "anon");
  stats.page_faults = Get(stat, "pgfault");
  stats.major_page_faults = Get(stat, "pgmajfault");
  stats.pids = ReadNumber(unified / "pids.current").value_or(0);
  stats.pids_max = ReadNumber(unified / "pids.max").value_or(0);  // "max" reads as 0
  stats.cpu_user_ns = Get(cpu, "user_usec") * 1000;
  stats.cpu_system_ns = Get(cpu, "system_usec") * 1000;
  stats.cpu_periods = Get(cpu, "nr_periods");
  stats.cpu_throttled_periods = Get(cpu, "nr_throttled");
  stats.cpu_throttled_ns = Get(cpu, "throttled_usec") * 1000;
  stats.memory_cache = Get(stat, "file");
  stats.memory_mapped_file = Get(stat, "file_mapped");
  stats.memory_swap = ReadNumber(unified / "memory.swap.current").value_or(0);
  stats.memory_max_usage = ReadNumber(unified / "memory.peak").value_or(0);
  stats.memory_failcnt = Get(ReadKeyedFile(unified / "memory.events"), "max");
  return stats;
}

absl::StatusOr<ProcessStats> ReadCgroupProcessStats(const std::string& path,
                                                    const std::filesystem::path& root,
                                                    const std::filesystem::path& proc) {
  std::filesystem::path procs_file;
  for (const auto& candidate :
       {Below(root / "pids", path), Below(root / "memory", path), Below(root, path)}) {
    if (std::filesystem::exists(candidate / "cgroup.procs")) {
      procs_file = candidate / "cgroup.procs";
      break;
    }
  }
  if (procs_file.empty()) return absl::NotFoundError(StrCat("cgroup ", path, " does not exist"));
  ProcessStats stats;
  std::ifstream procs(procs_file);
  pid_t pid = 0;
  while (procs >> pid) {
    ++stats.processes;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(proc / std::to_string(pid) / "fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++stats.file_descriptors;
      char target[64];
      ssize_t n = ::readlink(it->path().c_str(), target, sizeof(target) - 1);
      if (n > 0 && std::string_view(target, n).rfind("socket:", 0) == 0) ++stats.sockets;
    }
  }
  return stats;
}

}  // namespace crio::oci
