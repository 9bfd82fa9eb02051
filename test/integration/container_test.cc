// Containers in pods end to end: the real daemon, conmon, runc and the busybox image from the
// local registry, in a test-owned network namespace (see support/node.h).
#include "pod_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;

using ContainerTest = PodFixture;

TEST_F(ContainerTest, RunsToCompletionWithExitCodeReasonAndLogs) {
  std::string id =
      CreateAndStart(Config("oneshot", {"sh", "-c", "echo hello; echo oops >&2; exit 3"}));
  ASSERT_TRUE(Eventually([&] { return Status(id).state() == runtime::v1::CONTAINER_EXITED; }));
  runtime::v1::ContainerStatus status = Status(id);
  EXPECT_EQ(status.exit_code(), 3);
  EXPECT_EQ(status.reason(), "Error");
  EXPECT_GT(status.started_at(), 0);
  EXPECT_GE(status.finished_at(), status.started_at());
  EXPECT_EQ(status.log_path(), pod_config_.log_directory() + "/oneshot.log");
  std::string log = ReadAll(status.log_path());
  EXPECT_THAT(log, HasSubstr(" stdout F hello\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F oops\n"));

  std::string ok = CreateAndStart(Config("fine", {"true"}));
  ASSERT_TRUE(Eventually([&] { return Status(ok).state() == runtime::v1::CONTAINER_EXITED; }));
  EXPECT_EQ(Status(ok).exit_code(), 0);
  EXPECT_EQ(Status(ok).reason(), "Completed");
}

TEST_F(ContainerTest, SharesThePodNetworkAndHostnameAndExecSyncWorks) {
  std::string id = CreateAndStart(Config("sleeper", {"sleep", "1000"}));
  EXPECT_EQ(Status(id).state(), runtime::v1::CONTAINER_RUNNING);
  EXPECT_EQ(Exec(id, {"hostname"}).stdout(), "ctr-pod\n");
  std::string pod_ip = node_.PodStatus(pod_id_).status().network().ip();
  EXPECT_THAT(Exec(id, {"ip", "-4", "addr", "show", "eth0"}).stdout(), HasSubstr(pod_ip + "/16"));
  runtime::v1::ExecSyncResponse failing = Exec(id, {"sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(failing.exit_code(), 7);
  EXPECT_EQ(failing.stdout(), "out\n");
  EXPECT_EQ(failing.stderr(), "err\n");

  // Past its timeout the command is killed and the answer is DEADLINE_EXCEEDED, which the
  // kubelet reads as a timed-out probe; nothing of it is left running.
  runtime::v1::ExecSyncRequest slow;
  slow.set_container_id(id);
  for (const char* arg : {"sh", "-c", "echo started; exec sleep 77"}) slow.add_cmd(arg);
  slow.set_timeout(1);
  runtime::v1::ExecSyncResponse slow_response;
  absl::Time begin = absl::Now();
  grpc::Status timed_out = node_.daemon().runtime().ExecSync(
      Context(std::chrono::seconds(30)).get(), slow, &slow_response);
  EXPECT_EQ(timed_out.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(timed_out.error_message(), HasSubstr("command timed out after 1s"));
  EXPECT_LT(absl::Now() - begin, absl::Seconds(10));
  EXPECT_EQ(Exec(id, {"sh", "-c", "ps -o args | grep -c '^sleep 77' || true"}).stdout(), "0\n");
}

TEST_F(ContainerTest, UserEnvAndWorkingDirFollowTheConfig) {
  runtime::v1::ContainerConfig config = Config("who", {"sleep", "1000"});
  config.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1234);
  auto* env = config.add_envs();
  env->set_key("GREETING");
  env->set_value("hi there");
  config.set_working_dir("/tmp/work");
  std::string id = CreateAndStart(config);
  EXPECT_EQ(Exec(id, {"id", "-u"}).stdout(), "1234\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo $GREETING"}).stdout(), "hi there\n");
  EXPECT_EQ(Exec(id, {"pwd"}).stdout(), "/tmp/work\n");
}

TEST_F(ContainerTest, StopRemoveAndPodRemovalTakeContainersAway) {
  std::string id = CreateAndStart(Config("stopme", {"sleep", "1000"}));
  ASSERT_TRUE(Stop(id, 1).ok());
  runtime::v1::ContainerStatus status = Status(id);
  EXPECT_EQ(status.state(), runtime::v1::CONTAINER_EXITED);
  // sleep is its PID namespace's init and has no SIGTERM handler, so the kernel drops SIGTERM:
  // only the SIGKILL after the timeout ends it.
  EXPECT_EQ(status.exit_code(), 128 + SIGKILL);
  EXPECT_EQ(status.reason(), "Error");
  EXPECT_TRUE(Stop(id, 1).ok());  // stopping again is fine

  ASSERT_TRUE(Remove(id).ok());
  runtime::v1::ListContainersResponse listed;
  ASSERT_TRUE(node_.daemon().runtime().ListContainers(Context().get(), {}, &listed).ok());
  EXPECT_EQ(listed.containers_size(), 0);

  std::string running = CreateAndStart(Config("with-pod", {"sleep", "1000"}));
  int pid =
      nlohmann::json::parse([&] {
        runtime::v1::ContainerStatusRequest request;
        request.set_container_id(running);
        request.set_verbose(true);
        runtime::v1::ContainerStatusResponse response;
        EXPECT_TRUE(
            node_.daemon().runtime().ContainerStatus(Context().get(), request, &response).ok());
        return response.info().at("info");
      }())["pid"]
          .get<int>();
  ASSERT_GT(pid, 0);
  node_.StopAndRemovePod(pod_id_);
  EXPECT_FALSE(std::filesystem::exists(StrCat("/proc/", pid)));
  ASSERT_TRUE(node_.daemon().runtime().ListContainers(Context().get(), {}, &listed).ok());
  EXPECT_EQ(listed.containers_size(), 0);
}

TEST_F(ContainerTest, DuplicateNameAndUnknownImageAreRefused) {
  runtime::v1::ContainerConfig config = Config("dup", {"sleep", "1000"});
  std::string first;
  ASSERT_TRUE(TryCreate(config, &first).ok());
  std::string second;
  grpc::Status again = TryCreate(config, &second);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(again.error_message(), HasSubstr(first));

  runtime::v1::ContainerConfig missing = Config("missing", {"true"});
  missing.mutable_image()->set_image("127.0.0.1:1/not/there:1");
  grpc::Status unknown = TryCreate(missing, &second);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), HasSubstr("image not known"));
}

TEST_F(ContainerTest, ContainersKeepTheirStatesAndLogsAcrossADaemonRestart) {
  // The running one logs while the daemon is down too: its monitor keeps the log, not the daemon.
  std::string running = CreateAndStart(Config(
      "keeps-running", {"sh", "-c",
                        "echo before; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo after; "
                        "exec sleep 1000"}));
  std::string exited = CreateAndStart(Config("keeps-exited", {"sh", "-c", "echo bye; exit 4"}));
  ASSERT_TRUE(Eventually([&] { return Status(exited).state() == runtime::v1::CONTAINER_EXITED; }));
  std::string running_log = Status(running).log_path();
  std::string exited_log = Status(exited).log_path();
  auto logged = [](const std::string& path, const std::string& line) {
    return Eventually([&] { return ReadAll(path).find(line) != std::string::npos; });
  };
  ASSERT_TRUE(logged(running_log, " stdout F before\n"));
  runtime::v1::ContainerStatusRequest request;
  request.set_container_id(running);
  request.set_verbose(true);
  runtime::v1::ContainerStatusResponse response;
  ASSERT_TRUE(node_.daemon().runtime().ContainerStatus(Context().get(), request, &response).ok());
  int pid = nlohmann::json::parse(response.info().at("info"))["pid"].get<int>();

  node_.daemon().process().Signal(SIGTERM);
  ASSERT_TRUE(node_.daemon().process().Wait(std::chrono::seconds(15)).has_value());
  std::ofstream(StrCat("/proc/", pid, "/root/tmp/go")) << "";
  EXPECT_TRUE(logged(running_log, " stdout F after\n")) << "nothing logged without the daemon";
  node_.daemon().Start();

  EXPECT_EQ(Status(running).state(), runtime::v1::CONTAINER_RUNNING);
  EXPECT_EQ(Status(exited).state(), runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(Status(exited).exit_code(), 4);
  EXPECT_EQ(Exec(running, {"echo", "still here"}).stdout(), "still here\n");
  EXPECT_THAT(ReadAll(exited_log), HasSubstr(" stdout F bye\n"));
  EXPECT_THAT(ReadAll(running_log), HasSubstr(" stdout F before\n"));
}

}  // namespace
}  // namespace crio::testing

namespace crio::testing {
namespace {

TEST_F(ContainerTest, CrioctlCreateStartPsExecLogsStopRm) {
  auto crioctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", node_.daemon().endpoint()});
    return crio::testing::Run(args);
  };
  std::filesystem::path pod_file = node_.dir().Write("cli-pod.json", [&] {
    std::string json;
    google::protobuf::util::MessageToJsonString(pod_config_, &json);
    return json;
  }());
  std::filesystem::path ctr_file = node_.dir().Write(
      "cli-ctr.json",
      StrCat(R"({"metadata": {"name": "cli"}, "image": {"image": ")", node_.busybox_image(), R"("},
  "command": ["sh", "-c", "echo from-cli; trap 'exit 0' TERM; while :; do sleep 1; done"],
  "log_path": "cli.log", "linux": {"security_context": {"namespace_options": {"pid": 1}}}})"));
  RunResult created = crioctl({"create", pod_id_, ctr_file.string(), pod_file.string()});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  std::string id = created.output.substr(0, created.output.find('\n'));
  ASSERT_EQ(crioctl({"start", id}).exit_code, 0);
  EXPECT_THAT(crioctl({"ps"}).output, HasSubstr(id.substr(0, 13)));
  EXPECT_EQ(crioctl({"ps", "-q", "--name", "cli"}).output, id + "\n");
  RunResult exec = crioctl({"exec", id, "sh", "-c", "echo $((6 * 7)); exit 5"});
  EXPECT_EQ(exec.exit_code, 5);
  EXPECT_EQ(exec.output, "42\n");
  EXPECT_TRUE(Eventually([&] { return crioctl({"logs", id}).output == "from-cli\n"; }));
  nlohmann::json inspected = nlohmann::json::parse(crioctl({"inspect", id}).output);
  EXPECT_EQ(inspected["status"]["state"], "CONTAINER_RUNNING");
  EXPECT_EQ(inspected["info"]["sandboxID"], pod_id_);
  EXPECT_NE(crioctl({"rm", id}).exit_code, 0);  // running: needs -f or a stop first
  ASSERT_EQ(crioctl({"stop", "-t", "5", id}).exit_code, 0);
  EXPECT_EQ(Status(id).exit_code(), 0);
  EXPECT_EQ(crioctl({"ps", "-q"}).output, "");
  EXPECT_EQ(crioctl({"ps", "-a", "-q"}).output, id + "\n");
  ASSERT_EQ(crioctl({"rm", id}).exit_code, 0);
  EXPECT_EQ(crioctl({"ps", "-a", "-q"}).output, "");
}

}  // namespace
}  // namespace crio::testing

namespace crio::testing {
namespace {

std::string CgroupFile(const std::string& parent, const std::string& id, const char* controller,
                       const char* file) {
  return StrCat("/sys/fs/cgroup/", controller, parent, "/crio-", id, "/", file);
}

TEST_F(ContainerTest, UpdateContainerResourcesReachesTheCgroupAndTheStatus) {
  runtime::v1::ContainerConfig config = Config("resized", {"sleep", "1000"});
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  std::string id = CreateAndStart(config);
  std::string limit_file =
      CgroupFile(pod_config_.linux().cgroup_parent(), id, "memory", "memory.limit_in_bytes");
  ASSERT_EQ(ReadAll(limit_file), StrCat(64 << 20, "\n"));

  runtime::v1::UpdateContainerResourcesRequest request;
  request.set_container_id(id);
  request.mutable_linux()->set_memory_limit_in_bytes(128 << 20);
  request.mutable_linux()->set_cpu_quota(50000);
  request.mutable_linux()->set_cpu_period(100000);
  runtime::v1::UpdateContainerResourcesResponse response;
  grpc::Status status = node_.daemon().runtime().UpdateContainerResources(
      Context(std::chrono::seconds(30)).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ReadAll(limit_file), StrCat(128 << 20, "\n"));
  EXPECT_EQ(ReadAll(CgroupFile(pod_config_.linux().cgroup_parent(), id, "cpu", "cpu.cfs_quota_us")),
            "50000\n");
  runtime::v1::ContainerStatus after = Status(id);
  EXPECT_EQ(after.resources().linux().memory_limit_in_bytes(), 128 << 20);
  EXPECT_EQ(after.resources().linux().cpu_quota(), 50000);
}

TEST_F(ContainerTest, ReopenContainerLogStartsANewFileAfterRotation) {
  std::string id =
      CreateAndStart(Config("rotating", {"sh", "-c", "while :; do echo tick; sleep 0.1; done"}));
  std::string log = Status(id).log_path();
  ASSERT_TRUE(Eventually([&] { return ReadAll(log).find("tick") != std::string::npos; }));
  std::filesystem::rename(log, log + ".1");
  runtime::v1::ReopenContainerLogRequest request;
  request.set_container_id(id);
  runtime::v1::ReopenContainerLogResponse response;
  grpc::Status status =
      node_.daemon().runtime().ReopenContainerLog(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Eventually([&] { return ReadAll(log).find(" stdout F tick") != std::string::npos; }));
}

TEST_F(ContainerTest, ContainerAndPodStatsArePlausible) {
  std::string id = CreateAndStart(
      Config("busy", {"sh", "-c",
                      "head -c 8000000 /dev/zero > /tmp/fill; i=0; while [ $i -lt 200000 ]; "
                      "do i=$((i+1)); done; sleep 1000"}));
  ASSERT_TRUE(Eventually([&] {
    return Exec(id, {"sh", "-c", "ls -l /tmp/fill | grep -q 8000000 && echo ok"}).stdout() ==
           "ok\n";
  }));
  std::string pod_ip = node_.PodStatus(pod_id_).status().network().ip();
  ASSERT_EQ(crio::testing::Run({"busybox", "ping", "-c", "2", "-W", "2", pod_ip}).exit_code, 0);

  runtime::v1::ContainerStatsRequest request;
  request.set_container_id(id);
  runtime::v1::ContainerStatsResponse response;
  grpc::Status status =
      node_.daemon().runtime().ContainerStats(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const runtime::v1::ContainerStats& stats = response.stats();
  EXPECT_EQ(stats.attributes().id(), id);
  EXPECT_GT(stats.cpu().usage_core_nano_seconds().value(), 1000000u);  // the loop ran > 1 ms
  EXPECT_GT(stats.memory().working_set_bytes().value(), 0u);
  EXPECT_LT(stats.memory().working_set_bytes().value(), 1ull << 30);
  EXPECT_GE(stats.writable_layer().used_bytes().value(), 8000000u);
  EXPECT_GE(stats.writable_layer().inodes_used().value(), 1u);

  runtime::v1::PodSandboxStatsRequest pod_request;
  pod_request.set_pod_sandbox_id(pod_id_);
  runtime::v1::PodSandboxStatsResponse pod_response;
  status = node_.daemon().runtime().PodSandboxStats(Context().get(), pod_request, &pod_response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto& linux = pod_response.stats().linux();
  EXPECT_EQ(linux.network().default_interface().name(), "eth0");
  EXPECT_GT(linux.network().default_interface().rx_bytes().value(), 100u);  // the pings
  EXPECT_GT(linux.network().default_interface().tx_bytes().value(), 100u);
  EXPECT_GE(linux.process().process_count().value(), 1u);  // sleep (the shell exec()s it)
  EXPECT_GE(linux.cpu().usage_core_nano_seconds().value(),
            stats.cpu().usage_core_nano_seconds().value());
  ASSERT_EQ(linux.containers_size(), 1);
  EXPECT_EQ(linux.containers(0).attributes().id(), id);

  runtime::v1::ListContainerStatsResponse listed;
  ASSERT_TRUE(node_.daemon().runtime().ListContainerStats(Context().get(), {}, &listed).ok());
  ASSERT_EQ(listed.stats_size(), 1);
  runtime::v1::ListPodSandboxStatsResponse pods;
  ASSERT_TRUE(node_.daemon().runtime().ListPodSandboxStats(Context().get(), {}, &pods).ok());
  EXPECT_EQ(pods.stats_size(), 1);
}

}  // namespace
}  // namespace crio::testing

namespace crio::testing {
namespace {

TEST_F(ContainerTest, EventsArriveInOrderWithStatuses) {
  grpc::ClientContext context;
  auto reader = node_.daemon().runtime().GetContainerEvents(&context, {});
  std::vector<runtime::v1::ContainerEventResponse> events;
  std::mutex mu;
  std::thread collector([&] {
    runtime::v1::ContainerEventResponse event;
    while (reader->Read(&event)) {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(event);
    }
  });
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return events.size();
  };
  // The stream is live once an event comes through: run probe pods until one does.
  for (int probe = 0; count() == 0 && probe < 50; ++probe) {
    node_.RunPod(node_.PodConfig(StrCat("probe-", probe)));
    Eventually([&] { return count() > 0; }, std::chrono::milliseconds(200));
  }
  ASSERT_GT(count(), 0u);
  std::string id = CreateAndStart(Config("evented", {"sh", "-c", "sleep 0.2"}));
  ASSERT_TRUE(Eventually([&] { return Status(id).state() == runtime::v1::CONTAINER_EXITED; }));
  ASSERT_TRUE(Remove(id).ok());
  auto seen_deleted = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return std::any_of(events.begin(), events.end(), [&](const auto& event) {
      return event.container_id() == id &&
             event.container_event_type() == runtime::v1::CONTAINER_DELETED_EVENT;
    });
  };
  EXPECT_TRUE(Eventually(seen_deleted));
  context.TryCancel();
  collector.join();

  std::vector<runtime::v1::ContainerEventType> types;
  for (const auto& event : events) {
    if (event.container_id() == id) types.push_back(event.container_event_type());
  }
  EXPECT_EQ(types,
            (std::vector<runtime::v1::ContainerEventType>{
                runtime::v1::CONTAINER_CREATED_EVENT, runtime::v1::CONTAINER_STARTED_EVENT,
                runtime::v1::CONTAINER_STOPPED_EVENT, runtime::v1::CONTAINER_DELETED_EVENT}));
  for (const auto& event : events) {
    if (event.container_id() != id) continue;  // the probe pods' own events
    EXPECT_EQ(event.pod_sandbox_status().id(), pod_id_);
    EXPECT_GT(event.created_at(), 0);
  }
  // The STOPPED event carries the container's exited status.
  for (const auto& event : events) {
    if (event.container_id() != id ||
        event.container_event_type() != runtime::v1::CONTAINER_STOPPED_EVENT) {
      continue;
    }
    ASSERT_EQ(event.containers_statuses_size(), 1);
    EXPECT_EQ(event.containers_statuses(0).state(), runtime::v1::CONTAINER_EXITED);
  }
}

}  // namespace
}  // namespace crio::testing

namespace crio::testing {
namespace {

TEST_F(ContainerTest, CrioctlRunLogsFollowAndEvents) {
  auto crioctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", node_.daemon().endpoint()});
    return crio::testing::Run(args);
  };
  Process events({CrioctlBinary(), "-r", node_.daemon().endpoint(), "events"},
                 node_.dir().path() / "events.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  runtime::v1::PodSandboxConfig pod = node_.PodConfig("cli-run");
  std::string pod_json;
  google::protobuf::util::MessageToJsonString(pod, &pod_json);
  std::filesystem::path pod_file = node_.dir().Write("run-pod.json", pod_json);
  std::filesystem::path ctr_file = node_.dir().Write(
      "run-ctr.json", StrCat(R"({"metadata": {"name": "counter"}, "image": {"image": ")",
                             node_.busybox_image(), R"("},
  "command": ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.3; done"],
  "log_path": "counter.log", "linux": {"security_context": {"namespace_options": {"pid": 1}}}})"));
  RunResult run = crioctl({"run", ctr_file.string(), pod_file.string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string id = run.output.substr(0, run.output.find('\n'));
  // Follows until the container exits, so every line is there when it returns.
  RunResult follow = crioctl({"logs", "-f", id});
  EXPECT_EQ(follow.output, "line 1\nline 2\nline 3\n");
  EXPECT_TRUE(Eventually([&] {
    std::string out = ReadAll(node_.dir().path() / "events.out");
    return out.find("CONTAINER_STOPPED_EVENT") != std::string::npos &&
           out.find(id) != std::string::npos;
  })) << ReadAll(node_.dir().path() / "events.out");
  events.Signal(SIGTERM);
}

}  // namespace
}  // namespace crio::testing

namespace crio::testing {
namespace {

using ::testing::Not;

TEST_F(ContainerTest, PidTargetJoinsTheTargetContainersProcesses) {
  std::string target = CreateAndStart(Config("target", {"sleep", "1001"}));
  runtime::v1::ContainerConfig debugger = Config("debugger", {"sleep", "1002"});
  auto* ns = debugger.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(runtime::v1::TARGET);
  ns->set_target_id(target);
  std::string id = CreateAndStart(debugger);
  std::string other = CreateAndStart(Config("other", {"sleep", "1003"}));

  // Both see each other in one PID namespace; a container with its own sees neither.
  std::string from_debugger = Exec(id, {"ps"}).stdout();
  EXPECT_THAT(from_debugger, HasSubstr("sleep 1001"));
  EXPECT_THAT(from_debugger, HasSubstr("sleep 1002"));
  std::string from_target = Exec(target, {"ps"}).stdout();
  EXPECT_THAT(from_target, HasSubstr("sleep 1002"));
  std::string from_other = Exec(other, {"ps"}).stdout();
  EXPECT_THAT(from_other, Not(HasSubstr("sleep 1001")));
  EXPECT_THAT(from_other, Not(HasSubstr("sleep 1002")));
  // The target is the namespace's init: pid 1 in both views.
  std::string init = Exec(id, {"cat", "/proc/1/cmdline"}).stdout();
  std::replace(init.begin(), init.end(), '\0', ' ');
  EXPECT_EQ(init, "sleep 1001 ");

  ns->set_target_id("0123456789abcdef-not-there");
  std::string unused;
  debugger.mutable_metadata()->set_name("debugger-2");
  grpc::Status missing = TryCreate(debugger, &unused);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND) << missing.error_message();
  EXPECT_THAT(missing.error_message(), HasSubstr("PID namespace target"));
}

TEST_F(ContainerTest, RecursiveReadOnlyMountsCoverSubmounts) {
  // runc 1.1 lists "rro" and this kernel has mount_setattr: the handlers advertise it.
  runtime::v1::StatusResponse status_response;
  ASSERT_TRUE(node_.daemon().runtime().Status(Context().get(), {}, &status_response).ok());
  ASSERT_GT(status_response.runtime_handlers_size(), 0);
  for (const auto& handler : status_response.runtime_handlers()) {
    EXPECT_TRUE(handler.features().recursive_read_only_mounts()) << handler.name();
  }

  // A host directory with a writable tmpfs below it.
  std::filesystem::path host = node_.dir().path() / "rro-host";
  std::filesystem::create_directories(host / "sub");
  ASSERT_EQ(
      crio::testing::Run({"mount", "-t", "tmpfs", "rro-test", (host / "sub").string()}).exit_code,
      0);
  runtime::v1::ContainerConfig config = Config("rro", {"sleep", "1000"});
  for (const char* path : {"/rro", "/ro"}) {
    auto* mount = config.add_mounts();
    mount->set_container_path(path);
    mount->set_host_path(host.string());
    mount->set_readonly(true);
    mount->set_recursive_read_only(std::string(path) == "/rro");
  }
  std::string id = CreateAndStart(config);
  // Plain read-only leaves the submount writable; recursive read-only does not.
  EXPECT_EQ(Exec(id, {"touch", "/ro/sub/file"}).exit_code(), 0);
  runtime::v1::ExecSyncResponse refused = Exec(id, {"touch", "/rro/sub/other"});
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Read-only file system"));
  std::string mountinfo = Exec(id, {"grep", " /rro/sub ", "/proc/self/mountinfo"}).stdout();
  EXPECT_THAT(mountinfo, HasSubstr(" ro,"));

  // What CRI-O refuses is refused: recursive read-only needs readonly.
  runtime::v1::ContainerConfig writable = Config("rro-rw", {"sleep", "1000"});
  auto* mount = writable.add_mounts();
  mount->set_container_path("/rro");
  mount->set_host_path(host.string());
  mount->set_recursive_read_only(true);
  std::string unused;
  EXPECT_EQ(TryCreate(writable, &unused).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// The read-only overlay mounts below the daemon's store (image volumes; a container's rootfs is
// read-write), as /proc/self/mountinfo lists them: the daemon shares our mount namespace.
int ReadOnlyStoreMounts(const std::filesystem::path& store) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string prefix = (store / "overlay").string() + "/";
  int count = 0;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string_view> fields = StrSplit(line, ' ', true);
    if (fields.size() < 6 || !fields[4].starts_with(prefix)) continue;
    if (fields[5] == "ro" || fields[5].starts_with("ro,")) ++count;
  }
  return count;
}

TEST_F(ContainerTest, ImageVolumesMountTheImageReadOnlyAndGoAwayWithTheContainer) {
  std::filesystem::path store = node_.daemon().dir().path() / "storage";
  auto with_volume = [&](const std::string& name) {
    runtime::v1::ContainerConfig config = Config(name, {"sleep", "1000"});
    auto* mount = config.add_mounts();
    mount->set_container_path("/vol");
    mount->mutable_image()->set_image(node_.busybox_image());
    mount->set_readonly(true);
    return config;
  };
  auto remove = [&](const std::string& id) {
    grpc::Status status = Remove(id);
    EXPECT_TRUE(status.ok()) << status.error_message();
  };
  ASSERT_EQ(ReadOnlyStoreMounts(store), 0);

  std::string first = CreateAndStart(with_volume("image-vol-1"));
  EXPECT_EQ(Exec(first, {"test", "-x", "/vol/bin/busybox"}).exit_code(), 0);
  EXPECT_EQ(Exec(first, {"/vol/bin/busybox", "echo", "from the volume"}).stdout(),
            "from the volume\n");
  runtime::v1::ExecSyncResponse refused = Exec(first, {"touch", "/vol/new-file"});
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Read-only file system"));
  EXPECT_THAT(Exec(first, {"grep", " /vol ", "/proc/self/mountinfo"}).stdout(), HasSubstr(" ro,"));
  EXPECT_EQ(ReadOnlyStoreMounts(store), 1);

  // A second container of the same image shares the one mount, counted.
  std::string second = CreateAndStart(with_volume("image-vol-2"));
  EXPECT_EQ(Exec(second, {"test", "-x", "/vol/bin/busybox"}).exit_code(), 0);
  EXPECT_EQ(ReadOnlyStoreMounts(store), 1);

  remove(first);
  EXPECT_EQ(ReadOnlyStoreMounts(store), 1);
  EXPECT_EQ(Exec(second, {"test", "-x", "/vol/bin/busybox"}).exit_code(), 0);

  // What was mounted is remembered across a restart.
  node_.daemon().process().Signal(SIGTERM);
  ASSERT_TRUE(node_.daemon().process().Wait(std::chrono::seconds(15)).has_value());
  node_.daemon().Start();
  EXPECT_EQ(ReadOnlyStoreMounts(store), 1);
  remove(second);
  EXPECT_EQ(ReadOnlyStoreMounts(store), 0);
}

TEST_F(ContainerTest, ImageVolumeFailuresAreClearAndLeaveNoMount) {
  std::filesystem::path store = node_.daemon().dir().path() / "storage";
  runtime::v1::ContainerConfig unknown = Config("image-vol-unknown", {"true"});
  auto* missing = unknown.add_mounts();
  missing->set_container_path("/vol");
  missing->mutable_image()->set_image("127.0.0.1:1/not/there:1");
  std::string id;
  grpc::Status status = TryCreate(unknown, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("image volume /vol"));
  EXPECT_THAT(status.error_message(), HasSubstr("127.0.0.1:1/not/there:1"));

  // The first volume is mounted before the second one's sub path turns out missing: the failed
  // create gives it back.
  runtime::v1::ContainerConfig bad_sub_path = Config("image-vol-sub", {"sleep", "1000"});
  for (const char* path : {"/a", "/b"}) {
    auto* mount = bad_sub_path.add_mounts();
    mount->set_container_path(path);
    mount->mutable_image()->set_image(node_.busybox_image());
  }
  bad_sub_path.mutable_mounts(1)->set_image_sub_path("no/such/dir");
  status = TryCreate(bad_sub_path, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no/such/dir"));
  EXPECT_EQ(ReadOnlyStoreMounts(store), 0);

  // A sub path that exists is what the container sees.
  bad_sub_path.mutable_mounts(1)->set_image_sub_path("bin");
  std::string good = CreateAndStart(bad_sub_path);
  EXPECT_EQ(Exec(good, {"test", "-x", "/b/busybox"}).exit_code(), 0);
  EXPECT_EQ(Exec(good, {"test", "-d", "/a/bin"}).exit_code(), 0);
}

TEST_F(ContainerTest, CheckpointNeedsCriuAndMetricsNeedConfiguring) {
  std::string id = CreateAndStart(Config("checkpointed", {"sleep", "1000"}));
  runtime::v1::CheckpointContainerRequest request;
  request.set_container_id(id);
  request.set_location((node_.dir().path() / "checkpoint.tar").string());
  runtime::v1::CheckpointContainerResponse response;
  grpc::Status status =
      node_.daemon().runtime().CheckpointContainer(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // The message says what this node lacks, as CRIU itself sees it (contrib/deps.sh installs
  // Debian's, which fails its check on kernels newer than it knows).
  EXPECT_THAT(status.error_message(), HasSubstr("CRIU"));
  if (crio::testing::Run({"sh", "-c", "command -v criu"}).exit_code != 0) {
    EXPECT_THAT(status.error_message(), HasSubstr("no criu binary was found in PATH"));
  } else if (crio::testing::Run({"criu", "check"}).exit_code != 0) {
    EXPECT_THAT(status.error_message(), HasSubstr("fails its check on this kernel (Error"));
  } else {
    EXPECT_THAT(status.error_message(), HasSubstr("passes its check"));
  }
  EXPECT_FALSE(std::filesystem::exists(request.location()));
  request.set_container_id("not-there");
  EXPECT_EQ(node_.daemon()
                .runtime()
                .CheckpointContainer(Context().get(), request, &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // With no included_pod_metrics (the default) there are no metrics, and no error.
  runtime::v1::ListMetricDescriptorsResponse descriptors;
  ASSERT_TRUE(
      node_.daemon().runtime().ListMetricDescriptors(Context().get(), {}, &descriptors).ok());
  EXPECT_EQ(descriptors.descriptors_size(), 0);
  runtime::v1::ListPodSandboxMetricsResponse metrics;
  ASSERT_TRUE(node_.daemon().runtime().ListPodSandboxMetrics(Context().get(), {}, &metrics).ok());
  EXPECT_EQ(metrics.pod_metrics_size(), 0);
}

TEST_F(ContainerTest, CrioctlLogsSinceAndPreviousAndPsColumns) {
  auto crioctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", node_.daemon().endpoint()});
    return crio::testing::Run(args);
  };
  // Attempt 0 and attempt 1 of one container, logging where the kubelet puts them: <name>/<n>.log.
  runtime::v1::ContainerConfig first = Config("restarts", {"sh", "-c", "echo first run"});
  first.set_log_path("restarts/0.log");
  (*first.mutable_labels())["io.kubernetes.pod.name"] = "ctr-pod";
  (*first.mutable_labels())["io.kubernetes.pod.namespace"] = "test";
  std::string old_id = CreateAndStart(first);
  ASSERT_TRUE(Eventually([&] { return Status(old_id).state() == runtime::v1::CONTAINER_EXITED; }));
  runtime::v1::ContainerConfig second = first;
  second.mutable_metadata()->set_attempt(1);
  second.set_log_path("restarts/1.log");
  second.clear_command();
  for (const char* arg : {"sh", "-c", "echo second run; sleep 1000"}) second.add_command(arg);
  std::string id = CreateAndStart(second);
  ASSERT_TRUE(Eventually([&] { return crioctl({"logs", id}).output == "second run\n"; }));

  EXPECT_EQ(crioctl({"logs", "--previous", id}).output, "first run\n");
  EXPECT_EQ(crioctl({"logs", "-p", id}).output, "first run\n");
  RunResult none = crioctl({"logs", "-p", old_id});  // attempt 0 has no previous one
  EXPECT_NE(none.exit_code, 0);
  EXPECT_THAT(none.output, HasSubstr("previous terminated container restarts not found"));

  // --since: a time after the line, a time before it, and durations.
  std::string log = ReadAll(Status(id).log_path());
  std::string written = log.substr(0, log.find(' '));
  EXPECT_EQ(crioctl({"logs", "--since", "2999-01-01T00:00:00Z", id}).output, "");
  EXPECT_EQ(crioctl({"logs", "--since", written, id}).output, "second run\n");
  EXPECT_EQ(crioctl({"logs", "--since", "1h", id}).output, "second run\n");
  EXPECT_EQ(crioctl({"logs", "--since", "0s", id}).output, "");
  EXPECT_NE(crioctl({"logs", "--since", "yesterday", id}).exit_code, 0);

  // ps: crictl's columns, the pod's name and namespace from the kubelet's labels.
  std::string table = crioctl({"ps"}).output;
  std::string header = table.substr(0, table.find('\n'));
  EXPECT_THAT(header, ::testing::MatchesRegex("CONTAINER +IMAGE +CREATED +STATE +NAME +ATTEMPT +"
                                              "POD ID +POD +NAMESPACE"));
  std::string row = table.substr(table.find('\n') + 1);
  EXPECT_THAT(row, ::testing::MatchesRegex(id.substr(0, 13) + " +" + node_.busybox_image() +
                                           " +.* ago +Running +restarts +1 +" +
                                           pod_id_.substr(0, 13) + " +ctr-pod +test\n"));
}

TEST_F(ContainerTest, UserNamespacedPodsRunTheirContainersAsTheirOwnRoot) {
  // hostUsers: false. Container root is host uid 200000; the image's layers are idmapped so
  // that it owns the image's files, and its writable layer is its own (as containers/storage
  // makes it: what it writes is 200000's on disk).
  runtime::v1::PodSandboxConfig pod_config = node_.PodConfig("userns-pod");
  auto* userns = pod_config.mutable_linux()
                     ->mutable_security_context()
                     ->mutable_namespace_options()
                     ->mutable_userns_options();
  userns->set_mode(runtime::v1::POD);
  for (auto* mapping : {userns->add_uids(), userns->add_gids()}) {
    mapping->set_container_id(0);
    mapping->set_host_id(200000);
    mapping->set_length(65536);
  }
  std::string pod = node_.RunPod(pod_config);
  ASSERT_FALSE(pod.empty());
  auto create =
      [&](const std::string& name, bool unmasked,
          std::function<runtime::v1::ContainerConfig(runtime::v1::ContainerConfig)> decorate) {
        runtime::v1::CreateContainerRequest request;
        request.set_pod_sandbox_id(pod);
        *request.mutable_config() = Config(name, {"sleep", "1000"});
        if (decorate) *request.mutable_config() = decorate(request.config());
        auto* sc = request.mutable_config()->mutable_linux()->mutable_security_context();
        *sc->mutable_namespace_options() =
            pod_config.linux().security_context().namespace_options();
        if (!unmasked) {  // procMount Default: the kubelet sends the lists
          for (const char* path : {"/proc/keys", "/proc/timer_list"}) sc->add_masked_paths(path);
          sc->add_readonly_paths("/proc/sys");
        }
        *request.mutable_sandbox_config() = pod_config;
        runtime::v1::CreateContainerResponse response;
        grpc::Status status = node_.daemon().runtime().CreateContainer(
            Context(std::chrono::seconds(60)).get(), request, &response);
        EXPECT_TRUE(status.ok()) << status.error_message() << node_.daemon().Log();
        runtime::v1::StartContainerRequest start;
        start.set_container_id(response.container_id());
        runtime::v1::StartContainerResponse started;
        status = node_.daemon().runtime().StartContainer(Context(std::chrono::seconds(30)).get(),
                                                         start, &started);
        EXPECT_TRUE(status.ok()) << status.error_message();
        return response.container_id();
      };
  // A volume as the kubelet gives it to such a pod: with the pod's mappings, made by the daemon
  // as an idmapped clone (runc 1.1 cannot); and the same directory without them.
  std::filesystem::path volume = node_.dir().path() / "userns-volume";
  std::filesystem::create_directories(volume);
  std::ofstream(volume / "from-host") << "host data\n";
  // A mount below the volume, as a volume that holds another (a projected one, say) has: the
  // clone is recursive, as the rbind of a plain volume is. tmpfs takes idmapped mounts from
  // Linux 6.3 on; before, the submount would fail the whole volume, as runc's would.
  utsname kernel{};
  ::uname(&kernel);
  int kernel_major = 0, kernel_minor = 0;
  std::sscanf(kernel.release, "%d.%d", &kernel_major, &kernel_minor);
  const bool with_submount = kernel_major > 6 || (kernel_major == 6 && kernel_minor >= 3);
  std::filesystem::create_directories(volume / "sub");
  if (with_submount) {
    ASSERT_EQ(::mount("tmpfs", (volume / "sub").c_str(), "tmpfs", 0, "size=1m,mode=0755"), 0)
        << std::strerror(errno);
  }
  struct SubmountGuard {
    std::filesystem::path path;
    ~SubmountGuard() { ::umount2(path.c_str(), MNT_DETACH); }
  } submount{volume / "sub"};
  std::ofstream(volume / "sub" / "in-submount") << "below\n";
  auto with_volumes = [&](runtime::v1::ContainerConfig config) {
    runtime::v1::Mount* mapped = config.add_mounts();
    mapped->set_host_path(volume.string());
    mapped->set_container_path("/mapped");
    *mapped->mutable_uidmappings() = userns->uids();
    *mapped->mutable_gidmappings() = userns->gids();
    runtime::v1::Mount* plain = config.add_mounts();
    plain->set_host_path(volume.string());
    plain->set_container_path("/plain");
    return config;
  };
  std::string masked = create("masked", false, with_volumes);
  std::string unmasked = create("unmasked", true, nullptr);

  EXPECT_EQ(Exec(masked, {"stat", "-c", "%u:%g", "/mapped/from-host"}).stdout(), "0:0\n");
  EXPECT_EQ(Exec(masked, {"stat", "-c", "%u:%g", "/plain/from-host"}).stdout(), "65534:65534\n");
  EXPECT_EQ(Exec(masked, {"cat", "/mapped/sub/in-submount"}).stdout(), "below\n");
  EXPECT_EQ(Exec(masked, {"stat", "-c", "%u:%g", "/mapped/sub/in-submount"}).stdout(), "0:0\n");
  EXPECT_EQ(Exec(masked, {"sh", "-c", "echo up > /mapped/sub/from-pod"}).exit_code(), 0);
  EXPECT_EQ(Exec(masked, {"sh", "-c", "echo from-pod > /mapped/from-pod"}).exit_code(), 0);
  EXPECT_NE(Exec(masked, {"sh", "-c", "echo no > /plain/refused"}).exit_code(), 0);
  struct stat written {};
  ASSERT_EQ(::stat((volume / "from-pod").c_str(), &written), 0);
  EXPECT_EQ(written.st_uid, 0u);  // the pod's root is the host's root through the mapping
  {
    runtime::v1::StatusRequest status_request;
    runtime::v1::StatusResponse status_response;
    ASSERT_TRUE(
        node_.daemon().runtime().Status(Context().get(), status_request, &status_response).ok());
    for (const auto& handler : status_response.runtime_handlers()) {
      EXPECT_TRUE(handler.features().user_namespaces()) << handler.name();
    }
  }

  EXPECT_THAT(Exec(masked, {"cat", "/proc/self/uid_map"}).stdout(),
              ::testing::ContainsRegex("0 +200000 +65536"));
  EXPECT_EQ(Exec(masked, {"id", "-u"}).stdout(), "0\n");
  // Its root owns the image's files, and may change them.
  EXPECT_EQ(Exec(masked, {"stat", "-c", "%u:%g", "/etc/passwd"}).stdout(), "0:0\n");
  runtime::v1::ExecSyncResponse wrote =
      Exec(masked, {"sh", "-c", "echo added >> /etc/passwd && mkdir /made && touch /made/f"});
  EXPECT_EQ(wrote.exit_code(), 0) << wrote.stderr();
  // On disk (the writable layer), what it made or changed belongs to host uid 200000; the
  // image's layers are untouched.
  runtime::v1::ContainerStatusRequest request;
  request.set_container_id(masked);
  request.set_verbose(true);
  runtime::v1::ContainerStatusResponse response;
  ASSERT_TRUE(node_.daemon().runtime().ContainerStatus(Context().get(), request, &response).ok());
  nlohmann::json info = nlohmann::json::parse(response.info().at("info"));
  std::filesystem::path rootfs = info["runtimeSpec"]["root"]["path"].get<std::string>();
  std::filesystem::path upper = rootfs.parent_path() / "diff";
  struct stat st {};
  ASSERT_EQ(::stat((upper / "made" / "f").c_str(), &st), 0) << upper;
  EXPECT_EQ(st.st_uid, 200000u);
  EXPECT_EQ(st.st_gid, 200000u);
  ASSERT_EQ(::stat((upper / "etc" / "passwd").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 200000u);
  EXPECT_THAT(ReadAll(upper / "etc" / "passwd"), HasSubstr("added\n"));

  // procMount: Default masks, Unmasked (empty lists in this pod) does not.
  const std::vector<std::string> masks = {"sh", "-c",
                                          "grep -cE ' /proc/(keys|timer_list|sys) ' "
                                          "/proc/self/mountinfo || true"};
  EXPECT_EQ(Exec(masked, masks).stdout(), "3\n");
  EXPECT_EQ(Exec(unmasked, masks).stdout(), "0\n");

  // Removal detaches the clone first: the volume keeps its files, and no mount is left.
  ASSERT_TRUE(Remove(masked).ok());
  EXPECT_EQ(ReadAll(volume / "from-host"), "host data\n");
  EXPECT_EQ(ReadAll(volume / "from-pod"), "from-pod\n");
  EXPECT_THAT(ReadAll("/proc/self/mountinfo"), Not(HasSubstr(StrCat(masked, "/idmapped"))));
}

TEST_F(ContainerTest, CrioctlStatsPsFiltersUpdateLogsAndRm) {
  auto crioctl = [&](std::vector<std::string> args,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", node_.daemon().endpoint()});
    return crio::testing::Run(args, timeout);
  };
  runtime::v1::ContainerConfig web =
      Config("web", {"sh", "-c", "echo one; echo two; echo three; exec sleep 1000"});
  (*web.mutable_labels())["tier"] = "web";
  std::string running = CreateAndStart(web);
  std::string done = CreateAndStart(Config("done", {"true"}));
  ASSERT_TRUE(Eventually([&] { return Status(done).state() == runtime::v1::CONTAINER_EXITED; }));

  // stats: running containers unless -a (the daemon, as CRI-O, has figures for live ones only:
  // a created one shows with -a, an exited one never); -o json; -w repeats every interval.
  std::string created;
  ASSERT_TRUE(TryCreate(Config("created", {"sleep", "1000"}), &created).ok());
  std::string table = crioctl({"stats", "-s", "1"}).output;
  EXPECT_THAT(table, HasSubstr(running.substr(0, 13)));
  EXPECT_THAT(table, Not(HasSubstr(created.substr(0, 13))));
  std::string all = crioctl({"stats", "-a", "-s", "1"}).output;
  EXPECT_THAT(all, HasSubstr(created.substr(0, 13)));
  EXPECT_THAT(all, Not(HasSubstr(done.substr(0, 13))));
  nlohmann::json document = nlohmann::json::parse(crioctl({"stats", "-o", "json"}).output);
  ASSERT_EQ(document["stats"].size(), 1u) << document.dump();
  EXPECT_EQ(document["stats"][0]["attributes"]["id"], running);
  std::string watched = crioctl({"stats", "-w", "-s", "1"}, std::chrono::milliseconds(3500)).output;
  size_t headers = 0;
  for (size_t at = watched.find("CONTAINER"); at != std::string::npos;
       at = watched.find("CONTAINER", at + 1)) {
    ++headers;
  }
  EXPECT_GE(headers, 2u) << watched;
  std::string pods = crioctl({"statsp"}).output;
  EXPECT_THAT(pods, HasSubstr(pod_id_.substr(0, 13)));
  EXPECT_THAT(pods, HasSubstr("ctr-pod"));

  // update: the new limit is what the container's cgroup says.
  ASSERT_EQ(crioctl({"update", "--memory", "67108864", running}).exit_code, 0);
  EXPECT_EQ(Exec(running, {"cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}).stdout(),
            "67108864\n");

  // ps filters.
  EXPECT_EQ(crioctl({"ps", "-q", "--label", "tier=web"}).output, running + "\n");
  EXPECT_EQ(crioctl({"ps", "-q", "--label", "tier=db"}).output, "");
  EXPECT_EQ(crioctl({"ps", "-a", "-q", "--state", "exited"}).output, done + "\n");
  EXPECT_EQ(crioctl({"ps", "-a", "-q", "--state", "created"}).output, created + "\n");
  EXPECT_EQ(crioctl({"ps", "-a", "-q", "--pod", pod_id_.substr(0, 12), "--name", "web"}).output,
            running + "\n");
  nlohmann::json listed = nlohmann::json::parse(crioctl({"ps", "-o", "json"}).output);
  ASSERT_EQ(listed["containers"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["containers"][0]["labels"]["tier"], "web");

  // logs --tail and --timestamps.
  ASSERT_TRUE(Eventually([&] { return crioctl({"logs", running}).output == "one\ntwo\nthree\n"; }));
  EXPECT_EQ(crioctl({"logs", "--tail", "1", running}).output, "three\n");
  EXPECT_THAT(crioctl({"logs", "--timestamps", running}).output,
              ::testing::ContainsRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+.* one\n"));

  // rm -f takes a running container; rm -a every one.
  EXPECT_NE(crioctl({"rm", running}).exit_code, 0);
  EXPECT_EQ(crioctl({"rm", "-f", running}).exit_code, 0);
  std::string another = CreateAndStart(Config("another", {"sleep", "1000"}));
  EXPECT_EQ(crioctl({"rm", "-a", "-f"}).exit_code, 0);
  EXPECT_EQ(crioctl({"ps", "-a", "-q"}).output, "");
}

}  // namespace
}  // namespace crio::testing
