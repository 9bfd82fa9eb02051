#include "crio/oci/selinux.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr const char* kLxcContexts =
    "# container-selinux's file\n"
    "process = \"system_u:system_r:container_t:s0\"\n"
    "content = \"system_u:object_r:virt_var_lib_t:s0\"\n"
    "file = \"system_u:object_r:container_file_t:s0\"\n"
    "ro_file=\"system_u:object_r:container_ro_file_t:s0\"\n";

ContainerPolicyLabels TargetedPolicy() {
  return {"system_u:system_r:container_t:s0", "system_u:object_r:container_file_t:s0"};
}

runtime::v1::SELinuxOption Options(std::string user, std::string role, std::string type,
                                   std::string level) {
  runtime::v1::SELinuxOption options;
  options.set_user(user);
  options.set_role(role);
  options.set_type(type);
  options.set_level(level);
  return options;
}

TEST(SelinuxContextTest, ParsesAndPrints) {
  absl::StatusOr<SelinuxContext> context =
      SelinuxContext::Parse("system_u:system_r:container_t:s0:c1,c2");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(context->user, "system_u");
  EXPECT_EQ(context->role, "system_r");
  EXPECT_EQ(context->type, "container_t");
  EXPECT_EQ(context->level, "s0:c1,c2");
  EXPECT_EQ(context->ToString(), "system_u:system_r:container_t:s0:c1,c2");

  absl::StatusOr<SelinuxContext> no_level = SelinuxContext::Parse("u:r:t");
  ASSERT_TRUE(no_level.ok());
  EXPECT_EQ(no_level->ToString(), "u:r:t");
  EXPECT_TRUE(SelinuxContext::Parse("u:r:t:s0-s0:c0.c1023").ok());

  for (const char* bad : {"", "u:r", "u::t", "u:r:t:", "u:r:t\":s0", "u:r:t:s0,\"x", "u r:r:t"}) {
    EXPECT_EQ(SelinuxContext::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ContainerPolicyLabelsTest, ReadsThePolicyNamedInTheConfig) {
  testing::ScratchDir root;
  root.Write("etc/selinux/config", "SELINUX=enforcing\nSELINUXTYPE=mls # comment\n");
  root.Write("etc/selinux/mls/contexts/lxc_contexts", kLxcContexts);
  absl::StatusOr<ContainerPolicyLabels> labels = LoadContainerPolicyLabels(root.path());
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(labels->process, "system_u:system_r:container_t:s0");
  EXPECT_EQ(labels->file, "system_u:object_r:container_file_t:s0");
}

TEST(ContainerPolicyLabelsTest, TargetedByDefaultAndLevelS0WhenMissing) {
  testing::ScratchDir root;
  root.Write("etc/selinux/targeted/contexts/lxc_contexts",
             "process = \"system_u:system_r:container_t\"\n"
             "file = 'system_u:object_r:container_file_t'\n");
  absl::StatusOr<ContainerPolicyLabels> labels = LoadContainerPolicyLabels(root.path());
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(labels->process, "system_u:system_r:container_t:s0");
  EXPECT_EQ(labels->file, "system_u:object_r:container_file_t:s0");
}

TEST(ContainerPolicyLabelsTest, APolicyWithoutContainerLabelsIsNotFound) {
  testing::ScratchDir root;
  EXPECT_EQ(LoadContainerPolicyLabels(root.path()).status().code(), absl::StatusCode::kNotFound);
  root.Write("etc/selinux/targeted/contexts/lxc_contexts", "content = \"a:b:c:s0\"\n");
  absl::Status status = LoadContainerPolicyLabels(root.path()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("names no \"process\" and \"file\""));
  root.Write("etc/selinux/targeted/contexts/lxc_contexts", "process = \"x\"\nfile = \"a:b:c\"\n");
  EXPECT_EQ(LoadContainerPolicyLabels(root.path()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(McsLevelsTest, AllocatesDistinctOrderedLevels) {
  McsLevels levels;
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string level = levels.Allocate();
    ASSERT_THAT(level, MatchesRegex("s0:c[0-9]+,c[0-9]+"));
    unsigned first = 0, second = 0;
    ASSERT_EQ(std::sscanf(level.c_str(), "s0:c%u,c%u", &first, &second), 2);
    EXPECT_LT(first, second);
    EXPECT_LT(second, 1024u);
    EXPECT_TRUE(seen.insert(level).second) << level << " handed out twice";
  }
}

TEST(McsLevelsTest, NeverHandsOutAHeldLevelAndCountsHolders) {
  // A generator that keeps proposing c1,c2 before anything else.
  std::vector<uint32_t> script = {1, 2, 2, 1, 1, 1, 3, 5};
  size_t next = 0;
  McsLevels levels([&] { return script[next++ % script.size()]; });
  levels.Hold("s0:c1,c2");
  levels.Hold("s0:c1,c2");
  EXPECT_EQ(levels.HoldCount("s0:c1,c2"), 2);
  // c1,c2 (held), c2,c1 (the same once ordered), c1,c1 (no pair): then c3,c5.
  EXPECT_EQ(levels.Allocate(), "s0:c3,c5");
  levels.Release("s0:c1,c2");
  EXPECT_EQ(levels.HoldCount("s0:c1,c2"), 1);
  levels.Release("s0:c1,c2");
  EXPECT_EQ(levels.HoldCount("s0:c1,c2"), 0);
  next = 0;
  EXPECT_EQ(levels.Allocate(), "s0:c1,c2");
  levels.Release("s0:c9,c10");  // never held: nothing happens
  EXPECT_EQ(levels.HoldCount("s0:c9,c10"), 0);
}

TEST(SelinuxLabelerTest, SeparatedPodsGetTheirOwnLevel) {
  SelinuxLabeler labeler(TargetedPolicy());
  absl::StatusOr<SelinuxLabels> a = labeler.ForPod({}, PodSelinuxMode::kSeparated);
  absl::StatusOr<SelinuxLabels> b = labeler.ForPod({}, PodSelinuxMode::kSeparated);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(a->process, MatchesRegex("system_u:system_r:container_t:s0:c[0-9]+,c[0-9]+"));
  EXPECT_THAT(a->mount, MatchesRegex("system_u:object_r:container_file_t:s0:c[0-9]+,c[0-9]+"));
  std::string level = SelinuxContext::Parse(a->process)->level;
  EXPECT_EQ(SelinuxContext::Parse(a->mount)->level, level);
  EXPECT_NE(SelinuxContext::Parse(b->process)->level, level);
  EXPECT_EQ(labeler.levels().HoldCount(level), 1);
  labeler.Release(*a);
  EXPECT_EQ(labeler.levels().HoldCount(level), 0);
}

TEST(SelinuxLabelerTest, PodOptionsGoOnTop) {
  SelinuxLabeler labeler(TargetedPolicy());
  absl::StatusOr<SelinuxLabels> labels =
      labeler.ForPod(Options("user_u", "user_r", "spc_t", "s0:c7,c8"), PodSelinuxMode::kSeparated);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(labels->process, "user_u:user_r:spc_t:s0:c7,c8");
  // Files keep object_r and the policy's file type; the user and level follow the options.
  EXPECT_EQ(labels->mount, "user_u:object_r:container_file_t:s0:c7,c8");
  // A level two pods name is shared, and held until both are gone.
  ASSERT_TRUE(labeler.ForPod(Options("", "", "", "s0:c7,c8"), PodSelinuxMode::kSeparated).ok());
  EXPECT_EQ(labeler.levels().HoldCount("s0:c7,c8"), 2);
  EXPECT_EQ(
      labeler.ForPod(Options("", "", "", "s0:c1\"x"), PodSelinuxMode::kSeparated).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(labeler.ForPod(Options("a:b", "", "", ""), PodSelinuxMode::kSeparated).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SelinuxLabelerTest, PodsWithoutSeparation) {
  SelinuxLabeler labeler(TargetedPolicy());
  runtime::v1::SELinuxOption options = Options("", "", "spc_t", "");
  // Host PID or IPC: no labels at all, as in CRI-O.
  EXPECT_TRUE(labeler.ForPod(options, PodSelinuxMode::kHostNamespaces)->empty());
  // Privileged: no process label; files get the policy's label at s0, and no level is held.
  absl::StatusOr<SelinuxLabels> privileged = labeler.ForPod(options, PodSelinuxMode::kPrivileged);
  EXPECT_EQ(privileged->process, "");
  EXPECT_EQ(privileged->mount, "system_u:object_r:container_file_t:s0");
  EXPECT_EQ(labeler.levels().HoldCount("s0"), 0);
  // Host network with hostnetwork_disable_selinux: no process label, files still separated.
  absl::StatusOr<SelinuxLabels> host_network =
      labeler.ForPod(options, PodSelinuxMode::kHostNetwork);
  EXPECT_EQ(host_network->process, "");
  EXPECT_THAT(host_network->mount,
              MatchesRegex("system_u:object_r:container_file_t:s0:c[0-9]+,c[0-9]+"));
}

TEST(SelinuxLabelerTest, RecoveredPodsKeepTheirLevel) {
  SelinuxLabeler labeler(TargetedPolicy(), [] { return 0u; });
  SelinuxLabels recovered{"system_u:system_r:container_t:s0:c3,c4",
                          "system_u:object_r:container_file_t:s0:c3,c4"};
  labeler.Hold(recovered);
  EXPECT_EQ(labeler.levels().HoldCount("s0:c3,c4"), 1);
  labeler.Hold({"", "system_u:object_r:container_file_t:s0"});  // a privileged pod holds nothing
  EXPECT_EQ(labeler.levels().HoldCount("s0"), 0);
  labeler.Release(recovered);
  EXPECT_EQ(labeler.levels().HoldCount("s0:c3,c4"), 0);
}

TEST(ContainerSelinuxLabelsTest, InheritsThePodsLabelsWithItsOwnOptions) {
  SelinuxLabels pod{"system_u:system_r:container_t:s0:c3,c4",
                    "system_u:object_r:container_file_t:s0:c3,c4"};
  EXPECT_EQ(*ContainerSelinuxLabels(pod, {}, false), pod);
  absl::StatusOr<SelinuxLabels> typed =
      ContainerSelinuxLabels(pod, Options("", "", "container_init_t", ""), false);
  EXPECT_EQ(typed->process, "system_u:system_r:container_init_t:s0:c3,c4");
  EXPECT_EQ(typed->mount, pod.mount);
  absl::StatusOr<SelinuxLabels> leveled =
      ContainerSelinuxLabels(pod, Options("staff_u", "", "", "s0:c1,c2"), false);
  EXPECT_EQ(leveled->process, "staff_u:system_r:container_t:s0:c1,c2");
  EXPECT_EQ(leveled->mount, "staff_u:object_r:container_file_t:s0:c1,c2");
  // Privileged: the runtime's domain, the pod's files.
  absl::StatusOr<SelinuxLabels> privileged = ContainerSelinuxLabels(pod, {}, true);
  EXPECT_EQ(privileged->process, "");
  EXPECT_EQ(privileged->mount, pod.mount);
  // An unlabeled pod gives nothing, whatever the container asks.
  EXPECT_TRUE(ContainerSelinuxLabels({}, Options("", "", "spc_t", ""), false)->empty());
  // A pod without a process label (host network) gives its containers none either.
  EXPECT_EQ(ContainerSelinuxLabels({"", pod.mount}, Options("", "", "spc_t", ""), false)->process,
            "");
  EXPECT_EQ(ContainerSelinuxLabels(pod, Options("", "", "bad type", ""), false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SelinuxSetupTest, LabelsOnlyWhenAskedOnAnSelinuxHostWithAContainerPolicy) {
  testing::ScratchDir root;
  root.Write("etc/selinux/targeted/contexts/lxc_contexts", kLxcContexts);
  SelinuxSetup off = SetUpSelinuxLabeling(false, true, root.path());
  EXPECT_EQ(off.labeler, nullptr);
  EXPECT_THAT(off.message, HasSubstr("off"));
  SelinuxSetup no_host = SetUpSelinuxLabeling(true, false, root.path());
  EXPECT_EQ(no_host.labeler, nullptr);
  EXPECT_THAT(no_host.message, HasSubstr("no SELinux"));
  SelinuxSetup on = SetUpSelinuxLabeling(true, true, root.path());
  ASSERT_NE(on.labeler, nullptr);
  EXPECT_EQ(on.labeler->policy().process, "system_u:system_r:container_t:s0");
  testing::ScratchDir empty;
  SelinuxSetup no_policy = SetUpSelinuxLabeling(true, true, empty.path());
  EXPECT_EQ(no_policy.labeler, nullptr);
  EXPECT_THAT(no_policy.message, HasSubstr("no container labels"));
}

TEST(SelinuxMountContextTest, QuotesTheLabel) {
  EXPECT_EQ(SelinuxMountContext("system_u:object_r:container_file_t:s0:c1,c2"),
            "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
}

// Root may set security.selinux on ext4 and tmpfs even without SELinux loaded: these run for
// real on this host.
class RelabelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    volume_ = dir_.path() / "volume";
    fs::create_directories(volume_ / "a" / "b");
    dir_.Write("volume/a/b/file", "x");
    dir_.Write("outside/secret", "y");
    fs::create_symlink(dir_.path() / "outside", volume_ / "link-to-dir");
    fs::create_symlink(dir_.path() / "outside" / "secret", volume_ / "link-to-file");
  }

  testing::ScratchDir dir_;
  fs::path volume_;
  const std::string label_ = "system_u:object_r:container_file_t:s0:c4,c9";
};

TEST_F(RelabelTest, LabelsEverythingBelowWithoutFollowingSymlinks) {
  ASSERT_TRUE(RelabelPath(volume_, label_, false).ok());
  for (const fs::path& path :
       {volume_, volume_ / "a", volume_ / "a" / "b", volume_ / "a" / "b" / "file",
        volume_ / "link-to-dir", volume_ / "link-to-file"}) {
    EXPECT_EQ(FileSelinuxLabel(path), label_) << path;
  }
  EXPECT_EQ(FileSelinuxLabel(dir_.path() / "outside"), "");
  EXPECT_EQ(FileSelinuxLabel(dir_.path() / "outside" / "secret"), "");
}

TEST_F(RelabelTest, AHostPathThatIsASymlinkLabelsWhereItLeads) {
  // The bind mount of such a path shows its target: that is what the container must be able to
  // read, and what must not be a system directory.
  fs::create_symlink(volume_, dir_.path() / "volume-link");
  ASSERT_TRUE(RelabelPath(dir_.path() / "volume-link", label_, false).ok());
  EXPECT_EQ(FileSelinuxLabel(volume_), label_);
  EXPECT_EQ(FileSelinuxLabel(volume_ / "a" / "b" / "file"), label_);
  EXPECT_EQ(FileSelinuxLabel(dir_.path() / "volume-link"), "");

  fs::create_symlink("/usr", dir_.path() / "usr-link");
  absl::Status status = RelabelPath(dir_.path() / "usr-link", label_, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("/usr is not allowed"));
}

TEST_F(RelabelTest, SharedLowersTheLevelToS0) {
  ASSERT_TRUE(RelabelPath(volume_ / "a" / "b" / "file", label_, true).ok());
  EXPECT_EQ(FileSelinuxLabel(volume_ / "a" / "b" / "file"),
            "system_u:object_r:container_file_t:s0");
  EXPECT_EQ(FileSelinuxLabel(volume_ / "a"), "");
}

TEST_F(RelabelTest, RelabelsWhatCarriesAnotherLabel) {
  ASSERT_TRUE(RelabelPath(volume_, "system_u:object_r:container_file_t:s0:c1,c2", false).ok());
  ASSERT_TRUE(RelabelPath(volume_, label_, false).ok());
  EXPECT_EQ(FileSelinuxLabel(volume_ / "a" / "b" / "file"), label_);
}

TEST_F(RelabelTest, RefusesSystemDirectoriesAndHome) {
  for (const char* path : {"/", "/usr", "/usr/", "/etc", "/var/lib", "/home", "/tmp", "/run/"}) {
    absl::Status status = RelabelPath(path, label_, false);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(std::string(status.message()), HasSubstr("is not allowed")) << path;
  }
  const char* old_home = std::getenv("HOME");
  std::string saved = old_home == nullptr ? "" : old_home;
  ::setenv("HOME", volume_.c_str(), 1);
  absl::Status home = RelabelPath(volume_.string() + "/", label_, false);
  if (old_home == nullptr) {
    ::unsetenv("HOME");
  } else {
    ::setenv("HOME", saved.c_str(), 1);
  }
  EXPECT_EQ(home.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FileSelinuxLabel(volume_), "");
}

TEST_F(RelabelTest, NoLabelChangesNothingAndABadLabelIsAnError) {
  EXPECT_TRUE(RelabelPath(volume_, "", false).ok());
  EXPECT_EQ(FileSelinuxLabel(volume_), "");
  EXPECT_EQ(RelabelPath(volume_, "not-a-label", false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RelabelPath(dir_.path() / "missing", label_, false).code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace crio::oci
