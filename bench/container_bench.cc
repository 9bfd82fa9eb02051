// Container benchmark client. Against a CRI socket it prints CreateContainer and StartContainer
// latency (N containers kept running side by side in one pod) and the latency of a whole
// container lifecycle (create, start, status, stop, remove). With --runc-floor it instead times
// runc alone on a bundle over the same busybox root filesystem (`runc run -d`, then `runc create`
// + `runc start`, each followed by `runc delete -f`): the cost no CRI runtime over runc can
// undercut. bench/container_bench.sh runs it against crio-cpp and containerd and for the floor.
// Prints figures; asserts nothing.
//
//   container_bench --endpoint unix:///path.sock --image IMAGE --label NAME [--count 50]
//                   [--pull IMAGE]... [--daemon-pid PID] [--log-root DIR] [--tsv]
//                   [--seccomp runtime-default|unconfined|none]
//   container_bench --runc-floor ROOTFS [--runc runc] [--work DIR] [--count 50] [--tsv]
#include "runtime/v1/api.grpc.pb.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include "bench_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

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
  std::string image;
  std::vector<std::string> pulls;
  std::string log_root = "/tmp/container-bench-logs";
  int count = 50;
  int daemon_pid = 0;
  bool tsv = false;
  std::string runc_floor;  // the rootfs; selects the runc mode
  std::string runc = "runc";
  std::string work;
  // CRI mode: where to save the runtime spec the daemon generated for the warm-up container.
  // Floor mode: the spec to run (the same bundle the daemon's runtime ran), instead of runc's
  // own `runc spec` defaults.
  std::string save_spec;
  std::string spec;
  // The seccomp profile every container asks for. Sent explicitly, as the kubelet does, so that
  // both runtimes do the same work: with nothing sent, CRI-O (and so crio-cpp) applies its
  // default profile and containerd none. "none" sends nothing.
  std::string seccomp = "runtime-default";
};

// One row in both output forms: the line a person reads, or the tab-separated one the script
// lines up beside the other runtimes. What a series does not measure is printed as "-".
struct Row {
  std::string label;
  Figures create, start, create_start, lifecycle;
  bool has_split = true;  // create and start timed apart
  double rss_mib = 0;
  int failures = 0;
};

std::string Cell(double value, bool present = true) {
  if (!present) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  return buffer;
}

void Print(const Row& row, bool tsv) {
  bool split = row.has_split;
  bool rss = row.rss_mib > 0;
  const char* format =
      tsv ? "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n"
          : "%s: create median %s ms p99 %s ms | start median %s ms p99 %s ms | create+start "
            "median %s ms p99 %s ms | lifecycle median %s ms p99 %s ms | daemon peak RSS %s MiB "
            "| failures %d\n";
  std::printf(format, row.label.c_str(), Cell(row.create.median, split).c_str(),
              Cell(row.create.p99, split).c_str(), Cell(row.start.median, split).c_str(),
              Cell(row.start.p99, split).c_str(), Cell(row.create_start.median).c_str(),
              Cell(row.create_start.p99).c_str(), Cell(row.lifecycle.median).c_str(),
              Cell(row.lifecycle.p99).c_str(), Cell(row.rss_mib, rss).c_str(), row.failures);
}

class CriBench {
 public:
  explicit CriBench(Options options) : options_(std::move(options)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    auto channel =
        grpc::CreateCustomChannel(options_.endpoint, grpc::InsecureChannelCredentials(), args);
    runtime_ = runtime::v1::RuntimeService::NewStub(channel);
    images_ = runtime::v1::ImageService::NewStub(channel);
  }

  int RunAll() {
    for (const std::string& image : options_.pulls) {
      if (!Pull(image)) return 1;
    }
    if (!Pull(options_.image)) return 1;
    std::string pod_name = "ctr-bench-" + RandomSuffix().substr(0, 6);
    pod_config_ = PodConfig(pod_name);
    // The kubelet makes the pod's log directory; runtimes only create the files in it.
    std::filesystem::create_directories(pod_config_.log_directory());
    if (!RunPod()) return 1;

    // One container first, not measured: it unpacks or mounts whatever the runtime caches.
    if (std::string id = Create("warmup", nullptr); !id.empty()) {
      Start(id, nullptr);
      if (!options_.save_spec.empty()) SaveSpec(id);
      StopAndRemove(id);
    }

    // Containers stay up until the series ends, as a pod's containers do, so later ones are
    // created beside running ones.
    std::vector<double> creates, starts, create_starts;
    std::vector<std::string> ids;
    for (int i = 0; i < options_.count; ++i) {
      double create = 0;
      double start = 0;
      std::string id = Create("ctr-" + std::to_string(i), &create);
      if (id.empty()) continue;
      ids.push_back(id);
      creates.push_back(create);
      if (!Start(id, &start)) continue;
      starts.push_back(start);
      create_starts.push_back(create + start);
    }
    for (const std::string& id : ids) StopAndRemove(id);

    std::vector<double> lifecycle;
    for (int i = 0; i < options_.count; ++i) {
      auto begin = Clock::now();
      std::string id = Create("life-" + std::to_string(i), nullptr);
      if (id.empty()) continue;
      bool ok = Start(id, nullptr);
      ok = Status(id) && ok;
      ok = StopAndRemove(id) && ok;
      if (ok) lifecycle.push_back(Millis(Clock::now() - begin));
    }

    StopAndRemovePod();
    Row row;
    row.label = options_.label;
    row.create = Summarize(creates);
    row.start = Summarize(starts);
    row.create_start = Summarize(create_starts);
    row.lifecycle = Summarize(lifecycle);
    row.rss_mib = HighWaterKib(options_.daemon_pid) / 1024.0;
    row.failures = failures_;
    Print(row, options_.tsv);
    return 0;
  }

 private:
  runtime::v1::PodSandboxConfig PodConfig(const std::string& name) {
    runtime::v1::PodSandboxConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_metadata()->set_namespace_("bench");
    config.mutable_metadata()->set_uid(RandomSuffix());
    config.set_hostname(name);
    config.set_log_directory(options_.log_root + "/" + name);
    config.mutable_dns_config()->add_servers("10.96.0.10");
    config.mutable_dns_config()->add_searches("bench.svc.cluster.local");
    auto* linux = config.mutable_linux();
    linux->set_cgroup_parent("/container-bench");
    // The kubelet's default: a PID namespace per container, unless the pod shares one.
    linux->mutable_security_context()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
    return config;
  }

  runtime::v1::ContainerConfig ContainerConfig(const std::string& name) {
    runtime::v1::ContainerConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_image()->set_image(options_.image);
    // The image's own command is an interactive sh, which would exit at once on /dev/null.
    config.add_command("sleep");
    config.add_command("3600");
    config.set_log_path(name + ".log");
    // The kubelet copies the pod's namespace modes into every container.
    *config.mutable_linux()->mutable_security_context()->mutable_namespace_options() =
        pod_config_.linux().security_context().namespace_options();
    if (options_.seccomp != "none") {
      config.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
          options_.seccomp == "unconfined" ? runtime::v1::SecurityProfile::Unconfined
                                           : runtime::v1::SecurityProfile::RuntimeDefault);
    }
    return config;
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

  bool RunPod() {
    runtime::v1::RunPodSandboxRequest request;
    *request.mutable_config() = pod_config_;
    runtime::v1::RunPodSandboxResponse response;
    grpc::Status status = runtime_->RunPodSandbox(Deadline().get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "%s: RunPodSandbox: %s\n", options_.label.c_str(),
                   status.error_message().c_str());
      return false;
    }
    pod_id_ = response.pod_sandbox_id();
    return true;
  }

  void StopAndRemovePod() {
    runtime::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod_id_);
    runtime::v1::StopPodSandboxResponse stopped;
    grpc::Status status = runtime_->StopPodSandbox(Deadline().get(), stop, &stopped);
    runtime::v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(pod_id_);
    runtime::v1::RemovePodSandboxResponse removed;
    if (status.ok()) status = runtime_->RemovePodSandbox(Deadline().get(), remove, &removed);
    if (!status.ok()) Fail("stop/remove pod", status);
  }

  // Names get a random tail so that a name a runtime still reserves (a failed removal) cannot
  // turn every later create into a failure.
  std::string Create(const std::string& name, double* millis) {
    runtime::v1::CreateContainerRequest request;
    request.set_pod_sandbox_id(pod_id_);
    *request.mutable_config() = ContainerConfig(name + "-" + RandomSuffix().substr(0, 6));
    *request.mutable_sandbox_config() = pod_config_;
    runtime::v1::CreateContainerResponse response;
    auto begin = Clock::now();
    grpc::Status status = runtime_->CreateContainer(Deadline().get(), request, &response);
    if (millis != nullptr) *millis = Millis(Clock::now() - begin);
    if (!status.ok()) {
      Fail("CreateContainer", status);
      return "";
    }
    return response.container_id();
  }

  bool Start(const std::string& id, double* millis) {
    runtime::v1::StartContainerRequest request;
    request.set_container_id(id);
    runtime::v1::StartContainerResponse response;
    auto begin = Clock::now();
    grpc::Status status = runtime_->StartContainer(Deadline().get(), request, &response);
    if (millis != nullptr) *millis = Millis(Clock::now() - begin);
    if (!status.ok()) Fail("StartContainer", status);
    return status.ok();
  }

  // The runtime spec from the verbose ContainerStatus (its "runtimeSpec" key, as CRI-O and
  // containerd put it there).
  void SaveSpec(const std::string& id) {
    runtime::v1::ContainerStatusRequest request;
    request.set_container_id(id);
    request.set_verbose(true);
    runtime::v1::ContainerStatusResponse response;
    grpc::Status status = runtime_->ContainerStatus(Deadline().get(), request, &response);
    if (!status.ok() || !response.info().contains("info")) {
      std::fprintf(stderr, "%s: no verbose status to take the spec from\n", options_.label.c_str());
      return;
    }
    nlohmann::json info = nlohmann::json::parse(response.info().at("info"), nullptr, false);
    if (info.is_discarded() || !info.contains("runtimeSpec")) {
      std::fprintf(stderr, "%s: the verbose status has no runtimeSpec\n", options_.label.c_str());
      return;
    }
    std::ofstream(options_.save_spec) << info["runtimeSpec"].dump(2);
  }

  bool Status(const std::string& id) {
    runtime::v1::ContainerStatusRequest request;
    request.set_container_id(id);
    runtime::v1::ContainerStatusResponse response;
    grpc::Status status = runtime_->ContainerStatus(Deadline().get(), request, &response);
    if (!status.ok()) {
      Fail("ContainerStatus", status);
    } else if (response.status().state() != runtime::v1::CONTAINER_RUNNING) {
      std::fprintf(stderr, "%s: container %s is not running after start\n", options_.label.c_str(),
                   id.c_str());
      failures_++;
      return false;
    }
    return status.ok();
  }

  // Timeout 0: sleep ignores SIGTERM as its namespace's init, so a grace period would only be
  // waited out; this measures the runtime, not the timeout.
  bool StopAndRemove(const std::string& id) {
    runtime::v1::StopContainerRequest stop;
    stop.set_container_id(id);
    stop.set_timeout(0);
    runtime::v1::StopContainerResponse stopped;
    grpc::Status status = runtime_->StopContainer(Deadline().get(), stop, &stopped);
    if (!status.ok()) {
      Fail("StopContainer", status);
      return false;
    }
    runtime::v1::RemoveContainerRequest remove;
    remove.set_container_id(id);
    runtime::v1::RemoveContainerResponse removed;
    status = runtime_->RemoveContainer(Deadline().get(), remove, &removed);
    if (!status.ok()) Fail("RemoveContainer", status);
    return status.ok();
  }

  void Fail(const char* what, const grpc::Status& status) {
    std::fprintf(stderr, "%s: %s: %s\n", options_.label.c_str(), what,
                 status.error_message().c_str());
    failures_++;
  }

  Options options_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
  runtime::v1::PodSandboxConfig pod_config_;
  std::string pod_id_;
  int failures_ = 0;
};

// Runs a command with stdio on /dev/null, as a detached non-terminal container needs: with
// inherited pipes the container would hold them open and whoever reads them would never see EOF.
bool Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

constexpr const char* kRuncCgroupParent = "/container-bench-runc";

// runc delete removes a container's cgroup but not the parent they share; nothing else uses it.
void RemoveCgroupParent() {
  std::error_code ec;
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    rmdir((hierarchy.path().string() + kRuncCgroupParent).c_str());
  }
  rmdir((std::string("/sys/fs/cgroup") + kRuncCgroupParent).c_str());
}

// Namespaces for the floor's containers to join, standing in for a pod's pinned ones: a child
// that unshared them and waits to be killed.
class NamespaceHolder {
 public:
  NamespaceHolder() {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0) _exit(1);
      (void)!write(ready[1], "x", 1);
      while (true) pause();
    }
    close(ready[1]);
    char byte;
    if (pid_ < 0 || read(ready[0], &byte, 1) != 1) pid_ = -1;
    close(ready[0]);
  }
  ~NamespaceHolder() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  NamespaceHolder(const NamespaceHolder&) = delete;
  NamespaceHolder& operator=(const NamespaceHolder&) = delete;
  // "/proc/<pid>/ns/<kind>", or "" when there is no holder.
  std::string Path(const std::string& kind) const {
    return pid_ > 0 ? "/proc/" + std::to_string(pid_) + "/ns/" + kind : "";
  }

 private:
  pid_t pid_ = -1;
};

// The daemon's spec as the floor runs it: every namespace it joined becomes the holder's of the
// same kind, and bind-mount sources that belonged to the daemon's (by now removed) pod become
// empty stand-ins in the bundle, so runc does the same work without the daemon.
void AdaptDaemonSpec(nlohmann::json& spec, const std::filesystem::path& bundle,
                     const NamespaceHolder& holder) {
  static const std::map<std::string, std::string> kKinds = {
      {"network", "net"}, {"ipc", "ipc"}, {"uts", "uts"}};
  nlohmann::json namespaces = nlohmann::json::array();
  for (nlohmann::json ns : spec["linux"].value("namespaces", nlohmann::json::array())) {
    if (ns.contains("path")) {
      auto kind = kKinds.find(ns.value("type", ""));
      if (kind == kKinds.end() || holder.Path(kind->second).empty()) {
        ns.erase("path");
      } else {
        ns["path"] = holder.Path(kind->second);
      }
    }
    namespaces.push_back(ns);
  }
  spec["linux"]["namespaces"] = namespaces;
  int stand_ins = 0;
  for (nlohmann::json& mount : spec["mounts"]) {
    std::string source = mount.value("source", "");
    if (mount.value("type", "") != "bind" || source.empty() || std::filesystem::exists(source)) {
      continue;
    }
    std::filesystem::path stand_in = bundle / ("stand-in-" + std::to_string(stand_ins++));
    std::string destination = mount.value("destination", "");
    if (destination.rfind("/etc/", 0) == 0 || destination.rfind("/dev/termination", 0) == 0) {
      std::ofstream(stand_in) << "";
    } else {
      std::filesystem::create_directories(stand_in);
    }
    mount["source"] = stand_in.string();
  }
  spec.erase("hooks");
  spec["linux"].erase("mountLabel");
}

// runc spec's defaults (its namespaces, capabilities, masked paths) with only what a detached
// `sleep 3600` over the fixture needs changed. Each container gets a cgroup of its own under one
// named parent, as a CRI runtime's containers do under their pod's.
bool WriteBundle(const Options& options, const std::filesystem::path& bundle, const std::string& id,
                 const NamespaceHolder& holder) {
  std::filesystem::create_directories(bundle);
  std::filesystem::remove(bundle / "config.json");
  nlohmann::json spec;
  if (!options.spec.empty()) {
    std::ifstream in(options.spec);
    spec = nlohmann::json::parse(in, nullptr, false);
    if (spec.is_discarded()) return false;
    AdaptDaemonSpec(spec, bundle, holder);
  } else {
    if (!Spawn({options.runc, "spec", "--bundle", bundle.string()})) {
      std::fprintf(stderr, "runc spec failed\n");
      return false;
    }
    std::ifstream in(bundle / "config.json");
    spec = nlohmann::json::parse(in, nullptr, false);
  }
  if (spec.is_discarded()) return false;
  spec["process"]["args"] = {"sleep", "3600"};
  spec["process"]["terminal"] = false;
  spec["root"]["path"] = std::filesystem::absolute(options.runc_floor).string();
  spec["root"]["readonly"] = true;
  spec["hostname"] = id;
  spec["linux"]["cgroupsPath"] = std::string(kRuncCgroupParent) + "/" + id;
  std::ofstream(bundle / "config.json") << spec.dump(2);
  return true;
}

// Two series over the same bundle: `runc run -d`, the floor proper, and `runc create` then
// `runc start`, the two calls a CRI runtime must make since CRI creates and starts separately.
int RuncFloor(const Options& options) {
  std::filesystem::path work = options.work;
  bool own_work = work.empty();
  if (own_work) {
    char pattern[] = "/tmp/container-bench-runc.XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    work = pattern;
  }
  std::string state = (work / "state").string();
  int failures = 0;
  NamespaceHolder holder;
  // Fills millis with the time of each step; the last one is always `delete -f`, run even when
  // an earlier step failed, since a run that failed half way can leave a created container.
  auto series = [&](const std::string& id, const std::vector<std::vector<std::string>>& steps,
                    std::vector<double>* millis) {
    std::filesystem::path bundle = work / "bundles" / id;
    if (!WriteBundle(options, bundle, id, holder)) {
      failures++;
      return false;
    }
    bool ok = true;
    for (std::vector<std::string> step : steps) {
      step.insert(step.begin(), {options.runc, "--root", state});
      const std::string command = step[3];  // a copy: step grows below
      if (command != "delete" && !ok) continue;
      if (command == "run" || command == "create") {
        step.insert(step.end(), {"--bundle", bundle.string()});
      }
      step.push_back(id);
      auto begin = Clock::now();
      if (!Spawn(step)) {
        std::fprintf(stderr, "runc floor: runc %s %s failed\n", command.c_str(), id.c_str());
        ok = false;
      }
      millis->push_back(Millis(Clock::now() - begin));
    }
    std::filesystem::remove_all(bundle);
    if (!ok) failures++;
    return ok;
  };
  const std::vector<std::vector<std::string>> run_steps = {{"run", "-d"}, {"delete", "-f"}};
  const std::vector<std::vector<std::string>> split_steps = {
      {"create"}, {"start"}, {"delete", "-f"}};

  std::vector<double> ignored;
  series("ctr-bench-warmup-" + RandomSuffix().substr(0, 6), run_steps, &ignored);
  std::vector<double> runs, run_deletes;
  for (int i = 0; i < options.count; ++i) {
    std::vector<double> millis;
    if (series("ctr-bench-run-" + std::to_string(i) + "-" + RandomSuffix().substr(0, 6), run_steps,
               &millis)) {
      runs.push_back(millis[0]);
      run_deletes.push_back(millis[0] + millis[1]);
    }
  }
  int run_failures = failures;
  failures = 0;
  std::vector<double> creates, starts, create_starts, split_deletes;
  for (int i = 0; i < options.count; ++i) {
    std::vector<double> millis;
    if (series("ctr-bench-split-" + std::to_string(i) + "-" + RandomSuffix().substr(0, 6),
               split_steps, &millis)) {
      creates.push_back(millis[0]);
      starts.push_back(millis[1]);
      create_starts.push_back(millis[0] + millis[1]);
      split_deletes.push_back(millis[0] + millis[1] + millis[2]);
    }
  }
  if (own_work) std::filesystem::remove_all(work);
  RemoveCgroupParent();

  std::string label = options.label.empty() ? "runc floor" : options.label;
  Row run_row;
  run_row.label = label;
  run_row.has_split = false;
  run_row.create_start = Summarize(runs);
  run_row.lifecycle = Summarize(run_deletes);
  run_row.failures = run_failures;
  Print(run_row, options.tsv);
  Row split_row;
  split_row.label = label + " (create; start)";
  split_row.create = Summarize(creates);
  split_row.start = Summarize(starts);
  split_row.create_start = Summarize(create_starts);
  split_row.lifecycle = Summarize(split_deletes);
  split_row.failures = failures;
  Print(split_row, options.tsv);
  return 0;
}

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
    } else if (arg == "--image") {
      options.image = value();
    } else if (arg == "--pull") {
      options.pulls.push_back(value());
    } else if (arg == "--count") {
      options.count = std::stoi(value());
    } else if (arg == "--daemon-pid") {
      options.daemon_pid = std::stoi(value());
    } else if (arg == "--log-root") {
      options.log_root = value();
    } else if (arg == "--tsv") {
      options.tsv = true;
    } else if (arg == "--save-spec") {
      options.save_spec = value();
    } else if (arg == "--spec") {
      options.spec = value();
    } else if (arg == "--seccomp") {
      options.seccomp = value();
      if (options.seccomp != "runtime-default" && options.seccomp != "unconfined" &&
          options.seccomp != "none") {
        std::fprintf(stderr, "container_bench: --seccomp runtime-default|unconfined|none\n");
        return 2;
      }
    } else if (arg == "--runc-floor") {
      options.runc_floor = value();
    } else if (arg == "--runc") {
      options.runc = value();
    } else if (arg == "--work") {
      options.work = value();
    } else {
      std::fprintf(stderr, "container_bench: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (!options.runc_floor.empty()) return RuncFloor(options);
  if (options.endpoint.empty() || options.image.empty()) {
    std::fprintf(stderr, "container_bench: --endpoint and --image are required\n");
    return 2;
  }
  return CriBench(options).RunAll();
}
