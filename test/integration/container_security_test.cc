// What a container's process sees of its security context and resources, read from inside real
// containers (the real daemon, conmon, runc and the busybox image; see support/node.h):
// capabilities, no_new_privs, privileged devices and /sys, read-only root, masked paths, users
// and groups, devices, oom_score_adj, cgroup limits, OOM kills, rlimits and mount propagation.
#include "pod_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ContainerSecurityTest : public PodFixture {
 protected:
  runtime::v1::LinuxContainerSecurityContext* Security(runtime::v1::ContainerConfig& config) {
    return config.mutable_linux()->mutable_security_context();
  }

  // The value of `key` in /proc/self/status of a process in the container.
  std::string StatusField(const std::string& id, const std::string& key) {
    std::string out = Exec(id, {"grep", StrCat("^", key, ":"), "/proc/self/status"}).stdout();
    size_t tab = out.find_first_not_of(" \t", out.find(':') + 1);
    return tab == std::string::npos ? "" : out.substr(tab, out.find('\n') - tab);
  }

  std::string Shell(const std::string& id, const std::string& script) {
    return Exec(id, {"sh", "-c", script}).stdout();
  }
};

// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE: crio.conf's
// default_capabilities, bits 0 1 3 4 5 6 7 8 10.
constexpr const char* kDefaultCaps = "00000000000005fb";

TEST_F(ContainerSecurityTest, CapabilitiesFollowDefaultsAddAndDrop) {
  std::string plain = CreateAndStart(Config("plain", {"sleep", "1000"}));
  EXPECT_EQ(StatusField(plain, "CapEff"), kDefaultCaps);
  EXPECT_EQ(StatusField(plain, "CapBnd"), kDefaultCaps);
  EXPECT_EQ(StatusField(plain, "NoNewPrivs"), "0");

  runtime::v1::ContainerConfig changed = Config("changed", {"sleep", "1000"});
  Security(changed)->mutable_capabilities()->add_add_capabilities("NET_ADMIN");   // bit 12
  Security(changed)->mutable_capabilities()->add_drop_capabilities("CAP_CHOWN");  // bit 0
  Security(changed)->set_no_new_privs(true);
  std::string id = CreateAndStart(changed);
  EXPECT_EQ(StatusField(id, "CapEff"), "00000000000015fa");
  EXPECT_EQ(StatusField(id, "NoNewPrivs"), "1");
  // What the capabilities allow, as the process experiences it.
  EXPECT_NE(Exec(id, {"chown", "65534", "/tmp"}).exit_code(), 0);
  EXPECT_EQ(Exec(id, {"ip", "link", "set", "lo", "mtu", "1500"}).exit_code(), 0);
  EXPECT_NE(Exec(plain, {"ip", "link", "set", "lo", "mtu", "1500"}).exit_code(), 0);

  runtime::v1::ContainerConfig none = Config("none", {"sleep", "1000"});
  Security(none)->mutable_capabilities()->add_drop_capabilities("ALL");
  EXPECT_EQ(StatusField(CreateAndStart(none), "CapEff"), "0000000000000000");
}

TEST_F(ContainerSecurityTest, PrivilegedSeesHostDevicesAndWritableSysWithTheDaemonsCaps) {
  runtime::v1::ContainerConfig config = Config("privileged", {"sleep", "1000"});
  Security(config)->set_privileged(true);
  std::string privileged = CreateAndStart(config);
  std::string plain = CreateAndStart(Config("plain", {"sleep", "1000"}));

  // Every capability of the daemon's bounding set (this host lacks CAP_SYS_RESOURCE, so a fixed
  // "all" set could not even be applied).
  std::string own_bounding;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("CapBnd:")) own_bounding = line.substr(line.find_first_not_of(" \t", 7));
  }
  EXPECT_EQ(StatusField(privileged, "CapEff"), own_bounding);

  // Host devices: a block device of the host that no container gets by default.
  std::string host_device;
  for (const char* candidate : {"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"}) {
    if (std::filesystem::exists(candidate)) {
      host_device = candidate;
      break;
    }
  }
  ASSERT_FALSE(host_device.empty()) << "no host block device to look for";
  EXPECT_EQ(Exec(privileged, {"test", "-b", host_device}).exit_code(), 0) << host_device;
  EXPECT_NE(Exec(plain, {"test", "-e", host_device}).exit_code(), 0) << host_device;

  // /sys read-write and /proc unmasked for the privileged one only.
  auto sys_options = [&](const std::string& id) {
    return Shell(id, "awk '$5 == \"/sys\" { print $6 }' /proc/self/mountinfo");
  };
  EXPECT_THAT(sys_options(privileged), HasSubstr("rw"));
  EXPECT_THAT(sys_options(plain), HasSubstr("ro"));
  // (/proc/keys is on the default masked list and exists on this kernel; /proc/kcore does not.)
  EXPECT_EQ(Shell(privileged, "grep -c ' /proc/keys ' /proc/self/mountinfo || true"), "0\n");
  EXPECT_EQ(Shell(plain, "grep -c ' /proc/keys ' /proc/self/mountinfo"), "1\n");
  EXPECT_EQ(Shell(plain, "wc -c < /proc/keys"), "0\n");
  // /proc/sys is read-only by default.
  EXPECT_THAT(Exec(plain, {"sh", "-c", "echo 1 > /proc/sys/kernel/domainname"}).stderr(),
              HasSubstr("Read-only file system"));
}

TEST_F(ContainerSecurityTest, ReadOnlyRootfsRefusesWrites) {
  runtime::v1::ContainerConfig config = Config("readonly", {"sleep", "1000"});
  Security(config)->set_readonly_rootfs(true);
  std::string id = CreateAndStart(config);
  runtime::v1::ExecSyncResponse refused = Exec(id, {"touch", "/new-file"});
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Read-only file system"));
  EXPECT_EQ(Exec(CreateAndStart(Config("writable", {"sleep", "1000"})), {"touch", "/new-file"})
                .exit_code(),
            0);
}

TEST_F(ContainerSecurityTest, UsersAndGroupsFromTheImagesFiles) {
  runtime::v1::ContainerConfig by_name = Config("by-name", {"sleep", "1000"});
  Security(by_name)->set_run_as_username("nobody");
  Security(by_name)->add_supplemental_groups(3000);
  std::string named = CreateAndStart(by_name);
  EXPECT_EQ(Exec(named, {"id", "-u"}).stdout(), "65534\n");
  EXPECT_EQ(Exec(named, {"id", "-g"}).stdout(), "65534\n");
  EXPECT_THAT(Exec(named, {"id", "-G"}).stdout(), HasSubstr("3000"));

  runtime::v1::ContainerConfig by_id = Config("by-id", {"sleep", "1000"});
  Security(by_id)->mutable_run_as_user()->set_value(1234);
  Security(by_id)->mutable_run_as_group()->set_value(5678);
  std::string numeric = CreateAndStart(by_id);
  EXPECT_EQ(Exec(numeric, {"id", "-u"}).stdout(), "1234\n");
  EXPECT_EQ(Exec(numeric, {"id", "-g"}).stdout(), "5678\n");

  runtime::v1::ContainerConfig unknown = Config("unknown", {"sleep", "1000"});
  Security(unknown)->set_run_as_username("no-such-user");
  std::string ignored;
  grpc::Status status = TryCreate(unknown, &ignored);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-user"));
}

TEST_F(ContainerSecurityTest, DevicesFromTheCriAppearWithTheirPermissions) {
  runtime::v1::ContainerConfig config = Config("devices", {"sleep", "1000"});
  // /dev/loop-control (10:237) is on no default list: only this entry lets it in.
  runtime::v1::Device* device = config.add_devices();
  device->set_host_path("/dev/loop-control");
  device->set_container_path("/dev/my-device");
  device->set_permissions("r");
  std::string id = CreateAndStart(config);
  EXPECT_EQ(Shell(id, "stat -c '%t:%T' /dev/my-device"), "a:ed\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", ": < /dev/my-device"}).exit_code(), 0);
  // "r" only: the device cgroup refuses opening it for writing.
  runtime::v1::ExecSyncResponse write = Exec(id, {"sh", "-c", ": > /dev/my-device"});
  EXPECT_NE(write.exit_code(), 0);
  EXPECT_THAT(write.stderr(), HasSubstr("Operation not permitted"));
  EXPECT_NE(
      Exec(CreateAndStart(Config("plain", {"sleep", "1000"})), {"test", "-e", "/dev/loop-control"})
          .exit_code(),
      0);
}

TEST_F(ContainerSecurityTest, OomScoreAdjIsAppliedAndClampedWithANote) {
  runtime::v1::ContainerConfig raised = Config("raised", {"sleep", "1000"});
  raised.mutable_linux()->mutable_resources()->set_oom_score_adj(500);
  EXPECT_EQ(Exec(CreateAndStart(raised), {"cat", "/proc/self/oom_score_adj"}).stdout(), "500\n");

  // Below the daemon's own value only with CAP_SYS_RESOURCE, which this host withholds.
  std::ifstream own_file("/proc/self/oom_score_adj");
  int own = 0;
  own_file >> own;
  runtime::v1::ContainerConfig lowered = Config("lowered", {"sleep", "1000"});
  lowered.mutable_linux()->mutable_resources()->set_oom_score_adj(-999);
  std::string id = CreateAndStart(lowered);
  int seen = std::stoi(Exec(id, {"cat", "/proc/self/oom_score_adj"}).stdout());
  EXPECT_GE(seen, -999);
  runtime::v1::ContainerStatusRequest request;
  request.set_container_id(id);
  request.set_verbose(true);
  runtime::v1::ContainerStatusResponse response;
  ASSERT_TRUE(node_.daemon().runtime().ContainerStatus(Context().get(), request, &response).ok());
  std::string info = response.info().at("info");
  if (seen != -999) {
    EXPECT_EQ(seen, own);
    EXPECT_THAT(info, HasSubstr("oom_score_adj clamped from -999"));
  } else {
    EXPECT_THAT(info, Not(HasSubstr("oom_score_adj clamped")));
  }
}

TEST_F(ContainerSecurityTest, CgroupLimitsAreWhatTheContainerSees) {
  runtime::v1::ContainerConfig config = Config("limited", {"sleep", "1000"});
  auto* resources = config.mutable_linux()->mutable_resources();
  resources->set_memory_limit_in_bytes(64 << 20);
  resources->set_cpu_shares(512);
  resources->set_cpu_quota(50000);
  resources->set_cpu_period(100000);
  resources->set_cpuset_cpus("0");
  std::string id = CreateAndStart(config);
  // cgroup v1 (this host): each controller's files of the container's own cgroup, which its
  // cgroup namespace shows at the root of the hierarchy.
  auto read = [&](const std::string& file) {
    return Shell(id, StrCat("cat /sys/fs/cgroup/", file, " 2>/dev/null"));
  };
  if (read("memory/memory.limit_in_bytes").empty()) GTEST_SKIP() << "not a cgroup v1 host";
  EXPECT_EQ(read("memory/memory.limit_in_bytes"), StrCat(64 << 20, "\n"));
  EXPECT_EQ(read("cpu/cpu.shares"), "512\n");
  EXPECT_EQ(read("cpu/cpu.cfs_quota_us"), "50000\n");
  EXPECT_EQ(read("cpu/cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(read("cpuset/cpuset.cpus"), "0\n");
  EXPECT_EQ(Shell(id, "grep Cpus_allowed_list /proc/self/status | cut -f2"), "0\n");
}

TEST_F(ContainerSecurityTest, AnOomKilledContainerSaysSo) {
  runtime::v1::ContainerConfig config =
      Config("hog", {"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"});
  auto* resources = config.mutable_linux()->mutable_resources();
  resources->set_memory_limit_in_bytes(32 << 20);
  resources->set_memory_swap_limit_in_bytes(32 << 20);
  std::string id = CreateAndStart(config);
  ASSERT_TRUE(Eventually([&] { return Status(id).state() == runtime::v1::CONTAINER_EXITED; },
                         std::chrono::seconds(20)));
  runtime::v1::ContainerStatus status = Status(id);
  EXPECT_EQ(status.reason(), "OOMKilled");
  EXPECT_EQ(status.exit_code(), 137);
}

// default_ulimits from crio.conf become the process's rlimits.
class UlimitsTest : public PodFixture {
 protected:
  UlimitsTest()
      : PodFixture(NodeOptions{.extra_args = {"--default-ulimits", "nofile=1024:2048"}}) {}
};

TEST_F(UlimitsTest, DefaultUlimitsAreTheProcessLimits) {
  std::string id = CreateAndStart(Config("limited", {"sleep", "1000"}));
  EXPECT_THAT(Exec(id, {"cat", "/proc/1/limits"}).stdout(),
              ::testing::ContainsRegex("Max open files +1024 +2048"));
  // Processes runc execs get the hard limit too; their soft one is runc's business (the Go
  // runtime of Debian's runc 1.1.5 at times hands them its own raised soft limit).
  EXPECT_EQ(Exec(id, {"sh", "-c", "ulimit -Hn"}).stdout(), "2048\n");
}

// Mount propagation, with a host directory of the test's own made a shared mount point.
class PropagationTest : public ContainerSecurityTest {
 protected:
  void SetUp() override {
    PodFixture::SetUp();
    shared_ = node_.dir().path() / "shared";
    std::filesystem::create_directories(shared_);
    ASSERT_EQ(::mount("propagation-test", shared_.c_str(), "tmpfs", 0, "size=1m"), 0);
    ASSERT_EQ(::mount(nullptr, shared_.c_str(), nullptr, MS_SHARED, nullptr), 0);
    std::filesystem::create_directories(shared_ / "later");
    private_ = node_.dir().path() / "private";
    std::filesystem::create_directories(private_);
    ASSERT_EQ(::mount("propagation-test", private_.c_str(), "tmpfs", 0, "size=1m"), 0);
    ASSERT_EQ(::mount(nullptr, private_.c_str(), nullptr, MS_PRIVATE, nullptr), 0);
  }
  void TearDown() override {
    ::umount2((shared_ / "later").c_str(), MNT_DETACH);
    ::umount2(shared_.c_str(), MNT_DETACH);
    ::umount2(private_.c_str(), MNT_DETACH);
  }

  runtime::v1::ContainerConfig WithMount(const std::string& name,
                                         runtime::v1::MountPropagation propagation) {
    runtime::v1::ContainerConfig config = Config(name, {"sleep", "1000"});
    runtime::v1::Mount* mount = config.add_mounts();
    mount->set_host_path(shared_.string());
    mount->set_container_path("/shared");
    mount->set_propagation(propagation);
    return config;
  }

  // The optional fields of /shared's line in the container's mountinfo ("shared:N master:M").
  std::string Fields(const std::string& id) {
    return Exec(id, {"sh", "-c",
                     "awk '$5 == \"/shared\" { for (i = 7; $i != \"-\"; i++) printf \"%s \", $i }' "
                     "/proc/self/mountinfo"})
        .stdout();
  }

  std::filesystem::path shared_;
  std::filesystem::path private_;
};

TEST_F(PropagationTest, PrivateSlaveAndSharedAsTheCriAsks) {
  std::string private_id = CreateAndStart(WithMount("private", runtime::v1::PROPAGATION_PRIVATE));
  std::string slave_id =
      CreateAndStart(WithMount("slave", runtime::v1::PROPAGATION_HOST_TO_CONTAINER));
  runtime::v1::ContainerConfig bidirectional =
      WithMount("bidirectional", runtime::v1::PROPAGATION_BIDIRECTIONAL);
  // Bidirectional mounts are for privileged containers (the kubelet requires it).
  Security(bidirectional)->set_privileged(true);
  std::string shared_id = CreateAndStart(bidirectional);

  EXPECT_THAT(Fields(private_id), Not(HasSubstr("shared:")));
  EXPECT_THAT(Fields(private_id), Not(HasSubstr("master:")));
  EXPECT_THAT(Fields(slave_id), HasSubstr("master:"));
  EXPECT_THAT(Fields(shared_id), HasSubstr("shared:"));

  // A mount made on the host afterwards reaches the slave and the shared one, not the private.
  ASSERT_EQ(::mount("later", (shared_ / "later").c_str(), "tmpfs", 0, "size=1m"), 0);
  std::ofstream(shared_ / "later" / "mark") << "from the host";
  EXPECT_EQ(Exec(slave_id, {"cat", "/shared/later/mark"}).stdout(), "from the host");
  EXPECT_EQ(Exec(shared_id, {"cat", "/shared/later/mark"}).stdout(), "from the host");
  EXPECT_NE(Exec(private_id, {"cat", "/shared/later/mark"}).exit_code(), 0);
}

TEST_F(PropagationTest, SharedNeedsASharedHostMount) {
  // A private host mount cannot give a container shared propagation: checked before runc runs.
  runtime::v1::ContainerConfig config = Config("refused", {"sleep", "1000"});
  runtime::v1::Mount* mount = config.add_mounts();
  mount->set_host_path(private_.string());
  mount->set_container_path("/plain");
  mount->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
  Security(config)->set_privileged(true);
  std::string id;
  grpc::Status status = TryCreate(config, &id);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("shared"));
}

TEST_F(ContainerSecurityTest, ATtyContainerRunsOnATerminal) {
  runtime::v1::ContainerConfig config = Config("tty", {"sleep", "1000"});
  config.set_tty(true);
  std::string tty = CreateAndStart(config);
  std::string plain = CreateAndStart(Config("plain", {"sleep", "1000"}));
  EXPECT_THAT(Exec(tty, {"readlink", "/proc/1/fd/0"}).stdout(), HasSubstr("/dev/pts/"));
  EXPECT_THAT(Exec(plain, {"readlink", "/proc/1/fd/0"}).stdout(), Not(HasSubstr("/dev/pts/")));
}

TEST_F(ContainerSecurityTest, TheTerminationLogReachesTheHost) {
  // The kubelet mounts a host file at /dev/termination-log and reads it after the exit.
  std::filesystem::path log = node_.dir().Write("termination-log", "");
  runtime::v1::ContainerConfig config =
      Config("terminating", {"sh", "-c", "echo 'it ended' > /dev/termination-log; exit 3"});
  runtime::v1::Mount* mount = config.add_mounts();
  mount->set_host_path(log.string());
  mount->set_container_path("/dev/termination-log");
  std::string id = CreateAndStart(config);
  ASSERT_TRUE(Eventually([&] { return Status(id).state() == runtime::v1::CONTAINER_EXITED; }));
  EXPECT_EQ(Status(id).exit_code(), 3);
  EXPECT_EQ(ReadAll(log), "it ended\n");
}

TEST_F(ContainerSecurityTest, ImagesByIdAndDigestAndAReadyPodAreNeeded) {
  runtime::v1::ImageStatusRequest image_request;
  image_request.mutable_image()->set_image(node_.busybox_image());
  runtime::v1::ImageStatusResponse image;
  ASSERT_TRUE(node_.daemon().image().ImageStatus(Context().get(), image_request, &image).ok());
  ASSERT_GT(image.image().repo_digests_size(), 0);
  // Pulled by tag, found by its repository and digest too; another repository with the same
  // digest is another image.
  std::string repo_digest = image.image().repo_digests(0);
  image_request.mutable_image()->set_image(repo_digest);
  runtime::v1::ImageStatusResponse by_digest;
  ASSERT_TRUE(node_.daemon().image().ImageStatus(Context().get(), image_request, &by_digest).ok());
  EXPECT_EQ(by_digest.image().id(), image.image().id());
  image_request.mutable_image()->set_image(
      StrCat("127.0.0.1:1/elsewhere", repo_digest.substr(repo_digest.find('@'))));
  runtime::v1::ImageStatusResponse elsewhere;
  ASSERT_TRUE(node_.daemon().image().ImageStatus(Context().get(), image_request, &elsewhere).ok());
  EXPECT_FALSE(elsewhere.has_image());
  for (const std::string& reference :
       {image.image().id(), image.image().repo_digests(0), image.image().id().substr(0, 12)}) {
    runtime::v1::ContainerConfig config = Config(StrCat("by-", reference.size()), {"true"});
    config.mutable_image()->set_image(reference);
    std::string id = CreateAndStart(config);
    runtime::v1::ContainerStatus status = Status(id);
    EXPECT_EQ(status.image_ref(), image.image().repo_digests(0)) << reference;
  }

  // The RPC's id prefix filter.
  runtime::v1::ListContainersRequest list;
  std::string first = CreateAndStart(Config("listed", {"sleep", "1000"}));
  list.mutable_filter()->set_id(first.substr(0, 10));
  runtime::v1::ListContainersResponse listed;
  ASSERT_TRUE(node_.daemon().runtime().ListContainers(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.containers_size(), 1);
  EXPECT_EQ(listed.containers(0).id(), first);

  // Stats of a live container carry the memory details too.
  runtime::v1::ContainerStatsRequest stats_request;
  stats_request.set_container_id(first);
  runtime::v1::ContainerStatsResponse stats;
  ASSERT_TRUE(node_.daemon().runtime().ContainerStats(Context().get(), stats_request, &stats).ok());
  EXPECT_GT(stats.stats().memory().rss_bytes().value(), 0u);
  EXPECT_GT(stats.stats().memory().page_faults().value(), 0u);
  EXPECT_GT(stats.stats().cpu().usage_core_nano_seconds().value(), 0u);

  // A pod that is not ready takes no new container.
  runtime::v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod_id_);
  runtime::v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(node_.daemon()
                  .runtime()
                  .StopPodSandbox(Context(std::chrono::seconds(60)).get(), stop, &stopped)
                  .ok());
  std::string refused_id;
  grpc::Status refused = TryCreate(Config("too-late", {"true"}), &refused_id);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("not ready"));
}

// pids_limit from crio.conf caps the container's processes.
class PidsLimitTest : public PodFixture {
 protected:
  PidsLimitTest() : PodFixture(NodeOptions{.extra_args = {"--pids-limit", "20"}}) {}
};

TEST_F(PidsLimitTest, TheContainersCgroupHasTheLimit) {
  std::string id = CreateAndStart(Config("capped", {"sleep", "1000"}));
  std::string max = Exec(id, {"cat", "/sys/fs/cgroup/pids/pids.max"}).stdout();
  if (max.empty()) GTEST_SKIP() << "no pids controller at /sys/fs/cgroup/pids";
  EXPECT_EQ(max, "20\n");
  // More processes than that cannot be made.
  runtime::v1::ExecSyncResponse forked =
      Exec(id, {"sh", "-c", "for i in $(seq 1 30); do sleep 5 & done; wait"});
  EXPECT_THAT(forked.stderr(), HasSubstr("Resource temporarily unavailable"));
}

// An image whose config names a StopSignal and whose /etc/group makes nobody a member of
// "staff" (test/fixtures/configured-oci.sh).
class ConfiguredImageTest : public ContainerSecurityTest {
 protected:
  void SetUp() override {
    ContainerSecurityTest::SetUp();
    node_.registry().PushLayout(StrCat(IMAGE_FIXTURES_DIR, "/configured-oci"), "configured", "1");
    image_ = StrCat(node_.registry().host(), "/configured:1");
    runtime::v1::PullImageRequest pull;
    pull.mutable_image()->set_image(image_);
    runtime::v1::PullImageResponse pulled;
    ASSERT_TRUE(node_.daemon()
                    .image()
                    .PullImage(Context(std::chrono::seconds(60)).get(), pull, &pulled)
                    .ok());
  }

  runtime::v1::ContainerConfig FromImage(const std::string& name,
                                         std::vector<std::string> command) {
    runtime::v1::ContainerConfig config = Config(name, std::move(command));
    config.mutable_image()->set_image(image_);
    return config;
  }

  std::string image_;
};

TEST_F(ConfiguredImageTest, StopSendsTheImagesStopSignal) {
  // PID 1 ignores signals it has no handler for: only the image's SIGUSR1 ends it before the
  // timeout; the plain busybox image gets SIGTERM, ignored, then SIGKILL.
  const std::vector<std::string> waits_for_usr1 = {
      "sh", "-c", "trap 'exit 42' USR1; touch /tmp/ready; while :; do sleep 0.1; done"};
  std::string configured = CreateAndStart(FromImage("configured", waits_for_usr1));
  std::string plain = CreateAndStart(Config("plain", waits_for_usr1));
  for (const std::string& id : {configured, plain}) {
    ASSERT_TRUE(Eventually([&] {
      return Exec(id, {"test", "-e", "/tmp/ready"}).exit_code() == 0;
    }));
  }
  ASSERT_TRUE(Stop(configured, 5).ok());
  EXPECT_EQ(Status(configured).exit_code(), 42);
  ASSERT_TRUE(Stop(plain, 1).ok());
  EXPECT_EQ(Status(plain).exit_code(), 137);
}

TEST_F(ConfiguredImageTest, SupplementalGroupsPolicyMergeAndStrict) {
  runtime::v1::ContainerConfig merge = FromImage("merge", {"sleep", "1000"});
  Security(merge)->set_run_as_username("nobody");
  Security(merge)->add_supplemental_groups(3000);
  runtime::v1::ContainerConfig strict = merge;
  strict.mutable_metadata()->set_name("strict");
  Security(strict)->set_supplemental_groups_policy(runtime::v1::Strict);
  // Merge (the default): the image's /etc/group adds staff (50) to what the CRI asks for.
  EXPECT_EQ(Exec(CreateAndStart(merge), {"id", "-G"}).stdout(), "65534 50 3000\n");
  // Strict: only the primary group and the CRI's.
  EXPECT_EQ(Exec(CreateAndStart(strict), {"id", "-G"}).stdout(), "65534 3000\n");
}

}  // namespace
}  // namespace crio::testing
