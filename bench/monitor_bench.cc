// Monitor benchmark: for our conmon and Debian's, the time from a create request to the container
// pid being reported, the memory of an idle monitor, and how many idle containers fit in 100 MiB
// of monitor memory. Prints figures; asserts nothing.
//
//   build/bench/monitor_bench [containers per monitor, default 20]
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime.h"

namespace {

std::string NewId() {
  static std::mt19937_64 generator{std::random_device{}()};
  char buffer[65];
  for (int i = 0; i < 64; i += 16) {
    std::snprintf(buffer + i, 17, "%016llx", static_cast<unsigned long long>(generator()));
  }
  return std::string(buffer, 64);
}

// A field of /proc/PID/status or /proc/PID/smaps_rollup, in KiB.
long ProcKib(pid_t pid, const char* file, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

struct Figures {
  double create_median_ms = 0, create_p90_ms = 0, rss_kib = 0, pss_kib = 0;
  int failed = 0;
};

Figures Measure(const std::string& monitor, const std::string& rootfs, int count) {
  char dir_template[] = "/tmp/crio-bench-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(dir_template);
  crio::oci::RuntimeSettings settings;
  settings.handler_name = "runc";
  settings.runtime_binary = "/usr/sbin/runc";
  settings.runtime_root = dir / "runc";
  settings.monitor_binary = monitor;
  settings.monitor_env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  settings.exits_dir = dir / "exits";
  settings.attach_socket_dir = dir / "attach";
  crio::oci::Runtime runtime(settings);
  auto exits = crio::oci::ExitWatcher::Start(settings.exits_dir);

  Figures figures;
  std::vector<double> create_ms;
  std::vector<std::string> ids;
  std::vector<pid_t> monitors;
  for (int i = 0; i < count; ++i) {
    std::string id = NewId();
    std::filesystem::path bundle = dir / id.substr(0, 12);
    std::filesystem::create_directories(bundle);
    (void)crio::RunCommand({"runc", "spec", "--bundle", bundle.string()});
    nlohmann::json spec = nlohmann::json::parse(std::ifstream(bundle / "config.json"));
    spec["root"] = {{"path", rootfs}, {"readonly", true}};
    spec["process"]["args"] = {"sleep", "1000"};
    spec["process"]["terminal"] = false;
    std::ofstream(bundle / "config.json") << spec.dump();

    crio::oci::CreateOptions options{.id = id,
                                     .name = "bench",
                                     .bundle = bundle,
                                     .log_path = bundle / "ctr.log",
                                     .persist_dir = bundle};
    absl::Time start = absl::Now();
    absl::StatusOr<pid_t> pid = runtime.Create(options);
    if (!pid.ok()) {
      std::fprintf(stderr, "create failed: %s\n", std::string(pid.status().message()).c_str());
      ++figures.failed;
      continue;
    }
    create_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    ids.push_back(id);
    (void)runtime.Start(id);
    std::ifstream pidfile(bundle / "conmon-pidfile");
    pid_t monitor_pid = 0;
    pidfile >> monitor_pid;
    monitors.push_back(monitor_pid);
  }
  absl::SleepFor(absl::Milliseconds(500));  // let the monitors settle into their idle loop
  for (pid_t pid : monitors) {
    figures.rss_kib += ProcKib(pid, "status", "VmRSS:");
    figures.pss_kib += ProcKib(pid, "smaps_rollup", "Pss:");
  }
  if (!monitors.empty()) {
    figures.rss_kib /= monitors.size();
    figures.pss_kib /= monitors.size();
  }
  if (!create_ms.empty()) {
    figures.create_median_ms = Percentile(create_ms, 0.5);
    figures.create_p90_ms = Percentile(create_ms, 0.9);
  }
  for (const std::string& id : ids) {
    (void)runtime.Kill(id, SIGKILL, true);
    (*exits)->Wait(id, absl::Seconds(10));
    (void)runtime.Delete(id);
  }
  exits->reset();
  std::filesystem::remove_all(dir);
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 20;
  (void)crio::Reaper::Get().BecomeSubreaper();
  std::printf("monitor benchmark: %d idle `sleep` containers per monitor, runc %s\n", count,
              "(/usr/sbin/runc)");
  std::printf("%-22s %14s %14s %12s %12s %18s\n", "monitor", "create p50 ms", "create p90 ms",
              "RSS KiB", "PSS KiB", "idle ctrs/100MiB");
  for (const auto& [label, path] : std::vector<std::pair<std::string, std::string>>{
           {"crio-cpp conmon", CONMON_BINARY}, {"Debian conmon 2.1.6", "/usr/bin/conmon"}}) {
    Figures f = Measure(path, BUSYBOX_ROOTFS, count);
    if (f.failed == count) {
      std::printf("%-22s every create failed (see above)\n", label.c_str());
      continue;
    }
    double per_100mib = f.pss_kib > 0 ? 100.0 * 1024 / f.pss_kib : 0;
    std::printf("%-22s %14.1f %14.1f %12.0f %12.0f %18.0f\n", label.c_str(), f.create_median_ms,
                f.create_p90_ms, f.rss_kib, f.pss_kib, per_100mib);
  }
  return 0;
}
