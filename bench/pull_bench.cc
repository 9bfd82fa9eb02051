// Pull benchmark: a generated image of 8 gzip layers (256 MiB uncompressed) pulled from Debian's
// docker-registry on 127.0.0.1 into an empty store, by the real crio daemon (PullImage over its
// CRI socket) and by `skopeo copy docker://... containers-storage:` (the containers/image +
// containers/storage stack CRI-O uses), in the same run. Prints wall time, MiB/s and memory: for
// the daemon its resident size before the pull and its peak during it (the peak is reset just
// before the pull through /proc/<pid>/clear_refs), for skopeo its own peak.
//
//   build/bench/pull_bench [layers=8] [MiB per layer=32]
// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.grpc.pb.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/time/clock.h"
#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
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

double Mib(long kib) { return static_cast<double>(kib) / 1024; }

// The daemon as a node runs it, on a socket in `dir`, with a store of its own in `dir`.
struct Daemon {
  pid_t pid = -1;
  std::unique_ptr<runtime::v1::ImageService::Stub> images;
};

std::optional<Daemon> StartDaemon(const std::filesystem::path& dir, const std::string& registry) {
  std::ofstream(dir / "registries.conf")
      << "[[registry]]\nlocation = \"" << registry << "\"\ninsecure = true\n";
  std::ofstream(dir / "policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";
  // Layers fetched ahead of their turn wait in the bench's directory, like skopeo's.
  std::ofstream(dir / "crio.conf")
      << "[crio.image]\nbig_files_temporary_dir = \"" << dir.string() << "\"\n";
  std::filesystem::create_directories(dir / "crio.conf.d");
  ::setenv("CONTAINERS_REGISTRIES_CONF", (dir / "registries.conf").c_str(), 1);
  int log = ::open((dir / "crio.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  std::filesystem::path socket = dir / "crio.sock";
  absl::StatusOr<pid_t> pid = crio::Spawn(
      {.argv = {CRIO_BINARY, "--config", (dir / "crio.conf").string(), "--config-dir",
                (dir / "crio.conf.d").string(), "--listen", socket.string(), "--root",
                (dir / "crio-root").string(), "--runroot", (dir / "crio-run").string(),
                "--signature-policy", (dir / "policy.json").string(), "--log-level", "warn"},
       .stdout_fd = log,
       .stderr_fd = log});
  ::close(log);
  if (!pid.ok()) {
    std::fprintf(stderr, "crio: %s\n", std::string(pid.status().message()).c_str());
    return std::nullopt;
  }
  Daemon daemon{.pid = *pid, .images = nullptr};
  auto channel = grpc::CreateChannel("unix:" + socket.string(), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30))) {
    std::fprintf(stderr, "crio did not start; see %s\n", (dir / "crio.log").c_str());
    ::kill(*pid, SIGTERM);
    (void)crio::Reaper::Get().Wait(*pid, absl::Seconds(15));
    return std::nullopt;
  }
  daemon.images = runtime::v1::ImageService::NewStub(channel);
  return daemon;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<bench::GeneratedImage> generated =
      bench::GenerateImageFromArgs(MAKE_IMAGE_SCRIPT, argc, argv);
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
  long daemon_before = 0, daemon_peak = 0, skopeo_peak = 0;
  if (result == 0) {
    std::optional<Daemon> daemon = StartDaemon(dir, host);
    if (!daemon) {
      result = 1;
    } else {
      bench::DropCaches();
      daemon_before = StatusKib(daemon->pid, "VmRSS");
      // From here VmHWM is the peak of the pull alone, not of the daemon's start.
      std::ofstream("/proc/" + std::to_string(daemon->pid) + "/clear_refs") << "5";
      runtime::v1::PullImageRequest request;
      request.mutable_image()->set_image(name);
      runtime::v1::PullImageResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
      absl::Time start = absl::Now();
      grpc::Status pulled = daemon->images->PullImage(&context, request, &response);
      ::sync();
      ours_s = absl::ToDoubleSeconds(absl::Now() - start);
      daemon_peak = StatusKib(daemon->pid, "VmHWM");
      if (!pulled.ok()) {
        std::fprintf(stderr, "PullImage failed: %s\n", pulled.error_message().c_str());
        result = 1;
      } else {
        runtime::v1::ImageStatusRequest status_request;
        status_request.mutable_image()->set_image(name);
        runtime::v1::ImageStatusResponse status;
        grpc::ClientContext status_context;
        if (daemon->images->ImageStatus(&status_context, status_request, &status).ok())
          total_mib = static_cast<double>(status.image().size()) / (1 << 20);
      }
      ::kill(daemon->pid, SIGTERM);
      (void)crio::Reaper::Get().Wait(daemon->pid, absl::Seconds(30));
    }
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
                generated->layers.c_str(), total_mib);
    std::printf("%-34s %9s %9s %12s %12s %12s\n", "", "seconds", "MiB/s", "RSS before", "peak RSS",
                "growth");
    std::printf("%-34s %9.2f %9.1f %8.1f MiB %8.1f MiB %8.1f MiB\n", "crio-cpp daemon (PullImage)",
                ours_s, total_mib / ours_s, Mib(daemon_before), Mib(daemon_peak),
                Mib(daemon_peak - daemon_before));
    std::printf("%-34s %9.2f %9.1f %12s %8.1f MiB\n", "skopeo copy (c/image+c/storage)", skopeo_s,
                total_mib / skopeo_s, "", Mib(skopeo_peak));
    std::printf("ratio crio-cpp/skopeo: %.2f\n", ours_s / skopeo_s);
  }
  std::filesystem::remove_all(dir);
  return result;
}
