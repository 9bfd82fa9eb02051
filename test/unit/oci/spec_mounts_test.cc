#include "crio/oci/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

class MountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = dir_ / "rootfs";
    host_ = dir_ / "host";
    fs::create_directories(rootfs_);
    fs::create_directories(host_ / "data/sub");
    WriteFile(host_ / "hosts", "127.0.0.1 localhost\n");

    config_.mutable_metadata()->set_name("app");
    config_.add_command("/bin/app");
    sc()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
    in_.container_id = "c1";
    in_.config = &config_;
    in_.pod_config = &pod_config_;
    in_.pod.net_ns = "/var/run/netns/p";
    in_.pod.ipc_ns = "/var/run/ipcns/p";
    in_.pod.uts_ns = "/var/run/utsns/p";
    in_.pod.shm_path = "/run/pods/p/shm";
    in_.pod.hostname_file = "/run/pods/p/hostname";
    in_.pod.hosts_file = "/run/pods/p/hosts";
    in_.pod.resolv_conf = "/run/pods/p/resolv.conf";
    in_.rootfs = rootfs_;
    in_.lsm_probe = [this] { return lsm_; };
    // The host as these tests want it: "/" private, host_/shared shared, host_/slave a slave.
    in_.mountinfo = dir_ / "mountinfo";
    WriteFile(in_.mountinfo,
              "21 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
              "30 21 0:30 / " +
                  (host_ / "shared").string() + " rw shared:7 - tmpfs t rw\n" + "31 21 0:31 / " +
                  (host_ / "slave").string() + " rw master:7 - tmpfs t rw\n" + "32 21 0:32 / " +
                  (host_ / "with\\040space").string() + " rw shared:9 - tmpfs t rw\n");
    fs::create_directories(host_ / "shared/vol");
    fs::create_directories(host_ / "slave/vol");
    fs::create_directories(host_ / "with space");
  }

  runtime::v1::LinuxContainerSecurityContext* sc() {
    return config_.mutable_linux()->mutable_security_context();
  }

  runtime::v1::Mount* AddMount(const std::string& container_path, const std::string& host_path) {
    auto* m = config_.add_mounts();
    m->set_container_path(container_path);
    m->set_host_path(host_path);
    return m;
  }

  json Generate() {
    absl::StatusOr<GeneratedSpec> spec = GenerateContainerSpec(in_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? json::parse(spec->json) : json::object();
  }
  absl::Status Error() { return GenerateContainerSpec(in_).status(); }

  static std::vector<std::string> Destinations(const json& spec) {
    std::vector<std::string> out;
    for (const auto& m : spec["mounts"]) out.push_back(m["destination"]);
    return out;
  }
  static json MountAt(const json& spec, const std::string& destination) {
    for (const auto& m : spec["mounts"]) {
      if (m["destination"] == destination) return m;
    }
    return json();
  }
  static std::vector<std::string> Options(const json& mount) {
    return mount["options"].get<std::vector<std::string>>();
  }

  ::crio::testing::ScratchDir scratch_{"crio-spec-mounts"};
  const fs::path dir_ = scratch_.path();
  fs::path rootfs_;
  fs::path host_;
  runtime::v1::ContainerConfig config_;
  runtime::v1::PodSandboxConfig pod_config_;
  SpecInputs in_;
  HostLsm lsm_;
};

TEST_F(MountsTest, DefaultMountsInOrder) {
  json spec = Generate();
  EXPECT_THAT(Destinations(spec),
              ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                          "/sys/fs/cgroup", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"));
  json shm = MountAt(spec, "/dev/shm");
  EXPECT_EQ(shm["type"], "bind");
  EXPECT_EQ(shm["source"], "/run/pods/p/shm");
  EXPECT_EQ(MountAt(spec, "/dev/mqueue")["type"], "mqueue");
  EXPECT_EQ(MountAt(spec, "/sys/fs/cgroup")["type"], "cgroup");
  EXPECT_THAT(Options(MountAt(spec, "/sys/fs/cgroup")), Contains("ro"));
  json hosts = MountAt(spec, "/etc/hosts");
  EXPECT_EQ(hosts["source"], "/run/pods/p/hosts");
  EXPECT_THAT(Options(hosts), Contains("rw"));
  EXPECT_FALSE(spec["linux"].contains("rootfsPropagation"));
}

TEST_F(MountsTest, PodFilesAreReadOnlyWithAReadOnlyRoot) {
  sc()->set_readonly_rootfs(true);
  json spec = Generate();
  for (const char* file : {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}) {
    EXPECT_THAT(Options(MountAt(spec, file)), Contains("ro")) << file;
  }
}

TEST_F(MountsTest, HostIpcUsesTheHostsShmAndQueues) {
  in_.pod.host_ipc = true;
  in_.pod.ipc_ns.clear();
  json spec = Generate();
  EXPECT_EQ(MountAt(spec, "/dev/shm")["source"], "/dev/shm");
  if (fs::is_directory("/dev/mqueue")) {
    EXPECT_EQ(MountAt(spec, "/dev/mqueue")["type"], "bind");
    EXPECT_EQ(MountAt(spec, "/dev/mqueue")["source"], "/dev/mqueue");
  } else {
    EXPECT_EQ(MountAt(spec, "/dev/mqueue")["type"], "mqueue");
  }
}

TEST_F(MountsTest, PodWithoutFilesGetsNoFileMounts) {
  in_.pod.hostname_file.clear();
  in_.pod.hosts_file.clear();
  in_.pod.resolv_conf.clear();
  in_.pod.shm_path.clear();
  json spec = Generate();
  EXPECT_EQ(MountAt(spec, "/etc/hosts"), json());
  EXPECT_EQ(MountAt(spec, "/dev/shm")["type"], "tmpfs");
}

TEST_F(MountsTest, CriMountsComeLastParentsFirstAndReplaceDefaults) {
  AddMount("/data/sub", (host_ / "data/sub").string());
  AddMount("/etc/hosts", (host_ / "hosts").string());
  AddMount("/data/", (host_ / "data").string())->set_readonly(true);
  AddMount("/dev/termination-log", (host_ / "hosts").string());
  json spec = Generate();
  EXPECT_THAT(Destinations(spec),
              ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                          "/sys/fs/cgroup", "/etc/hostname", "/etc/resolv.conf", "/data",
                          "/data/sub", "/etc/hosts", "/dev/termination-log"));
  json hosts = MountAt(spec, "/etc/hosts");
  EXPECT_EQ(hosts["source"], (host_ / "hosts").string());
  EXPECT_EQ(hosts["type"], "bind");
  EXPECT_THAT(Options(hosts), ElementsAre("rbind", "rprivate", "rw"));
  EXPECT_THAT(Options(MountAt(spec, "/data")), ElementsAre("rbind", "rprivate", "ro"));
}

TEST_F(MountsTest, CriResolvConfReplacesThePodsToo) {
  AddMount("/etc/resolv.conf", (host_ / "hosts").string());
  json spec = Generate();
  EXPECT_EQ(MountAt(spec, "/etc/resolv.conf")["source"], (host_ / "hosts").string());
  int count = 0;
  for (const auto& d : Destinations(spec)) count += d == "/etc/resolv.conf";
  EXPECT_EQ(count, 1);
}

TEST_F(MountsTest, PropagationModes) {
  AddMount("/a", (host_ / "shared/vol").string())
      ->set_propagation(runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  json spec = Generate();
  EXPECT_THAT(Options(MountAt(spec, "/a")), Contains("rslave"));
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rslave");

  AddMount("/b", (host_ / "slave/vol").string())
      ->set_propagation(runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  EXPECT_EQ(Generate()["linux"]["rootfsPropagation"], "rslave");

  AddMount("/c", (host_ / "with space").string())
      ->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
  spec = Generate();
  EXPECT_THAT(Options(MountAt(spec, "/c")), Contains("rshared"));
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rshared");
}

TEST_F(MountsTest, PropagationNeedsAPropagatingSource) {
  AddMount("/a", (host_ / "data").string())
      ->set_propagation(runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not a shared or slave mount"));

  config_.clear_mounts();
  AddMount("/a", (host_ / "slave/vol").string())
      ->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
  status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not a shared mount"));
}

TEST_F(MountsTest, MissingHostPathFailsNamingIt) {
  std::string missing = (host_ / "nope").string();
  AddMount("/x", missing);
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(missing));
}

TEST_F(MountsTest, RecursiveReadOnlyMounts) {
  in_.runtime_handler = "runc";
  in_.recursive_read_only_mounts = true;
  runtime::v1::Mount* m = AddMount("/x", host_.string());
  m->set_recursive_read_only(true);
  m->set_readonly(true);
  EXPECT_THAT(Options(MountAt(Generate(), "/x")), ElementsAre("rbind", "rprivate", "ro", "rro"));

  // As in CRI-O: it must be read-only and private.
  m->set_readonly(false);
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("needs readonly"));
  m->set_readonly(true);
  m->set_propagation(runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("private propagation"));
  m->set_propagation(runtime::v1::PROPAGATION_PRIVATE);

  // A runtime (or kernel) without "rro" cannot honour it: refused, never downgraded to "ro".
  in_.recursive_read_only_mounts = false;
  status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()), HasSubstr("runtime handler \"runc\""));
}

TEST_F(MountsTest, RelativeContainerPathsAreRefused) {
  AddMount("relative", host_.string());
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MountsTest, ImageVolumeIsAReadOnlyPrivateBindOfTheMountedImage) {
  // Where the caller mounted the image; the CRI's readonly=false and propagation do not matter.
  fs::path image_root = dir_ / "image-root";
  fs::create_directories(image_root / "bin");
  AddMount("/data", (host_ / "data").string());
  runtime::v1::Mount* m = AddMount("/data/image/", "");
  m->mutable_image()->set_image("docker.io/library/busybox:1");
  m->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
  in_.image_volume_sources[1] = image_root.string();
  json spec = Generate();
  json mount = MountAt(spec, "/data/image");
  EXPECT_EQ(mount["type"], "bind");
  EXPECT_EQ(mount["source"], image_root.string());
  EXPECT_THAT(Options(mount), ElementsAre("rbind", "rprivate", "ro", "nosuid", "nodev"));
  // No propagation was asked of the host for it, and it comes after its parent.
  EXPECT_FALSE(spec["linux"].contains("rootfsPropagation"));
  std::vector<std::string> destinations = Destinations(spec);
  EXPECT_LT(std::find(destinations.begin(), destinations.end(), "/data"),
            std::find(destinations.begin(), destinations.end(), "/data/image"));

  // A sub path mounts that directory of the image instead.
  m->set_image_sub_path("./bin/");
  EXPECT_EQ(MountAt(Generate(), "/data/image")["source"], (image_root / "bin").string());
}

TEST_F(MountsTest, ImageVolumeSubPathMustExistAndStayInside) {
  fs::path image_root = dir_ / "image-root";
  fs::create_directories(image_root / "etc");
  fs::create_symlink("/", image_root / "escape");
  runtime::v1::Mount* m = AddMount("/img", "");
  m->mutable_image()->set_image("busybox");
  in_.image_volume_sources[0] = image_root.string();
  for (const char* bad : {"../host", "/etc", "missing", "escape"}) {
    m->set_image_sub_path(bad);
    absl::Status status = Error();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr(bad));
  }
}

TEST_F(MountsTest, ImageVolumeTheCallerDidNotMountIsAnError) {
  AddMount("/img", "")->mutable_image()->set_image("busybox");
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("was not mounted"));
}

TEST_F(MountsTest, SelinuxRelabelGivesTheHostPathTheContainersMountLabel) {
  fs::create_directories(host_ / "sub");
  std::ofstream(host_ / "sub" / "file") << "data";
  AddMount("/x", host_.string())->set_selinux_relabel(true);
  AddMount("/y", rootfs_.string());  // not asked to be relabeled
  // No mount label (no SELinux, labeling off, or an unseparated pod): nothing changes.
  Generate();
  EXPECT_EQ(FileSelinuxLabel(host_ / "sub" / "file"), "");

  in_.selinux_labels = {"system_u:system_r:container_t:s0:c4,c9",
                        "system_u:object_r:container_file_t:s0:c4,c9"};
  json spec = Generate();
  EXPECT_EQ(spec["linux"]["mountLabel"], "system_u:object_r:container_file_t:s0:c4,c9");
  for (const fs::path& path : {host_, host_ / "sub", host_ / "sub" / "file"}) {
    EXPECT_EQ(FileSelinuxLabel(path), "system_u:object_r:container_file_t:s0:c4,c9") << path;
  }
  EXPECT_EQ(FileSelinuxLabel(rootfs_), "");
}

TEST_F(MountsTest, SelinuxRelabelOfASystemDirectoryIsRefused) {
  in_.selinux_labels = {"", "system_u:object_r:container_file_t:s0:c4,c9"};
  AddMount("/host-usr", "/usr/")->set_selinux_relabel(true);
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("relabeling of /usr is not allowed"));
  EXPECT_EQ(FileSelinuxLabel("/usr"), "");
}

TEST_F(MountsTest, ImageVolumeDirectoriesGetTheMountLabel) {
  in_.image.volumes = {"/data"};
  in_.image_volumes = "bind";
  in_.image_volumes_dir = (host_ / "volumes").string();
  in_.selinux_labels = {"", "system_u:object_r:container_file_t:s0:c1,c2"};
  json spec = Generate();
  fs::path source = MountAt(spec, "/data")["source"].get<std::string>();
  EXPECT_EQ(FileSelinuxLabel(source), "system_u:object_r:container_file_t:s0:c1,c2");
}

TEST_F(MountsTest, IdMappedMountsBindTheClonePrepared) {
  runtime::v1::Mount* mount = AddMount("/mapped", host_.string());
  auto* uid = mount->add_uidmappings();
  uid->set_container_id(0);
  uid->set_host_id(200000);
  uid->set_length(65536);
  // Not prepared by the caller: an internal error, never the host path itself.
  EXPECT_EQ(Error().code(), absl::StatusCode::kInternal);
  in_.idmapped_mount_sources[0] = "/run/clone-of-host";
  EXPECT_EQ(MountAt(Generate(), "/mapped")["source"], "/run/clone-of-host");
}

TEST_F(MountsTest, ImageVolumes) {
  in_.image.volumes = {"/var/lib/db", "/cache"};
  AddMount("/cache", host_.string());
  json spec = Generate();  // mkdir by default
  EXPECT_TRUE(fs::is_directory(rootfs_ / "var/lib/db"));
  EXPECT_FALSE(fs::exists(rootfs_ / "cache"));  // the pod mounts a volume there
  EXPECT_EQ(MountAt(spec, "/var/lib/db"), json());

  fs::remove_all(rootfs_ / "var");
  in_.image_volumes = "ignore";
  Generate();
  EXPECT_FALSE(fs::exists(rootfs_ / "var/lib/db"));

  in_.image_volumes = "copy";
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MountsTest, ImageVolumesBindAHostDirectoryEach) {
  in_.image.volumes = {"/var/lib/db", "/cache", "/data"};
  in_.image_volumes = "bind";
  in_.image_volumes_dir = (dir_ / "volumes").string();
  AddMount("/cache", host_.string());
  AddMount("/data/sub", (host_ / "data/sub").string());
  json spec = Generate();
  json db = MountAt(spec, "/var/lib/db");
  EXPECT_EQ(db["type"], "bind");
  EXPECT_THAT(Options(db), ElementsAre("rbind", "rprivate", "rw"));
  std::string source = db["source"];
  EXPECT_EQ(fs::path(source).parent_path(), dir_ / "volumes");
  EXPECT_TRUE(fs::is_directory(source));
  EXPECT_FALSE(fs::exists(rootfs_ / "var/lib/db"));              // nothing in the writable layer
  EXPECT_EQ(MountAt(spec, "/cache")["source"], host_.string());  // the pod's volume wins
  // An image volume below which the pod mounts comes first, parents before children.
  std::vector<std::string> destinations = Destinations(spec);
  auto at = [&](const std::string& d) {
    return std::find(destinations.begin(), destinations.end(), d) - destinations.begin();
  };
  EXPECT_LT(at("/data"), at("/data/sub"));
  EXPECT_NE(MountAt(spec, "/data")["source"], source);
}

// --- devices ------------------------------------------------------------------------------------

struct DeviceStat {
  int64_t major;
  int64_t minor;
};

TEST_F(MountsTest, DefaultDeviceRules) {
  json spec = Generate();
  EXPECT_TRUE(spec["linux"]["devices"].empty());
  json rules = spec["linux"]["resources"]["devices"];
  ASSERT_GE(rules.size(), 2u);
  EXPECT_EQ(rules[0], json::parse(R"({"allow": false, "access": "rwm"})"));
  EXPECT_THAT(
      rules,
      Contains(json::parse(R"({"allow":true,"access":"rwm","type":"c","major":1,"minor":3})")));
  EXPECT_THAT(
      rules,
      Contains(json::parse(R"({"allow":true,"access":"rwm","type":"c","major":5,"minor":2})")));
  EXPECT_THAT(rules,
              Contains(json::parse(R"({"allow":true,"access":"rwm","type":"c","major":136})")));
}

TEST_F(MountsTest, CriDevices) {
  auto* d = config_.add_devices();
  d->set_host_path("/dev/null");
  d->set_container_path("/dev/mynull");
  d->set_permissions("rw");
  json spec = Generate();
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
  json node = spec["linux"]["devices"][0];
  EXPECT_EQ(node["path"], "/dev/mynull");
  EXPECT_EQ(node["type"], "c");
  EXPECT_EQ(node["major"], major(st.st_rdev));
  EXPECT_EQ(node["minor"], minor(st.st_rdev));
  EXPECT_EQ(node["fileMode"], st.st_mode & 07777);
  json rules = spec["linux"]["resources"]["devices"];
  EXPECT_EQ(rules.back(), json({{"allow", true},
                                {"access", "rw"},
                                {"type", "c"},
                                {"major", major(st.st_rdev)},
                                {"minor", minor(st.st_rdev)}}));
  EXPECT_EQ(rules[0]["allow"], false);
}

TEST_F(MountsTest, BadDevicesAreInvalidArgument) {
  auto* d = config_.add_devices();
  d->set_host_path((host_ / "hosts").string());  // a regular file
  d->set_container_path("/dev/x");
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
  d->set_host_path("/dev/does-not-exist");
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("/dev/does-not-exist"));
  d->set_host_path("/dev/null");
  d->set_permissions("rwx");
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MountsTest, CdiDevicesAreInjectedFromTheSpecDirectories) {
  scratch_.Write("cdi/vendor.json", R"({"cdiVersion": "0.6.0", "kind": "vendor.com/gpu",
    "devices": [{"name": "gpu0", "containerEdits": {"env": ["GPU=0"],
      "deviceNodes": [{"path": "/dev/gpu0", "hostPath": "/dev/null"}]}}]})");
  in_.cdi_spec_dirs = {(dir_ / "cdi").string()};
  config_.add_cdi_devices()->set_name("vendor.com/gpu=gpu0");
  json spec = Generate();
  EXPECT_THAT(spec["process"]["env"], Contains("GPU=0"));
  ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
  EXPECT_EQ(spec["linux"]["devices"][0]["path"], "/dev/gpu0");

  config_.add_cdi_devices()->set_name("vendor.com/gpu=gpu1");
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "CDI device injection failed: unresolvable CDI devices vendor.com/gpu=gpu1");
}

DeviceStat HostDevice(const char* path) {
  struct stat st {};
  EXPECT_EQ(::stat(path, &st), 0) << path;
  return {static_cast<int64_t>(major(st.st_rdev)), static_cast<int64_t>(minor(st.st_rdev))};
}

json NodeAt(const json& spec, const std::string& path) {
  for (const json& node : spec["linux"]["devices"]) {
    if (node["path"] == path) return node;
  }
  return json();
}

TEST_F(MountsTest, AdditionalDevicesGoToEveryContainer) {
  in_.additional_devices = {"/dev/null:/dev/extra-null:rw", "/dev/zero", "/dev/full:r", ""};
  json spec = Generate();
  ASSERT_EQ(spec["linux"]["devices"].size(), 3u);
  DeviceStat null = HostDevice("/dev/null");
  EXPECT_EQ(NodeAt(spec, "/dev/extra-null")["minor"], null.minor);
  EXPECT_EQ(NodeAt(spec, "/dev/zero")["type"], "c");
  json rules = spec["linux"]["resources"]["devices"];
  EXPECT_THAT(rules, Contains(json({{"allow", true},
                                    {"access", "rw"},
                                    {"type", "c"},
                                    {"major", null.major},
                                    {"minor", null.minor}})));
  DeviceStat full = HostDevice("/dev/full");
  EXPECT_THAT(rules, Contains(json({{"allow", true},
                                    {"access", "r"},
                                    {"type", "c"},
                                    {"major", full.major},
                                    {"minor", full.minor}})));
  EXPECT_TRUE(CheckAdditionalDevices(in_.additional_devices).ok());
}

TEST_F(MountsTest, MalformedDeviceEntriesAreRefusedAsCrioRefusesThem) {
  for (const std::string& entry : std::vector<std::string>{
           "/dev/null:rwx", "/dev/null:/dev/n:rw:x", "/dev/null:dev/n", "/dev/null:/etc/n",
           (host_ / "hosts").string(), "/dev/no-such-device"}) {
    absl::Status status = CheckAdditionalDevices({entry});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << entry;
    EXPECT_THAT(status.message(), HasSubstr("crio.runtime.additional_devices")) << entry;
    in_.additional_devices = {entry};
    EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument) << entry;
  }
}

TEST_F(MountsTest, TheDevicesAnnotationNeedsTheHandlerAndAllowedDevices) {
  (*pod_config_.mutable_annotations())[std::string(kDevicesAnnotation)] =
      "/dev/full:/dev/pod-full:rw,/dev/zero";
  in_.allowed_devices = {"/dev/full", "/dev/zero"};
  // The runtime handler does not allow the annotation: it is ignored, as CRI-O filters it out.
  EXPECT_TRUE(Generate()["linux"]["devices"].empty());

  in_.devices_annotation_allowed = true;
  json spec = Generate();
  EXPECT_EQ(NodeAt(spec, "/dev/pod-full")["type"], "c");
  EXPECT_EQ(NodeAt(spec, "/dev/zero")["type"], "c");

  in_.allowed_devices = {"/dev/full"};
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(),
              HasSubstr("device /dev/zero is specified but is not in allowed_devices"));

  // The older annotation name is read when the new one is absent.
  pod_config_.mutable_annotations()->clear();
  (*pod_config_.mutable_annotations())[std::string(kLegacyDevicesAnnotation)] = "/dev/full";
  EXPECT_EQ(NodeAt(Generate(), "/dev/full")["type"], "c");
}

TEST_F(MountsTest, DeviceOwnershipFromTheSecurityContext) {
  auto* d = config_.add_devices();
  d->set_host_path("/dev/null");
  d->set_container_path("/dev/mynull");
  sc()->mutable_run_as_user()->set_value(1000);
  sc()->mutable_run_as_group()->set_value(2000);
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  json node = Generate()["linux"]["devices"][0];
  EXPECT_EQ(node["uid"], st.st_uid);  // off by default: the host's owner
  EXPECT_EQ(node["gid"], st.st_gid);

  in_.device_ownership_from_security_context = true;
  node = Generate()["linux"]["devices"][0];
  EXPECT_EQ(node["uid"], 1000);
  EXPECT_EQ(node["gid"], 2000);

  // A root container keeps the host node's owner: a node owned by 7:8, made for the test.
  fs::path owned = host_ / "owned-null";
  ASSERT_EQ(::mknod(owned.c_str(), S_IFCHR | 0600, st.st_rdev), 0) << std::strerror(errno);
  ASSERT_EQ(::chown(owned.c_str(), 7, 8), 0);
  d->set_host_path(owned.string());
  sc()->mutable_run_as_user()->set_value(0);
  sc()->clear_run_as_group();
  node = Generate()["linux"]["devices"][0];
  EXPECT_EQ(node["uid"], 7);
  EXPECT_EQ(node["gid"], 8);
}

TEST_F(MountsTest, PrivilegedGetsHostDevicesUnlessConfiguredOtherwise) {
  sc()->set_privileged(true);
  json spec = Generate();
  std::vector<std::string> paths;
  for (const auto& d : spec["linux"]["devices"]) paths.push_back(d["path"]);
  EXPECT_THAT(paths, Contains("/dev/null"));
  for (const auto& p : paths) {
    EXPECT_NE(p.rfind("/dev/pts/", 0), 0u) << p;
    EXPECT_NE(p, "/dev/console");
  }
  EXPECT_EQ(spec["linux"]["resources"]["devices"],
            json::parse(R"([{"allow":true,"access":"rwm"}])"));

  in_.privileged_without_host_devices = true;
  spec = Generate();
  EXPECT_TRUE(spec["linux"]["devices"].empty());
  EXPECT_EQ(spec["linux"]["resources"]["devices"][0]["allow"], false);
}

TEST_F(MountsTest, PrivilegedDeviceScanFollowsNoSymlinks) {
  fs::path dev = dir_ / "dev";
  fs::create_directories(dev / "pts");
  fs::create_directories(dev / "sub");
  ASSERT_EQ(::mknod((dev / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::chmod((dev / "null").c_str(), 0666), 0);  // past the umask
  ASSERT_EQ(::mknod((dev / "sub/blk").c_str(), S_IFBLK | 0600, makedev(7, 0)), 0);
  ASSERT_EQ(::mknod((dev / "pts/0").c_str(), S_IFCHR | 0620, makedev(136, 0)), 0);
  ASSERT_EQ(::mknod((dev / "console").c_str(), S_IFCHR | 0600, makedev(5, 1)), 0);
  fs::create_symlink("/dev/zero", dev / "link");
  in_.host_dev = dev;
  sc()->set_privileged(true);
  json devices = Generate()["linux"]["devices"];
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0], json::parse(R"({"path":"/dev/null","type":"c","major":1,"minor":3,
                                        "fileMode":438,"uid":0,"gid":0})"));
  EXPECT_EQ(devices[1]["path"], "/dev/sub/blk");
  EXPECT_EQ(devices[1]["type"], "b");
  EXPECT_EQ(devices[1]["major"], 7);
}

// timezone: the image's /etc/localtime is replaced by the zone asked for.
class TimezoneTest : public MountsTest {
 protected:
  void SetUp() override {
    MountsTest::SetUp();
    fs::create_directories(rootfs_ / "etc");
    WriteFile(rootfs_ / "etc/localtime", "the image's own zone");
    in_.localtime_copy = (dir_ / "localtime").string();
  }
  static std::string Slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

TEST_F(TimezoneTest, NoneKeepsTheImagesOwn) {
  json spec = Generate();
  EXPECT_TRUE(MountAt(spec, "/etc/localtime").is_null());
  EXPECT_EQ(Slurp(rootfs_ / "etc/localtime"), "the image's own zone");
}

TEST_F(TimezoneTest, WithoutZoneDataInTheImageTheHostsFileIsBound) {
  const fs::path zone = "/usr/share/zoneinfo/Asia/Tokyo";
  if (!fs::exists(zone)) GTEST_SKIP() << "no tzdata on this host";
  in_.timezone = "Asia/Tokyo";
  json spec = Generate();
  json mount = MountAt(spec, "/etc/localtime");
  ASSERT_FALSE(mount.is_null());
  EXPECT_EQ(mount["source"], in_.localtime_copy);
  EXPECT_THAT(Options(mount), Contains("ro"));
  EXPECT_EQ(Slurp(in_.localtime_copy), Slurp(zone));
  EXPECT_FALSE(fs::exists(fs::symlink_status(rootfs_ / "etc/localtime")));  // the image's went
}

TEST_F(TimezoneTest, WithZoneDataInTheImageALinkToIt) {
  in_.timezone = "Asia/Tokyo";
  fs::create_directories(rootfs_ / "usr/share/zoneinfo/Asia");
  WriteFile(rootfs_ / "usr/share/zoneinfo/Asia/Tokyo", "the image's Tokyo");
  json spec = Generate();
  EXPECT_TRUE(MountAt(spec, "/etc/localtime").is_null());
  EXPECT_EQ(fs::read_symlink(rootfs_ / "etc/localtime"), "/usr/share/zoneinfo/Asia/Tokyo");
  EXPECT_FALSE(fs::exists(in_.localtime_copy));
}

TEST_F(TimezoneTest, LocalIsTheHostsZone) {
  std::error_code ec;
  fs::path host_zone = fs::canonical("/etc/localtime", ec);
  if (ec) GTEST_SKIP() << "this host has no /etc/localtime";
  in_.timezone = "Local";
  json spec = Generate();
  ASSERT_FALSE(MountAt(spec, "/etc/localtime").is_null());
  EXPECT_EQ(Slurp(in_.localtime_copy), Slurp(host_zone));
}

TEST_F(TimezoneTest, NamesThatAreNotZonesAreRefused) {
  for (const char* name :
       {"../../etc/shadow", "/etc/shadow", "Asia/../../../etc/shadow", "No/Such_Zone"}) {
    in_.timezone = name;
    EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST_F(TimezoneTest, ACriMountOfLocaltimeWins) {
  in_.timezone = "UTC";
  AddMount("/etc/localtime", (host_ / "hosts").string());
  json spec = Generate();
  EXPECT_EQ(MountAt(spec, "/etc/localtime")["source"], (host_ / "hosts").string());
  EXPECT_EQ(Slurp(rootfs_ / "etc/localtime"), "the image's own zone");
}

}  // namespace
}  // namespace crio::oci
