// Pull benchmark: a generated image of 8 gzip layers (256 MiB uncompressed) pulled from Debian's
// docker-registry on 127.0.0.1 into an empty store, by our Puller (registry client, parallel
// layer downloads, streaming extraction) and by `skopeo copy docker://... containers-storage:`
// (the containers/image + containers/storage stack CRI-O uses), in the same run. Prints wall
// time, MiB/s and peak RSS: for ours, the growth of this process's peak RSS during the pull (this
// process plays the daemon); for skopeo, its own peak.
//
//   build/bench/pull_bench [layers=8] [MiB per layer=32]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/image/puller.h"
#include "crio/storage/store.h"
#include "generated_image.h"
#include "loopback.h"

namespace {

// A field of /proc/<pid>/status in KiB (VmHWM, VmRSS); 0 when gone.
long StatusKib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string layers = argc > 1 ? argv[1] : "8";
  std::string mib = argc > 2 ? argv[2] : "32";
  std::optional<bench::GeneratedImage> generated =
      bench::GenerateImage(MAKE_IMAGE_SCRIPT, layers, mib);
  if (!generated) return 1;
  std::filesystem::path dir = generated->dir;
  std::filesystem::path layout = generated->layout;

  int port = crio::testing::FreeLoopbackPort();
  std::string host = "127.0.0.1:" + std::to_string(port);
  std::ofstream(dir / "registry.yml")
      << "version: 0.1\nlog:\n  level: error\nstorage:\n"
         "  filesystem:\n    rootdirectory: "
      << (dir / "registry").string() << "\nhttp:\n  addr: " << host << "\n";
  absl::StatusOr<pid_t> registry =
      crio::Spawn({.argv = {"docker-registry", "serve", (dir / "registry.yml").string()}});
  if (!registry.ok()) {
    std::fprintf(stderr, "docker-registry: %s\n", std::string(registry.status().message()).c_str());
    return 1;
  }
  for (int i = 0; i < 200 && !crio::testing::LoopbackAccepts(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string name = host + "/bench:1";
  auto pushed = crio::RunCommand({"skopeo", "copy", "-q", "--dest-tls-verify=false",
                                  "oci:" + layout.string() + ":latest", "docker://" + name},
                                 {}, absl::Minutes(10));
  int result = 0;
  if (!pushed.ok() || pushed->exit_code != 0) {
    std::fprintf(stderr, "pushing failed: %s\n", pushed.ok() ? pushed->err.c_str() : "");
    result = 1;
  }

  double total_mib = 0, ours_s = 0, skopeo_s = 0;
  long ours_rss_growth = 0, skopeo_peak = 0;
  if (result == 0) {
    crio::storage::StoreOptions options;
    options.root = dir / "ours-root";
    options.runroot = dir / "ours-run";
    auto store = crio::storage::Store::Open(options);
    crio::image::RegistriesConf registries;
    registries.registries.push_back({.prefix = host, .location = host, .insecure = true});
    auto policy = crio::image::Policy::Parse(R"({"default":[{"type":"insecureAcceptAnything"}]})",
                                             "policy.json");
    crio::image::SystemContext context;
    context.temporary_dir = dir;
    crio::image::Puller puller(**store, registries, *policy, context);
    bench::DropCaches();
    long rss_before = StatusKib(::getpid(), "VmRSS");
    absl::Time start = absl::Now();
    absl::StatusOr<std::string> id = puller.Pull(name);
    ::sync();
    ours_s = absl::ToDoubleSeconds(absl::Now() - start);
    ours_rss_growth = StatusKib(::getpid(), "VmHWM") - rss_before;
    if (!id.ok()) {
      std::fprintf(stderr, "our pull failed: %s\n", std::string(id.status().message()).c_str());
      result = 1;
    } else {
      for (const auto& layer : *(*store)->layers().List())
        total_mib += static_cast<double>(layer.uncompressed_size) / (1 << 20);
    }
    (void)(*store)->Shutdown();
  }
  if (result == 0) {
    std::filesystem::path root = dir / "skopeo-root", run = dir / "skopeo-run";
    bench::DropCaches();
    absl::Time start = absl::Now();
    absl::StatusOr<pid_t> skopeo =
        crio::Spawn({.argv = {"skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + name,
                              "containers-storage:[overlay@" + root.string() + "+" + run.string() +
                                  "]bench:1"}});
    std::optional<int> status;
    while (skopeo.ok() && !status) {
      skopeo_peak = std::max(skopeo_peak, StatusKib(*skopeo, "VmHWM"));
      status = crio::Reaper::Get().Wait(*skopeo, absl::Milliseconds(20));
    }
    ::sync();
    skopeo_s = absl::ToDoubleSeconds(absl::Now() - start);
    if (!status || *status != 0) {
      std::fprintf(stderr, "skopeo failed\n");
      result = 1;
    }
    (void)crio::RunCommand(
        {"containers-storage", "-g", root.string(), "-R", run.string(), "shutdown", "-f"});
  }
  ::kill(*registry, SIGTERM);
  (void)crio::Reaper::Get().Wait(*registry, absl::Seconds(10));
  if (result == 0) {
    std::printf("%s layers, %.0f MiB uncompressed, from docker-registry on loopback\n",
                layers.c_str(), total_mib);
    std::printf("%-34s %9s %9s %14s\n", "", "seconds", "MiB/s", "peak RSS MiB");
    std::printf("%-34s %9.2f %9.1f %14.1f (growth)\n", "crio-cpp Puller", ours_s,
                total_mib / ours_s, static_cast<double>(ours_rss_growth) / 1024);
    std::printf("%-34s %9.2f %9.1f %14.1f\n", "skopeo copy (c/image+c/storage)", skopeo_s,
                total_mib / skopeo_s, static_cast<double>(skopeo_peak) / 1024);
    std::printf("ratio ours/skopeo: %.2f\n", ours_s / skopeo_s);
  }
  std::filesystem::remove_all(dir);
  return result;
}
