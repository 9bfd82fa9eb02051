// Pod benchmark client: drives any CRI runtime over its socket and prints RunPodSandbox latency
// (sequential, then N clients in parallel) and the latency of a whole pod lifecycle (run, status,
// stop, remove). bench/pod_bench.sh runs it against crio-cpp and containerd side by side.
// Prints figures; asserts nothing.
//
//   pod_bench --endpoint unix:///path.sock --label NAME [--count 50] [--parallel 4]
//             [--shared-pid] [--pull IMAGE] [--daemon-pid PID]
#include "runtime/v1/api.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include "bench_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using bench::Clock;
using bench::Deadline;
using bench::Figures;
using bench::HighWaterKib;
using bench::Millis;
using bench::RandomSuffix;
using bench::Summarize;

struct Options {
  std::string endpoint;
  std::string label;
  int count = 50;
  int parallel = 4;
  bool shared_pid = false;
  std::string pull;
  int daemon_pid = 0;
};

runtime::v1::PodSandboxConfig PodConfig(const Options& options, const std::string& name) {
  runtime::v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_("bench");
  config.mutable_metadata()->set_uid(RandomSuffix());
  config.set_hostname(name);
  config.set_log_directory("/tmp/pod-bench-logs/" + name);
  config.mutable_dns_config()->add_servers("10.96.0.10");
  config.mutable_dns_config()->add_searches("bench.svc.cluster.local");
  auto* linux = config.mutable_linux();
  linux->set_cgroup_parent("/pod-bench");
  // What the kubelet sends for an ordinary pod: its own network and IPC, PID per container unless
  // the pod shares its process namespace.
  linux->mutable_security_context()->mutable_namespace_options()->set_pid(
      options.shared_pid ? runtime::v1::POD : runtime::v1::CONTAINER);
  return config;
}

class Bench {
 public:
  explicit Bench(Options options) : options_(std::move(options)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    auto channel =
        grpc::CreateCustomChannel(options_.endpoint, grpc::InsecureChannelCredentials(), args);
    runtime_ = runtime::v1::RuntimeService::NewStub(channel);
    images_ = runtime::v1::ImageService::NewStub(channel);
  }

  bool Pull(const std::string& image) {
    runtime::v1::PullImageRequest request;
    request.mutable_image()->set_image(image);
    runtime::v1::PullImageResponse response;
    grpc::Status status = images_->PullImage(Deadline(300).get(), request, &response);
    if (!status.ok())
      std::fprintf(stderr, "pull %s: %s\n", image.c_str(), status.error_message().c_str());
    return status.ok();
  }

  // Runs one pod; returns its id ("" on failure) and the call's latency.
  std::string Run(const std::string& name, double* millis) {
    runtime::v1::RunPodSandboxRequest request;
    *request.mutable_config() = PodConfig(options_, name);
    runtime::v1::RunPodSandboxResponse response;
    auto start = Clock::now();
    grpc::Status status = runtime_->RunPodSandbox(Deadline().get(), request, &response);
    *millis = Millis(Clock::now() - start);
    if (!status.ok()) {
      std::fprintf(stderr, "RunPodSandbox: %s\n", status.error_message().c_str());
      failures_++;
      return "";
    }
    return response.pod_sandbox_id();
  }

  bool StopAndRemove(const std::string& id) {
    runtime::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    runtime::v1::StopPodSandboxResponse stopped;
    grpc::Status status = runtime_->StopPodSandbox(Deadline().get(), stop, &stopped);
    runtime::v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(id);
    runtime::v1::RemovePodSandboxResponse removed;
    if (status.ok()) status = runtime_->RemovePodSandbox(Deadline().get(), remove, &removed);
    if (!status.ok()) {
      std::fprintf(stderr, "stop/remove %s: %s\n", id.c_str(), status.error_message().c_str());
      failures_++;
    }
    return status.ok();
  }

  bool Status(const std::string& id) {
    runtime::v1::PodSandboxStatusRequest request;
    request.set_pod_sandbox_id(id);
    runtime::v1::PodSandboxStatusResponse response;
    return runtime_->PodSandboxStatus(Deadline().get(), request, &response).ok();
  }

  void RunAll() {
    if (!options_.pull.empty() && !Pull(options_.pull)) return;
    // One pod first, not measured: it pulls or warms whatever the runtime caches.
    double ignored = 0;
    if (std::string id = Run("warmup-" + RandomSuffix().substr(0, 6), &ignored); !id.empty()) {
      StopAndRemove(id);
    }

    std::vector<double> sequential;
    std::vector<std::string> ids;
    for (int i = 0; i < options_.count; ++i) {
      double millis = 0;
      std::string id = Run("seq-" + std::to_string(i) + "-" + RandomSuffix().substr(0, 6), &millis);
      if (!id.empty()) {
        sequential.push_back(millis);
        ids.push_back(id);
      }
    }
    for (const std::string& id : ids) StopAndRemove(id);

    std::vector<double> parallel(options_.count);
    std::vector<std::string> parallel_ids(options_.count);
    std::atomic<int> next{0};
    auto wall_start = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < options_.parallel; ++w) {
      workers.emplace_back([&] {
        for (int i = next++; i < options_.count; i = next++) {
          parallel_ids[i] =
              Run("par-" + std::to_string(i) + "-" + RandomSuffix().substr(0, 6), &parallel[i]);
        }
      });
    }
    for (auto& worker : workers) worker.join();
    double parallel_wall = Millis(Clock::now() - wall_start);
    for (const std::string& id : parallel_ids) {
      if (!id.empty()) StopAndRemove(id);
    }

    std::vector<double> lifecycle;
    for (int i = 0; i < options_.count; ++i) {
      auto start = Clock::now();
      double millis = 0;
      std::string id =
          Run("life-" + std::to_string(i) + "-" + RandomSuffix().substr(0, 6), &millis);
      if (id.empty()) continue;
      Status(id);
      if (StopAndRemove(id)) lifecycle.push_back(Millis(Clock::now() - start));
    }

    Figures seq = Summarize(sequential);
    Figures par = Summarize(parallel);
    Figures life = Summarize(lifecycle);
    std::printf(
        "%-28s RunPodSandbox seq median %7.1f ms p99 %7.1f ms | %d parallel median %7.1f ms "
        "p99 %7.1f ms (%5.1f pods/s) | lifecycle median %7.1f ms p99 %7.1f ms | daemon peak RSS "
        "%6.1f MiB | failures %d\n",
        options_.label.c_str(), seq.median, seq.p99, options_.parallel, par.median, par.p99,
        options_.count * 1000.0 / parallel_wall, life.median, life.p99,
        HighWaterKib(options_.daemon_pid) / 1024.0, failures_.load());
  }

 private:
  Options options_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
  std::atomic<int> failures_{0};
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--endpoint") {
      options.endpoint = value();
    } else if (arg == "--label") {
      options.label = value();
    } else if (arg == "--count") {
      options.count = std::stoi(value());
    } else if (arg == "--parallel") {
      options.parallel = std::stoi(value());
    } else if (arg == "--shared-pid") {
      options.shared_pid = true;
    } else if (arg == "--pull") {
      options.pull = value();
    } else if (arg == "--daemon-pid") {
      options.daemon_pid = std::stoi(value());
    } else {
      std::fprintf(stderr, "pod_bench: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (options.endpoint.empty()) {
    std::fprintf(stderr, "pod_bench: --endpoint is required\n");
    return 2;
  }
  Bench(options).RunAll();
  return 0;
}
