// The OCI runtime layer against real runc and a real monitor: ours (conmon/) and Debian's conmon,
// which must behave the same for every test here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bundle.h"
#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/oci/cgroup.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime.h"
#include "process.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

// Children of this process that are still around (zombies included).
int CountChildren() {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::istringstream children(ReadAll(task.path() / "children"));
    std::string pid;
    while (children >> pid) ++count;
  }
  return count;
}

// Whether crun can run a container on this host. Debian 12's crun 1.8 refuses hosts whose cgroup
// v2 hierarchy has controllers while v1 is mounted too ("hybrid" layout), as on this build host.
// Empty when it works, the reason otherwise.
const std::string& CrunUnusableReason() {
  static const std::string reason = [] {
    TempDir dir;
    WriteBundle(dir.path() / "bundle", {.args = {"true"}});
    absl::StatusOr<CommandResult> run =
        RunCommand({"crun", "--root", (dir.path() / "root").string(), "run", "--bundle",
                    (dir.path() / "bundle").string(), "crun-probe"},
                   {}, absl::Seconds(30));
    (void)RunCommand(
        {"crun", "--root", (dir.path() / "root").string(), "delete", "--force", "crun-probe"});
    if (!run.ok()) return std::string(run.status().message());
    if (run->exit_code != 0) return "crun cannot run containers here: " + run->err + run->out;
    return std::string();
  }();
  return reason;
}

struct Setup {
  std::string monitor;  // "ours" or "debian"
  std::string runtime;  // "runc" or "crun"
};

void PrintTo(const Setup& setup, std::ostream* out) {
  *out << setup.monitor << "/" << setup.runtime;
}

// A runtime handler whose state, exit files and sockets live in a directory of the test's own;
// TearDown kills and deletes whatever the test created.
class RuntimeFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(Reaper::Get().BecomeSubreaper().ok()); }

  void StartRuntime(const std::filesystem::path& runtime_binary,
                    const std::filesystem::path& monitor_binary) {
    oci::RuntimeSettings settings;
    settings.handler_name = runtime_binary.filename().string();
    settings.runtime_binary = runtime_binary;
    settings.runtime_root = dir_.path() / "runtime";
    settings.monitor_binary = monitor_binary;
    settings.monitor_env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    settings.exits_dir = dir_.path() / "exits";
    settings.attach_socket_dir = dir_.path() / "attach";
    settings.create_timeout = absl::Seconds(30);
    runtime_ = std::make_unique<oci::Runtime>(settings);
    auto watcher = oci::ExitWatcher::Start(settings.exits_dir);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    exits_ = std::move(*watcher);
  }

  void TearDown() override {
    for (const std::string& id : created_) {
      (void)runtime_->Kill(id, SIGKILL, /*all=*/true);
      exits_->Wait(id, absl::Seconds(10));
      EXPECT_TRUE(runtime_->Delete(id).ok());
    }
    exits_.reset();
  }

  TempDir dir_;
  std::unique_ptr<oci::Runtime> runtime_;
  std::unique_ptr<oci::ExitWatcher> exits_;
  std::vector<std::string> created_;
};

class OciRuntimeTest : public RuntimeFixture, public ::testing::WithParamInterface<Setup> {
 protected:
  void SetUp() override {
    if (GetParam().runtime == "crun" && !CrunUnusableReason().empty()) {
      GTEST_SKIP() << "Skipping crun: " << CrunUnusableReason();
    }
    StartRuntime(GetParam().runtime == "crun" ? "/usr/bin/crun" : "/usr/sbin/runc",
                 GetParam().monitor == "ours" ? CONMON_BINARY : "/usr/bin/conmon");
  }

  void TearDown() override {
    if (runtime_ == nullptr) return;  // skipped
    RuntimeFixture::TearDown();
    // Every monitor and runtime process has been collected: nothing is left behind.
    EXPECT_TRUE(Eventually([] { return CountChildren() == 0; }, std::chrono::seconds(10)))
        << CountChildren() << " children left";
  }

  struct Created {
    std::string id;
    std::filesystem::path bundle;
    std::filesystem::path log;
    pid_t pid = 0;
  };

  Created Create(const BundleOptions& bundle_options, bool expect_ok = true) {
    Created created;
    created.id = RandomHexId();
    created.bundle = dir_.path() / "bundles" / created.id.substr(0, 12);
    created.log = dir_.path() / "logs" / (created.id.substr(0, 12) + ".log");
    WriteBundle(created.bundle, bundle_options);
    oci::CreateOptions options;
    options.id = created.id;
    options.name = "test-" + created.id.substr(0, 6);
    options.bundle = created.bundle;
    options.log_path = created.log;
    options.persist_dir = created.bundle;
    options.terminal = bundle_options.terminal;
    absl::StatusOr<pid_t> pid = runtime_->Create(options);
    last_create_status_ = pid.status();
    if (pid.ok()) {
      created_.push_back(created.id);
      created.pid = *pid;
    }
    if (expect_ok) EXPECT_TRUE(pid.ok()) << pid.status();
    return created;
  }

  absl::Status last_create_status_;
};

TEST_P(OciRuntimeTest, RunsAContainerToItsExitCodeAndLogsBothStreams) {
  Created c = Create({.args = {"sh", "-c", "echo hello; echo oops >&2; exit 3"}});
  ASSERT_GT(c.pid, 0);
  absl::StatusOr<oci::RuntimeState> state = runtime_->State(c.id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, "created");
  EXPECT_EQ(state->pid, c.pid);

  ASSERT_TRUE(runtime_->Start(c.id).ok());
  std::optional<oci::ExitInfo> exit = exits_->Wait(c.id, absl::Seconds(20));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 3);
  std::string log = ReadAll(c.log);
  EXPECT_THAT(log, HasSubstr(" stdout F hello\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F oops\n"));
}

TEST_P(OciRuntimeTest, ExitZeroIsRecorded) {
  Created c = Create({.args = {"true"}});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  std::optional<oci::ExitInfo> exit = exits_->Wait(c.id, absl::Seconds(20));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_LE(exit->finished, absl::Now());
}

TEST_P(OciRuntimeTest, KillIsReportedAs128PlusSignal) {
  Created c = Create({});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  EXPECT_EQ(runtime_->State(c.id)->status, "running");
  ASSERT_TRUE(runtime_->Kill(c.id, SIGKILL).ok());
  std::optional<oci::ExitInfo> exit = exits_->Wait(c.id, absl::Seconds(20));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 137);
}

TEST_P(OciRuntimeTest, StopEscalatesToSigkillAfterTheTimeout) {
  // The shell ignores SIGTERM and so does its child.
  Created c = Create({.args = {"sh", "-c", "trap '' TERM; sleep 1000 & wait"}});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  absl::SleepFor(absl::Milliseconds(200));  // let the trap be installed
  absl::Time start = absl::Now();
  ASSERT_TRUE(oci::StopContainer(*runtime_, *exits_, c.id, SIGTERM, absl::Seconds(1)).ok());
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(exits_->Wait(c.id, absl::ZeroDuration())->exit_code, 137);
}

TEST_P(OciRuntimeTest, StopWithTheSignalAloneWhenTheContainerObeys) {
  // PID 1 of a container gets only the signals it handles, so this one handles SIGTERM.
  Created c = Create({.args = {"sh", "-c", "trap 'exit 42' TERM; sleep 1000 & wait"}});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  absl::SleepFor(absl::Milliseconds(200));  // let the trap be installed
  absl::Time start = absl::Now();
  ASSERT_TRUE(oci::StopContainer(*runtime_, *exits_, c.id, SIGTERM, absl::Seconds(20)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(exits_->Wait(c.id, absl::ZeroDuration())->exit_code, 42);
  // Stopping again is a no-op.
  EXPECT_TRUE(oci::StopContainer(*runtime_, *exits_, c.id, SIGTERM, absl::Seconds(1)).ok());
}

TEST_P(OciRuntimeTest, OomKillIsRecorded) {
  // dd's 64 MiB buffer cannot fit in a 16 MiB cgroup.
  Created c = Create({.args = {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"},
                      .memory_limit = 16 * 1024 * 1024});
  EXPECT_FALSE(oci::WasOomKilled(c.bundle));
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  std::optional<oci::ExitInfo> exit = exits_->Wait(c.id, absl::Seconds(20));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 137);
  EXPECT_TRUE(Eventually([&] { return oci::WasOomKilled(c.bundle); }, std::chrono::seconds(5)));
}

TEST_P(OciRuntimeTest, CreateFailureCarriesTheRuntimeError) {
  Created c = Create({.args = {"/no/such/binary"}}, /*expect_ok=*/false);
  ASSERT_FALSE(last_create_status_.ok());
  EXPECT_THAT(std::string(last_create_status_.message()), HasSubstr("no such file or directory"));
}

TEST_P(OciRuntimeTest, ExecSyncReturnsOutputAndExitCode) {
  Created c = Create({});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  absl::StatusOr<oci::ExecSyncResult> result = runtime_->ExecSync(
      c.id, "test", c.bundle, {"sh", "-c", "echo out; echo err >&2; printf partial; exit 2"},
      absl::Seconds(20));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_EQ(result->out, "out\npartial");
  EXPECT_EQ(result->err, "err\n");
}

TEST_P(OciRuntimeTest, ExecSyncTimeoutKillsTheCommand) {
  Created c = Create({});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  absl::Time start = absl::Now();
  absl::StatusOr<oci::ExecSyncResult> result =
      runtime_->ExecSync(c.id, "test", c.bundle, {"sleep", "30"}, absl::Seconds(1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("command timed out after 1s"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
}

TEST_P(OciRuntimeTest, PauseAndResume) {
  Created c = Create({});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  ASSERT_TRUE(runtime_->Pause(c.id).ok());
  EXPECT_EQ(runtime_->State(c.id)->status, "paused");
  ASSERT_TRUE(runtime_->Resume(c.id).ok());
  EXPECT_EQ(runtime_->State(c.id)->status, "running");
}

TEST_P(OciRuntimeTest, UpdateResourcesChangesTheCgroup) {
  Created c = Create({.memory_limit = 64 * 1024 * 1024});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  ASSERT_TRUE(
      runtime_->UpdateResources(c.id, R"({"memory": {"limit": 33554432, "swap": 33554432}})").ok());
  absl::StatusOr<oci::ExecSyncResult> limit =
      runtime_->ExecSync(c.id, "test", c.bundle,
                         {"sh", "-c",
                          "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat "
                          "/sys/fs/cgroup/memory.max"},
                         absl::Seconds(20));
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->out, "33554432\n");
}

TEST_P(OciRuntimeTest, MonitorGoesIntoItsPodCgroup) {
  // A runtime whose monitors go to their pod, as with CRI-O's monitor_cgroup = "pod".
  oci::RuntimeSettings settings = runtime_->settings();
  settings.monitor_cgroup = "pod";
  oci::Runtime runtime(settings);
  std::string pod_cgroup = "/crio-test-pod-" + RandomHexId().substr(0, 8);
  std::string id = RandomHexId();
  std::filesystem::path bundle = dir_.path() / "bundles" / id.substr(0, 12);
  WriteBundle(bundle, {});
  oci::CreateOptions options{.id = id,
                             .name = "test",
                             .bundle = bundle,
                             .log_path = dir_.path() / "logs" / "pod.log",
                             .persist_dir = bundle};
  options.cgroup_parent = pod_cgroup;
  absl::StatusOr<pid_t> pid = runtime.Create(options);
  ASSERT_TRUE(pid.ok()) << pid.status();
  created_.push_back(id);
  pid_t monitor = 0;
  std::ifstream(bundle / "conmon-pidfile") >> monitor;
  std::string expected = pod_cgroup + "/crio-conmon-" + id;
  EXPECT_EQ(runtime.MonitorCgroup(id, pod_cgroup), expected);
  // Every hierarchy, v1 controllers and the v2 tree alike.
  std::string cgroups = ReadAll("/proc/" + std::to_string(monitor) + "/cgroup");
  EXPECT_THAT(cgroups, HasSubstr(":memory:" + expected + "\n"));
  EXPECT_THAT(cgroups, HasSubstr("0::" + expected + "\n"));

  (void)runtime.Kill(id, SIGKILL);
  ASSERT_TRUE(exits_->Wait(id, absl::Seconds(20)).has_value());
  ASSERT_TRUE(Eventually([&] { return ::kill(monitor, 0) != 0; }));
  ASSERT_TRUE(runtime.Delete(id).ok());
  ASSERT_TRUE(runtime.RemoveMonitorCgroup(id, pod_cgroup).ok());
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory" + expected));
  EXPECT_TRUE(oci::RemoveCgroup(pod_cgroup).ok());
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory" + pod_cgroup));
}

TEST_P(OciRuntimeTest, MissingContainerIsNotFoundAndDeleteIsIdempotent) {
  std::string id = RandomHexId();
  EXPECT_TRUE(absl::IsNotFound(runtime_->State(id).status()));
  EXPECT_TRUE(absl::IsNotFound(runtime_->Kill(id, SIGTERM)));
  EXPECT_TRUE(runtime_->Delete(id).ok());
}

// Start releases a created runc container itself (runtime_start.cc); these run runc through a
// wrapper that records its subcommands, so they see which path a start took.
class RuncStartTest : public RuntimeFixture {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "bin");
    wrapper_ = dir_.path() / "bin" / "runc";
    std::ofstream(wrapper_) << "#!/bin/sh\necho \"$*\" >> " << (dir_.path() / "calls").string()
                            << "\nexec /usr/sbin/runc \"$@\"\n";
    std::filesystem::permissions(wrapper_, std::filesystem::perms::owner_all);
    StartRuntime(wrapper_, CONMON_BINARY);
  }

  // Creates a container running `args`; `poststart_hook` adds a hook that runs `true`.
  std::pair<std::string, pid_t> Create(std::vector<std::string> args, bool poststart_hook) {
    std::string id = RandomHexId();
    bundle_ = dir_.path() / id.substr(0, 12);
    WriteBundle(bundle_, {.args = std::move(args)});
    if (poststart_hook) {
      nlohmann::json spec = nlohmann::json::parse(ReadAll(bundle_ / "config.json"));
      spec["hooks"]["poststart"] = {{{"path", "/bin/true"}}};
      std::ofstream(bundle_ / "config.json") << spec.dump();
    }
    absl::StatusOr<pid_t> pid = runtime_->Create({.id = id,
                                                  .name = "start-" + id.substr(0, 6),
                                                  .bundle = bundle_,
                                                  .log_path = bundle_ / "ctr.log",
                                                  .persist_dir = bundle_});
    EXPECT_TRUE(pid.ok()) << pid.status();
    created_.push_back(id);
    return {id, pid.value_or(0)};
  }

  // The runtime subcommands run so far, e.g. "create", "start", "state".
  std::vector<std::string> Subcommands() {
    std::vector<std::string> names;
    std::istringstream calls(ReadAll(dir_.path() / "calls"));
    std::string line;
    while (std::getline(calls, line)) {
      std::istringstream words(line);
      std::string word;
      while (words >> word) {
        if (word.rfind("-", 0) == 0 || word.find('/') != std::string::npos) continue;
        names.push_back(word);
        break;
      }
    }
    return names;
  }

  std::filesystem::path wrapper_;
  std::filesystem::path bundle_;
};

TEST_F(RuncStartTest, ReleasesTheInitWithoutRunningTheRuntime) {
  auto [id, pid] = Create({"sh", "-c", "echo started; sleep 1000"}, /*poststart_hook=*/false);
  ASSERT_GT(pid, 0);
  std::filesystem::path fifo = dir_.path() / "runtime" / id / "exec.fifo";
  ASSERT_TRUE(std::filesystem::exists(fifo));
  ASSERT_TRUE(runtime_->Start(id, {.init_pid = pid, .bundle = bundle_}).ok());
  EXPECT_THAT(Subcommands(), ::testing::Not(::testing::Contains("start")));
  EXPECT_FALSE(std::filesystem::exists(fifo));
  // runc itself now reports it running, and the process is the container's command.
  absl::StatusOr<oci::RuntimeState> state = runtime_->State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, "running");
  EXPECT_EQ(state->pid, pid);
  EXPECT_TRUE(Eventually(
      [&] { return ReadAll(bundle_ / "ctr.log").find("started") != std::string::npos; }));
  // Starting it again is runc's error, as with `runc start` alone.
  absl::Status again = runtime_->Start(id, {.init_pid = pid, .bundle = bundle_});
  EXPECT_FALSE(again.ok());
  EXPECT_THAT(std::string(again.message()), HasSubstr("running"));
}

TEST_F(RuncStartTest, PoststartHooksGoThroughTheRuntime) {
  auto [id, pid] = Create({"sleep", "1000"}, /*poststart_hook=*/true);
  ASSERT_TRUE(runtime_->Start(id, {.init_pid = pid, .bundle = bundle_}).ok());
  EXPECT_THAT(Subcommands(), ::testing::Contains("start"));
  absl::StatusOr<oci::RuntimeState> state = runtime_->State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, "running");
}

TEST_F(RuncStartTest, AnInitThatDiedIsLeftToTheRuntimeToReport) {
  auto [id, pid] = Create({"sleep", "1000"}, /*poststart_hook=*/false);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(exits_->Wait(id, absl::Seconds(20)).has_value());
  absl::Status started = runtime_->Start(id, {.init_pid = pid, .bundle = bundle_});
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(Subcommands(), ::testing::Contains("start"));
}

INSTANTIATE_TEST_SUITE_P(MonitorsAndRuntimes, OciRuntimeTest,
                         ::testing::Values(Setup{"ours", "runc"}, Setup{"debian", "runc"},
                                           Setup{"ours", "crun"}, Setup{"debian", "crun"}),
                         [](const auto& info) {
                           return info.param.monitor + "_" + info.param.runtime;
                         });

}  // namespace
}  // namespace crio::testing
