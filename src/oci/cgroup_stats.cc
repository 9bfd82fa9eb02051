#include "crio/oci/cgroup_stats.h"

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
    found = true;
  }
  if (found) return stats;

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
  return stats;
}

}  // namespace crio::oci
