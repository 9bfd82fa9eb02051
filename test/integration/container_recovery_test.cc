// A daemon that died at the wrong moment, and the one that starts after it: what a container's
// or a pod's creation cut short had made is taken apart, and storage containers nothing owns any
// more go, while other tools' containers in the same store stay. Real daemon, conmon, runc and
// containers-storage.

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "pod_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "storage_tools.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ContainerRecoveryTest : public PodFixture {
 protected:
  std::filesystem::path StateDir(const std::string& id) {
    return node_.daemon().dir().path() / "run-storage" / "crio-containers" / id;
  }
  std::filesystem::path StorageRoot() { return node_.daemon().dir().path() / "storage"; }
  std::string StorageContainers() {
    return ReadAll(StorageRoot() / "overlay-containers" / "containers.json");
  }
  static bool Mounted(const std::string& path) {
    return ReadAll("/proc/self/mountinfo").find(" " + path + " ") != std::string::npos;
  }
  // The test node's runc keeps its state in the node's own directory.
  std::string RuncRoot() { return (node_.dir().path() / "runc").string(); }
  bool RuncKnows(const std::string& id) {
    return crio::testing::Run({"runc", "--root", RuncRoot(), "state", id}).exit_code == 0;
  }
  void KillDaemon() {
    node_.daemon().process().Signal(SIGKILL);
    ASSERT_TRUE(node_.daemon().process().Wait(std::chrono::seconds(15)).has_value());
  }
  std::vector<std::string> ListedIds() {
    runtime::v1::ListContainersResponse listed;
    EXPECT_TRUE(node_.daemon().runtime().ListContainers(Context().get(), {}, &listed).ok());
    std::vector<std::string> ids;
    for (const auto& container : listed.containers()) ids.push_back(container.id());
    return ids;
  }
};

TEST_F(ContainerRecoveryTest, ACreationCutShortIsTakenApartAtTheNextStart) {
  std::string id;
  ASSERT_TRUE(TryCreate(Config("cut-short", {"sleep", "1000"}), &id).ok());
  std::filesystem::path dir = StateDir(id);
  nlohmann::json state = nlohmann::json::parse(ReadAll(dir / "container.json"));
  EXPECT_FALSE(state.contains("incomplete"));  // a finished creation says nothing
  std::string rootfs = nlohmann::json::parse(ReadAll(dir / "config.json"))["root"]["path"];
  int init_pid = state["pid"].get<int>();
  ASSERT_GT(init_pid, 0);
  ASSERT_TRUE(Mounted(rootfs));
  ASSERT_TRUE(RuncKnows(id));

  // The daemon dies after `runc create` and before the record's last write: the record still
  // says what it said while the runtime worked.
  KillDaemon();
  state["incomplete"] = true;
  std::ofstream(dir / "container.json", std::ios::trunc) << state.dump();
  node_.daemon().Start();

  EXPECT_THAT(ListedIds(), Not(::testing::Contains(id)));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(RuncKnows(id));
  EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(StrCat("/proc/", init_pid)); }))
      << "runc's init of the container is still there";
  EXPECT_FALSE(Mounted(rootfs));
  EXPECT_THAT(StorageContainers(), Not(HasSubstr(id)));
  EXPECT_THAT(node_.daemon().Log(), HasSubstr(StrCat("Removing container ", id)));
  // Its name was never given out: a retry of the kubelet's gets it.
  std::string again;
  grpc::Status retried = TryCreate(Config("cut-short", {"sleep", "1000"}), &again);
  EXPECT_TRUE(retried.ok()) << retried.error_message();
}

TEST_F(ContainerRecoveryTest, ADirectoryWithoutStateAndItsStorageGo) {
  std::string id;
  ASSERT_TRUE(TryCreate(Config("no-state", {"sleep", "1000"}), &id).ok());
  std::filesystem::path dir = StateDir(id);
  std::string rootfs = nlohmann::json::parse(ReadAll(dir / "config.json"))["root"]["path"];
  KillDaemon();
  // What the daemon has made before its first state write: storage, mount, directory.
  ASSERT_EQ(crio::testing::Run({"runc", "--root", RuncRoot(), "delete", "-f", id}).exit_code, 0);
  std::filesystem::remove(dir / "container.json");
  node_.daemon().Start();

  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(Mounted(rootfs));
  EXPECT_THAT(StorageContainers(), Not(HasSubstr(id)));
}

TEST_F(ContainerRecoveryTest, StorageNothingOwnsGoesAndOtherToolsContainersStay) {
  std::string id = CreateAndStart(Config("rebooted", {"sleep", "1000"}));
  std::string rootfs = nlohmann::json::parse(ReadAll(StateDir(id) / "config.json"))["root"]["path"];
  KillDaemon();
  // A reboot ends the container and empties the runroot's tmpfs: the storage record and the
  // layer on disk are all that is left of it.
  ASSERT_EQ(crio::testing::Run({"runc", "--root", RuncRoot(), "delete", "-f", id}).exit_code, 0);
  std::filesystem::remove_all(StateDir(id));
  // Another tool's container in the same store, from the same image.
  absl::StatusOr<CommandResult> foreign = RunCommand(ContainersStorageCommand(
      StorageRoot(), node_.daemon().dir().path() / "run-storage",
      {"create-container", "--name", "someone-elses", node_.busybox_image()}));
  ASSERT_TRUE(foreign.ok());
  ASSERT_EQ(foreign->exit_code, 0) << foreign->out << foreign->err;
  std::string foreign_id(absl::StripAsciiWhitespace(foreign->out));
  node_.daemon().Start();

  EXPECT_THAT(StorageContainers(), Not(HasSubstr(id)));
  EXPECT_FALSE(Mounted(rootfs));
  EXPECT_THAT(StorageContainers(), HasSubstr("someone-elses"));
  // The pod keeps its infra container's storage and works on.
  runtime::v1::PodSandboxStatusRequest pod_request;
  pod_request.set_pod_sandbox_id(pod_id_);
  runtime::v1::PodSandboxStatusResponse pod_status;
  ASSERT_TRUE(
      node_.daemon().runtime().PodSandboxStatus(Context().get(), pod_request, &pod_status).ok());
  EXPECT_EQ(pod_status.status().state(), runtime::v1::SANDBOX_READY);
  std::string fresh = CreateAndStart(Config("after", {"sleep", "1000"}));
  EXPECT_EQ(Exec(fresh, {"echo", "fine"}).stdout(), "fine\n");
  (void)RunCommand(ContainersStorageCommand(StorageRoot(),
                                            node_.daemon().dir().path() / "run-storage",
                                            {"delete-container", foreign_id}));
}

TEST_F(ContainerRecoveryTest, APodCreationCutShortIsTakenApartAtTheNextStart) {
  // A shared PID namespace, so that the pod has a pause container (drop_infra_ctr).
  runtime::v1::PodSandboxConfig config = node_.PodConfig("cut-short-pod");
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      runtime::v1::POD);
  std::string pod = node_.RunPod(config);
  ASSERT_FALSE(pod.empty());
  std::filesystem::path dir = node_.daemon().dir().path() / "run-storage" / "crio-pods" / pod;
  nlohmann::json state = nlohmann::json::parse(ReadAll(dir / "sandbox.json"));
  EXPECT_FALSE(state.contains("incomplete"));  // a finished creation says nothing
  ASSERT_FALSE(state["ips"].empty());
  std::filesystem::path lease = node_.ipam_dir() / "crio-test" / state["ips"][0].get<std::string>();
  std::string net_ns = state["net_ns"];
  int pause_pid = state["infra"]["pid"].get<int>();
  ASSERT_TRUE(std::filesystem::exists(lease));
  ASSERT_TRUE(std::filesystem::exists(net_ns));
  ASSERT_TRUE(RuncKnows(pod));

  // The daemon dies after the pause container started and before the pod's last write.
  KillDaemon();
  state["incomplete"] = true;
  std::ofstream(dir / "sandbox.json", std::ios::trunc) << state.dump();
  node_.daemon().Start();

  runtime::v1::ListPodSandboxResponse pods;
  ASSERT_TRUE(node_.daemon().runtime().ListPodSandbox(Context().get(), {}, &pods).ok());
  for (const auto& listed : pods.items()) EXPECT_NE(listed.id(), pod);
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(RuncKnows(pod));
  EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(StrCat("/proc/", pause_pid)); }))
      << "the pause process is still there";
  EXPECT_FALSE(std::filesystem::exists(lease)) << "the CNI DEL did not give the address back";
  EXPECT_FALSE(std::filesystem::exists(net_ns));
  EXPECT_THAT(StorageContainers(), Not(HasSubstr(pod)));
  // The fixture's pod, complete, is untouched.
  std::string fresh = CreateAndStart(Config("still-works", {"sleep", "1000"}));
  EXPECT_EQ(Exec(fresh, {"echo", "fine"}).stdout(), "fine\n");
}

TEST_F(ContainerRecoveryTest, AnUnreadableStateKeepsItsStorage) {
  std::string id = CreateAndStart(Config("unreadable", {"sleep", "1000"}));
  KillDaemon();
  std::ofstream(StateDir(id) / "container.json", std::ios::trunc) << "{not json";
  node_.daemon().Start();

  // Not restored, but not taken for an orphan either: a person looks at it.
  EXPECT_THAT(ListedIds(), Not(::testing::Contains(id)));
  EXPECT_TRUE(std::filesystem::exists(StateDir(id)));
  EXPECT_THAT(StorageContainers(), HasSubstr(id));
  EXPECT_TRUE(RuncKnows(id));
  EXPECT_THAT(node_.daemon().Log(), HasSubstr("Unreadable container state"));
  // What that person would do, so that the test leaves nothing behind.
  ASSERT_EQ(crio::testing::Run({"runc", "--root", RuncRoot(), "delete", "-f", id}).exit_code, 0);
  absl::StatusOr<CommandResult> deleted = RunCommand(ContainersStorageCommand(
      StorageRoot(), node_.daemon().dir().path() / "run-storage", {"delete-container", id}));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->exit_code, 0) << deleted->err;
  std::filesystem::remove_all(StateDir(id));
}

}  // namespace
}  // namespace crio::testing
