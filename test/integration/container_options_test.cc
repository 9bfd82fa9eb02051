// Container features that crio.conf switches on (hooks_dir, image_volumes, [crio.stats]), end to
// end: the real daemon, conmon, runc and the busybox image (see support/node.h).
#include "pod_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "crio/common/strings.h"
#include "crio/oci/selinux.h"
#include "crio/oci/spec.h"

namespace crio::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

nlohmann::json VerboseInfo(Daemon& daemon, const std::string& id) {
  runtime::v1::ContainerStatusRequest request;
  request.set_container_id(id);
  request.set_verbose(true);
  runtime::v1::ContainerStatusResponse response;
  grpc::Status status = daemon.runtime().ContainerStatus(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return nlohmann::json::parse(response.info().at("info"));
}

// The hook directory exists before the daemon starts (a base initialized before PodFixture).
struct HookDirHolder {
  TempDir hooks_dir;
  TempDir records;
};

class HooksTest : protected HookDirHolder, public PodFixture {
 protected:
  HooksTest() : PodFixture(Options(*this)) {}

  static NodeOptions Options(HookDirHolder& holder) {
    // Records the state runc passes on stdin as <records>/<container id>.<stage>.json, and the
    // environment the definition gives it.
    std::filesystem::path script = holder.hooks_dir.Write("record.sh", R"SH(#!/bin/sh
state=$(cat)
id=$(echo "$state" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
printf '%s' "$state" > "$1/$id.$2.json"
echo "$HOOK_MARK" > "$1/$id.$2.env"
)SH");
    ::chmod(script.c_str(), 0755);
    auto definition = [&](const std::string& stage, const std::string& when) {
      return StrCat(R"({"version": "1.0.0", "hook": {"path": ")", script.string(),
                    R"(", "args": ["record.sh", ")", holder.records.path().string(), R"(", ")",
                    stage, R"("], "env": ["PATH=/usr/bin:/bin", "HOOK_MARK=from-)", stage,
                    R"("], "timeout": 10}, "when": )", when, R"(, "stages": [")", stage, R"("]})");
    };
    const std::string annotated = R"({"annotations": {"^test\\.crio/hook$": "^record$"}})";
    holder.hooks_dir.Write("10-create.json", definition("createRuntime", annotated));
    holder.hooks_dir.Write("20-poststart.json", definition("poststart", annotated));
    holder.hooks_dir.Write("30-never.json",
                           definition("prestart", R"({"commands": ["^/no/such/command$"]})"));
    holder.hooks_dir.Write("40-broken.json", R"({"version": "1.0.0", "hook": {}})");
    return NodeOptions{.extra_args = {"--hooks-dir", holder.hooks_dir.path().string()}};
  }
};

TEST_F(HooksTest, MatchingHooksRunInTheirStagesWithTheContainerState) {
  runtime::v1::ContainerConfig hooked = Config("hooked", {"sleep", "1000"});
  (*hooked.mutable_annotations())["test.crio/hook"] = "record";
  std::string id = CreateAndStart(hooked);
  std::string plain = CreateAndStart(Config("plain", {"sleep", "1000"}));

  std::filesystem::path created = records.path() / StrCat(id, ".createRuntime.json");
  std::filesystem::path started = records.path() / StrCat(id, ".poststart.json");
  ASSERT_TRUE(std::filesystem::exists(created));  // createRuntime ran before Create returned
  nlohmann::json state = nlohmann::json::parse(ReadAll(created));
  EXPECT_EQ(state["id"], id);
  EXPECT_EQ(state["status"], "creating");
  EXPECT_GT(state["pid"].get<int>(), 0);
  nlohmann::json info = VerboseInfo(node_.daemon(), id);
  EXPECT_EQ(state["bundle"], info["bundle"]);
  EXPECT_EQ(state["annotations"]["test.crio/hook"], "record");
  EXPECT_EQ(ReadAll(records.path() / StrCat(id, ".createRuntime.env")), "from-createRuntime\n");

  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(started); }));
  nlohmann::json poststart = nlohmann::json::parse(ReadAll(started), nullptr, false);
  EXPECT_EQ(poststart["id"], id);
  // runc 1.1 runs poststart hooks once the init process is in place (during `runc create`;
  // runc 1.2 moved them to `runc start`), so either state is what runc reports.
  EXPECT_THAT(poststart["status"].get<std::string>(), ::testing::AnyOf("created", "running"));
  // The hook saw the container's own process: the pid is the one sleeping in it.
  EXPECT_EQ(poststart["pid"], info["pid"]);
  EXPECT_EQ(ReadAll(records.path() / StrCat(id, ".poststart.env")), "from-poststart\n");

  // The spec carries exactly the matching hooks; nothing ran for the other container.
  EXPECT_EQ(info["runtimeSpec"]["hooks"]["createRuntime"].size(), 1u);
  EXPECT_EQ(info["runtimeSpec"]["hooks"]["poststart"].size(), 1u);
  EXPECT_FALSE(info["runtimeSpec"]["hooks"].contains("prestart"));
  EXPECT_FALSE(VerboseInfo(node_.daemon(), plain)["runtimeSpec"].contains("hooks"));
  for (const auto& entry : std::filesystem::directory_iterator(records.path())) {
    EXPECT_EQ(entry.path().filename().string().rfind(plain, 0), std::string::npos) << entry.path();
  }
  EXPECT_THAT(node_.daemon().Log(), HasSubstr("40-broken.json"));
  EXPECT_THAT(node_.daemon().Log(), HasSubstr("missing required property hook.path"));
}

// image_volumes = "bind": busybox with a VOLUME /data, pushed as its own image.
class ImageVolumesBindTest : public PodFixture {
 protected:
  ImageVolumesBindTest() : PodFixture(NodeOptions{.extra_args = {"--image-volumes", "bind"}}) {}

  // The busybox layout with "Volumes": {"/data": {}} in its config, pushed as busybox-vol.
  std::string PushImageWithVolume() {
    std::filesystem::path layout = node_.dir().path() / "busybox-vol";
    std::filesystem::copy(BUSYBOX_OCI, layout, std::filesystem::copy_options::recursive);
    auto blob = [&](const std::string& digest) {
      return layout / "blobs/sha256" / digest.substr(7);
    };
    auto store = [&](const std::string& content) {
      std::string digest = Sha256Digest(content);
      std::ofstream(blob(digest)) << content;
      return digest;
    };
    nlohmann::json index = nlohmann::json::parse(ReadAll(layout / "index.json"));
    nlohmann::json manifest = nlohmann::json::parse(ReadAll(blob(index["manifests"][0]["digest"])));
    nlohmann::json config = nlohmann::json::parse(ReadAll(blob(manifest["config"]["digest"])));
    config["config"]["Volumes"] = {{"/data", nlohmann::json::object()}};
    std::string config_text = config.dump();
    manifest["config"]["digest"] = store(config_text);
    manifest["config"]["size"] = config_text.size();
    std::string manifest_text = manifest.dump();
    index["manifests"][0]["digest"] = store(manifest_text);
    index["manifests"][0]["size"] = manifest_text.size();
    std::ofstream(layout / "index.json") << index.dump();
    node_.registry().PushLayout(layout.string(), "busybox-vol", "latest");
    std::string image = StrCat(node_.registry().host(), "/busybox-vol:latest");
    runtime::v1::PullImageRequest pull;
    pull.mutable_image()->set_image(image);
    runtime::v1::PullImageResponse pulled;
    grpc::Status status =
        node_.daemon().image().PullImage(Context(std::chrono::seconds(60)).get(), pull, &pulled);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return image;
  }
};

TEST_F(ImageVolumesBindTest, EachVolumeIsAHostDirectoryBoundIn) {
  std::string image = PushImageWithVolume();
  runtime::v1::ContainerConfig config =
      Config("vol", {"sh", "-c", "echo kept > /data/f; sleep 1000"});
  config.mutable_image()->set_image(image);
  std::string id = CreateAndStart(config);
  ASSERT_TRUE(Eventually([&] { return Exec(id, {"cat", "/data/f"}).stdout() == "kept\n"; }));
  // A bind mount of its own in the container, not a directory of the writable layer.
  EXPECT_THAT(Exec(id, {"grep", " /data ", "/proc/self/mountinfo"}).stdout(), HasSubstr(" /data "));

  nlohmann::json info = VerboseInfo(node_.daemon(), id);
  std::string source;
  for (const auto& mount : info["runtimeSpec"]["mounts"]) {
    if (mount["destination"] == "/data") source = mount["source"];
  }
  ASSERT_FALSE(source.empty());
  EXPECT_THAT(source, HasSubstr(StrCat("/overlay-containers/", id, "/userdata/mounts/")));
  EXPECT_EQ(ReadAll(std::filesystem::path(source) / "f"), "kept\n");  // the data is on the host

  // The directory goes with the container.
  ASSERT_TRUE(Remove(id).ok());
  EXPECT_FALSE(std::filesystem::exists(source));
}

// [crio.stats] included_pod_metrics: the cAdvisor-style metrics of the pod and its containers.
class PodMetricsTest : public PodFixture {
 protected:
  PodMetricsTest()
      : PodFixture(
            NodeOptions{.extra_args = {"--included-pod-metrics", "cpu,memory,network,process"}}) {}
};

TEST_F(PodMetricsTest, DescriptorsAndValuesFromTheCgroupsAndTheNetns) {
  runtime::v1::ListMetricDescriptorsResponse descriptors;
  ASSERT_TRUE(
      node_.daemon().runtime().ListMetricDescriptors(Context().get(), {}, &descriptors).ok());
  std::map<std::string, std::vector<std::string>> keys;
  for (const auto& d : descriptors.descriptors()) {
    keys[d.name()] = {d.label_keys().begin(), d.label_keys().end()};
    EXPECT_FALSE(d.help().empty()) << d.name();
  }
  for (const char* name :
       {"container_cpu_usage_seconds_total", "container_memory_usage_bytes",
        "container_memory_working_set_bytes", "container_processes", "container_file_descriptors",
        "container_sockets", "container_network_receive_bytes_total"}) {
    EXPECT_EQ(keys.count(name), 1u) << name;
  }
  EXPECT_EQ(keys["container_memory_rss"], (std::vector<std::string>{"id", "name", "image"}));
  EXPECT_EQ(keys["container_network_transmit_bytes_total"],
            (std::vector<std::string>{"id", "name", "image", "interface"}));

  // A listening socket, a page of memory, traffic in the pod's netns.
  std::string id = CreateAndStart(Config("served", {"nc", "-l", "-p", "8080"}));
  ASSERT_TRUE(Eventually([&] {
    return Exec(id, {"sh", "-c", "netstat -ln | grep -q :8080 && echo up"}).stdout() == "up\n";
  }));
  std::string pod_ip = node_.PodStatus(pod_id_).status().network().ip();
  ASSERT_EQ(crio::testing::Run({"busybox", "ping", "-c", "2", "-W", "2", pod_ip}).exit_code, 0);

  runtime::v1::ListPodSandboxMetricsResponse response;
  grpc::Status status =
      node_.daemon().runtime().ListPodSandboxMetrics(Context().get(), {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.pod_metrics_size(), 1);
  const auto& pod = response.pod_metrics(0);
  EXPECT_EQ(pod.pod_sandbox_id(), pod_id_);
  auto value = [](const google::protobuf::RepeatedPtrField<runtime::v1::Metric>& metrics,
                  const std::string& name, const std::string& last_label = "") -> int64_t {
    for (const auto& m : metrics) {
      if (m.name() == name &&
          (last_label.empty() || m.label_values(m.label_values_size() - 1) == last_label)) {
        return static_cast<int64_t>(m.value().value());
      }
    }
    return -1;
  };
  EXPECT_GT(value(pod.metrics(), "container_network_receive_bytes_total", "eth0"), 100);
  EXPECT_GT(value(pod.metrics(), "container_network_receive_packets_total", "eth0"), 1);
  EXPECT_GT(value(pod.metrics(), "container_network_transmit_bytes_total", "eth0"), 100);
  ASSERT_EQ(pod.container_metrics_size(), 1);
  const auto& c = pod.container_metrics(0);
  EXPECT_EQ(c.container_id(), id);
  EXPECT_GT(value(c.metrics(), "container_memory_usage_bytes"), 0);
  EXPECT_GT(value(c.metrics(), "container_memory_working_set_bytes"), 0);
  EXPECT_GE(value(c.metrics(), "container_cpu_usage_seconds_total"), 0);
  EXPECT_EQ(value(c.metrics(), "container_processes"), 1);  // nc
  EXPECT_GE(value(c.metrics(), "container_threads"), 1);
  EXPECT_GE(value(c.metrics(), "container_file_descriptors"), 4);  // stdio and the socket
  EXPECT_EQ(value(c.metrics(), "container_sockets"), 1);
  for (const auto& m : c.metrics()) {
    ASSERT_GE(m.label_values_size(), 3);
    EXPECT_EQ(m.label_values(0), id);
    EXPECT_EQ(m.label_values(1), "served");
    EXPECT_EQ(m.label_values(2), node_.busybox_image());
    EXPECT_GT(m.timestamp(), 0);
  }
}

// privileged_seccomp_profile: privileged containers run under that profile, not unconfined.
struct ProfileHolder {
  TempDir profiles;
};

class PrivilegedSeccompTest : protected ProfileHolder, public PodFixture {
 protected:
  PrivilegedSeccompTest() : PodFixture(Options(*this)) {}
  static NodeOptions Options(ProfileHolder& holder) {
    std::filesystem::path profile = holder.profiles.Write("no-chmod.json", R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["chmod", "fchmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"}]
})");
    return NodeOptions{.extra_args = {"--privileged-seccomp-profile", profile.string()}};
  }
};

TEST_F(PrivilegedSeccompTest, PrivilegedContainersGetTheProfile) {
  runtime::v1::ContainerConfig privileged = Config("privileged", {"sleep", "1000"});
  privileged.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string filtered = CreateAndStart(privileged);
  std::string plain = CreateAndStart(Config("plain", {"sleep", "1000"}));

  EXPECT_EQ(Exec(filtered, {"grep", "Seccomp:", "/proc/self/status"}).stdout(), "Seccomp:\t2\n");
  runtime::v1::ExecSyncResponse refused = Exec(filtered, {"chmod", "777", "/tmp"});
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Operation not permitted"));
  // The unprivileged container asked for nothing and gets nothing.
  EXPECT_EQ(Exec(plain, {"grep", "Seccomp:", "/proc/self/status"}).stdout(), "Seccomp:\t0\n");
  EXPECT_EQ(Exec(plain, {"chmod", "777", "/tmp"}).exit_code(), 0);
}

// cdi_spec_dirs: devices a CDI spec file describes, asked for through the CRI field and the
// cdi.k8s.io annotations, with what the container then sees. /dev/loop-control stands in for a
// vendor's device: it is not among the nodes every container may open, so opening it shows
// that the device cgroup rule came through.
struct CdiDirHolder {
  TempDir etc_cdi;
  TempDir run_cdi;
  TempDir driver;
};

class CdiTest : protected CdiDirHolder, public PodFixture {
 protected:
  CdiTest() : PodFixture(Options(*this)) {}
  static NodeOptions Options(CdiDirHolder& holder) {
    holder.driver.Write("libvendor.so", "vendor library");
    holder.etc_cdi.Write("vendor.yaml", StrCat(R"(cdiVersion: 0.6.0
kind: test.crio.io/loop
containerEdits:
  env: [VENDOR_DRIVER=1]
devices:
  - name: control
    containerEdits:
      env: [LOOP_DEVICE=control]
      deviceNodes:
        - path: /dev/vendor-loop
          hostPath: /dev/loop-control
          permissions: rw
          fileMode: 0640
      mounts:
        - hostPath: )",
                                               holder.driver.path().string(), R"(
          containerPath: /usr/lib/vendor
          options: [ro, rbind]
  - name: missing
    containerEdits:
      deviceNodes:
        - path: /dev/vendor-missing
          hostPath: /dev/no-such-device
)"));
    // The higher-priority directory adds a device of another kind, in JSON, and a broken file
    // that must not cost the others their devices.
    holder.run_cdi.Write("other.json", R"({"cdiVersion": "0.7.0", "kind": "test.crio.io/null",
      "devices": [{"name": "0", "containerEdits": {
        "deviceNodes": [{"path": "/dev/vendor-null", "hostPath": "/dev/null"}],
        "additionalGids": [4242]}}]})");
    holder.run_cdi.Write("broken.yaml", "cdiVersion: [\n");
    return NodeOptions{.extra_args = {StrCat("--cdi-spec-dirs=", holder.etc_cdi.path().string()),
                                      StrCat("--cdi-spec-dirs=", holder.run_cdi.path().string())}};
  }
};

TEST_F(CdiTest, RequestedDevicesAreInjectedWithTheirEdits) {
  runtime::v1::ContainerConfig config = Config("gpu", {"sleep", "1000"});
  config.add_cdi_devices()->set_name("test.crio.io/loop=control");
  (*config.mutable_annotations())["cdi.k8s.io/extra"] = "test.crio.io/null=0";
  std::string id = CreateAndStart(config);
  // Without a device rule of its own a container may not open this node, even one allowed to
  // make it (CAP_MKNOD, and the "c *:* m" rule every container has).
  runtime::v1::ContainerConfig plain_config = Config("plain", {"sleep", "1000"});
  plain_config.mutable_linux()
      ->mutable_security_context()
      ->mutable_capabilities()
      ->add_add_capabilities("MKNOD");
  std::string plain = CreateAndStart(plain_config);
  ASSERT_TRUE(::access("/dev/loop-control", F_OK) == 0) << "this host has no /dev/loop-control";

  runtime::v1::ExecSyncResponse listing =
      Exec(id, {"ls", "-ln", "/dev/vendor-loop", "/dev/vendor-null"});
  EXPECT_THAT(listing.stdout(), HasSubstr("crw-r-----"));  // fileMode 0640, from the YAML
  EXPECT_THAT(listing.stdout(), ContainsRegex("10, 237 [^/]*/dev/vendor-loop"));
  EXPECT_THAT(listing.stdout(), ContainsRegex("1, +3 [^/]*/dev/vendor-null"));
  EXPECT_EQ(Exec(id, {"sh", "-c", "exec 3<>/dev/vendor-loop && echo opened"}).stdout(), "opened\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo x > /dev/vendor-null && echo written"}).stdout(),
            "written\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo $VENDOR_DRIVER $LOOP_DEVICE"}).stdout(), "1 control\n");
  EXPECT_EQ(Exec(id, {"cat", "/usr/lib/vendor/libvendor.so"}).stdout(), "vendor library");
  runtime::v1::ExecSyncResponse write = Exec(id, {"touch", "/usr/lib/vendor/x"});
  EXPECT_NE(write.exit_code(), 0);
  EXPECT_THAT(write.stderr(), HasSubstr("Read-only file system"));
  EXPECT_THAT(Exec(id, {"id", "-G"}).stdout(), HasSubstr("4242"));

  runtime::v1::ExecSyncResponse refused = Exec(
      plain, {"sh", "-c", "mknod /dev/made-loop c 10 237 && echo made && exec 3<>/dev/made-loop"});
  EXPECT_EQ(refused.stdout(), "made\n");  // the node is made; opening it is what the rule stops
  EXPECT_NE(refused.exit_code(), 0);
  EXPECT_THAT(refused.stderr(), HasSubstr("Operation not permitted"));
  EXPECT_EQ(Exec(plain, {"sh", "-c", "echo ${VENDOR_DRIVER:-unset}"}).stdout(), "unset\n");
  EXPECT_THAT(node_.daemon().Log(), HasSubstr("broken.yaml"));
}

TEST_F(CdiTest, AnUnresolvableOrAbsentDeviceFailsTheCreation) {
  std::string id;
  runtime::v1::ContainerConfig unknown = Config("unknown", {"sleep", "1000"});
  unknown.add_cdi_devices()->set_name("test.crio.io/loop=nine");
  grpc::Status status = TryCreate(unknown, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(),
              HasSubstr("CDI device injection failed: unresolvable CDI devices "
                        "test.crio.io/loop=nine"));

  runtime::v1::ContainerConfig absent = Config("absent", {"sleep", "1000"});
  absent.add_cdi_devices()->set_name("test.crio.io/loop=missing");
  status = TryCreate(absent, &id);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(),
              HasSubstr("failed to stat CDI host device \"/dev/no-such-device\""));

  runtime::v1::ContainerConfig malformed = Config("malformed", {"sleep", "1000"});
  (*malformed.mutable_annotations())["cdi.k8s.io/gpu"] = "loop-control";
  status = TryCreate(malformed, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unqualified device \"loop-control\""));

  // Nothing of the refused containers is left; the names are free again.
  runtime::v1::ListContainersRequest request;
  runtime::v1::ListContainersResponse response;
  ASSERT_TRUE(node_.daemon().runtime().ListContainers(Context().get(), request, &response).ok());
  EXPECT_EQ(response.containers_size(), 0);
  unknown.clear_cdi_devices();
  EXPECT_TRUE(TryCreate(unknown, &id).ok());
}

// additional_devices, the pod devices annotation with allowed_devices, and
// device_ownership_from_security_context, seen from inside the containers. /dev/loop-control is
// not among the nodes every container may open, so opening it shows the device rule came through.
class DeviceOptionsTest : public PodFixture {
 protected:
  DeviceOptionsTest()
      : PodFixture(
            NodeOptions{.extra_args = {"--additional-devices=/dev/loop-control:/dev/extra-loop:rw",
                                       "--allowed-devices=/dev/loop-control",
                                       "--device-ownership-from-security-context"}}) {}
};

TEST_F(DeviceOptionsTest, ConfiguredAnnotatedAndOwnedDevices) {
  ASSERT_TRUE(::access("/dev/loop-control", F_OK) == 0) << "this host has no /dev/loop-control";
  runtime::v1::ContainerConfig config = Config("devices", {"sleep", "1000"});
  runtime::v1::Device* own = config.add_devices();
  own->set_host_path("/dev/null");
  own->set_container_path("/dev/owned-null");
  config.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1234);
  config.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(4321);
  std::string id = CreateAndStart(config);

  // Every container gets the additional device, with the permissions the entry gives (the node
  // itself stays root's 0600, so a root container opens it).
  std::string root = CreateAndStart(Config("root", {"sleep", "1000"}));
  EXPECT_EQ(Exec(root, {"sh", "-c", "exec 3<>/dev/extra-loop && echo opened"}).stdout(),
            "opened\n");
  EXPECT_THAT(Exec(id, {"ls", "-ln", "/dev/extra-loop"}).stdout(), HasSubstr("10, 237"));
  // The CRI device belongs to the container's user and group, not to the host's root.
  EXPECT_EQ(Exec(id, {"stat", "-c", "%u:%g", "/dev/owned-null"}).stdout(), "1234:4321\n");
  EXPECT_EQ(Exec(id, {"sh", "-c", "echo x > /dev/owned-null && echo written"}).stdout(),
            "written\n");
}

TEST_F(DeviceOptionsTest, ThePodAnnotationOnlyForAllowedDevices) {
  ASSERT_TRUE(::access("/dev/loop-control", F_OK) == 0) << "this host has no /dev/loop-control";
  // The fixture pod has no annotation: a second pod with one, under the default runc handler
  // (whose allowed_annotations name the devices annotation, as CRI-O's do).
  runtime::v1::PodSandboxConfig pod = pod_config_;
  pod.mutable_metadata()->set_name("annotated");
  pod.mutable_metadata()->set_uid("annotated-uid");
  (*pod.mutable_annotations())["io.kubernetes.cri-o.Devices"] = "/dev/loop-control:/dev/pod-loop";
  const std::string fixture_pod = pod_id_;
  const runtime::v1::PodSandboxConfig fixture_config = pod_config_;
  pod_id_ = node_.RunPod(pod);
  pod_config_ = pod;
  std::string annotated = CreateAndStart(Config("annotated", {"sleep", "1000"}));
  EXPECT_EQ(Exec(annotated, {"sh", "-c", "exec 3<>/dev/pod-loop && echo opened"}).stdout(),
            "opened\n");
  node_.StopAndRemovePod(pod_id_);
  pod_id_ = fixture_pod;
  pod_config_ = fixture_config;

  // The fixture's pod did not ask: its containers do not have the node.
  std::string plain = CreateAndStart(Config("plain", {"sleep", "1000"}));
  EXPECT_NE(Exec(plain, {"test", "-e", "/dev/pod-loop"}).exit_code(), 0);
}

// container_min_memory: a memory limit below the handler's minimum (12MiB for runc unless set) is
// refused at creation and on update, as CRI-O refuses it, before the kernel would kill the
// container on its way up.
class MinimumMemoryTest : public PodFixture {
 protected:
  MinimumMemoryTest()
      : PodFixture(NodeOptions{
            .dropin = "[crio.runtime.runtimes.runc]\ncontainer_min_memory = \"16m\"\n"}) {}
};

TEST_F(MinimumMemoryTest, LimitsBelowTheHandlersMinimumAreRefused) {
  runtime::v1::ContainerConfig small = Config("small", {"sleep", "1000"});
  small.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(12 << 20);
  std::string id;
  grpc::Status status = TryCreate(small, &id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "set memory limit 12582912 too low; should be at least 16777216 bytes");

  runtime::v1::ContainerConfig enough = Config("enough", {"sleep", "1000"});
  enough.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(16 << 20);
  id = CreateAndStart(enough);
  runtime::v1::UpdateContainerResourcesRequest update;
  update.set_container_id(id);
  update.mutable_linux()->set_memory_limit_in_bytes(8 << 20);
  runtime::v1::UpdateContainerResourcesResponse updated;
  status = node_.daemon().runtime().UpdateContainerResources(Context().get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("set memory limit 8388608 too low"));
  // The refused update changed nothing; no limit at all is always allowed.
  EXPECT_EQ(Status(id).resources().linux().memory_limit_in_bytes(), 16 << 20);
  update.mutable_linux()->set_memory_limit_in_bytes(0);
  update.mutable_linux()->set_cpu_shares(512);
  EXPECT_TRUE(
      node_.daemon().runtime().UpdateContainerResources(Context().get(), update, &updated).ok());
}

// add_inheritable_capabilities: the container's capabilities are inheritable too (CapInh), as
// they were before CVE-2022-24769; off (the default) the set is empty.
class InheritableCapabilitiesTest : public PodFixture {
 protected:
  InheritableCapabilitiesTest()
      : PodFixture(NodeOptions{.extra_args = {"--add-inheritable-capabilities"}}) {}
};

TEST_F(InheritableCapabilitiesTest, TheSetIsInheritableToo) {
  std::string id = CreateAndStart(Config("inheriting", {"sleep", "1000"}));
  std::string status = Exec(id, {"cat", "/proc/self/status"}).stdout();
  auto field = [&](const std::string& name) {
    size_t at = status.find(name + ":\t");
    return at == std::string::npos ? std::string() : status.substr(at + name.size() + 2, 16);
  };
  EXPECT_NE(field("CapEff"), "0000000000000000");
  EXPECT_EQ(field("CapInh"), field("CapEff"));
}

// log_size_max: the monitor starts a container's log file over before it would grow past the
// limit, so a chatty container cannot fill the node's disk.
class LogSizeMaxTest : public PodFixture {
 protected:
  LogSizeMaxTest() : PodFixture(NodeOptions{.extra_args = {"--log-size-max=8192"}}) {}
};

TEST_F(LogSizeMaxTest, TheLogNeverGrowsPastTheLimit) {
  // About 30 KB of output, then quiet.
  std::string id = CreateAndStart(Config(
      "chatty", {"sh", "-c",
                 "i=0; while [ $i -lt 500 ]; do echo line-$i-padding-padding-padding-padding; "
                 "i=$((i+1)); done; echo done; sleep 1000"}));
  std::string log = Status(id).log_path();
  for (int i = 0; i < 100 && ReadAll(log).find("done") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string content = ReadAll(log);
  EXPECT_THAT(content, HasSubstr(" stdout F done\n"));
  EXPECT_LE(std::filesystem::file_size(log), 8192u);
  EXPECT_THAT(content, HasSubstr("line-499-"));     // the newest lines are kept
  EXPECT_THAT(content, Not(HasSubstr("line-0-")));  // the oldest went with the start over
}

// timezone: every container's /etc/localtime is the zone asked for. busybox has no zone data,
// so the host's zone file is what the container reads.
class TimezoneOptionTest : public PodFixture {
 protected:
  TimezoneOptionTest() : PodFixture(NodeOptions{.extra_args = {"--timezone=Asia/Tokyo"}}) {}
};

TEST_F(TimezoneOptionTest, ContainersTellTimeInTheConfiguredZone) {
  std::string id = CreateAndStart(Config("clock", {"sleep", "1000"}));
  EXPECT_EQ(Exec(id, {"date", "+%Z %z"}).stdout(), "JST +0900\n");
  // Read-only: the container cannot change the node's choice for itself.
  EXPECT_NE(Exec(id, {"sh", "-c", "echo x > /etc/localtime"}).exit_code(), 0);
}

// no_pivot and the handler's no_sync_log: the runtime is asked not to pivot_root (runc then
// moves the root and chroots, for roots on a ramdisk), the monitor not to fsync logs, and the
// container still runs. A wrapper in front of runc records how the monitor called it.
struct RecordingRuntimeHolder {
  TempDir dir;
};

class NoPivotNoSyncLogTest : protected RecordingRuntimeHolder, public PodFixture {
 protected:
  NoPivotNoSyncLogTest() : PodFixture(Options(*this)) {}
  static NodeOptions Options(RecordingRuntimeHolder& holder) {
    std::filesystem::path wrapper = holder.dir.Write(
        "runc", StrCat("#!/bin/sh\necho \"$*\" >> ", (holder.dir.path() / "calls").string(),
                       "\nexec /usr/sbin/runc \"$@\"\n"));
    ::chmod(wrapper.c_str(), 0755);
    return NodeOptions{.extra_args = {"--no-pivot"},
                       .dropin = StrCat("[crio.runtime.runtimes.runc]\nruntime_path = \"",
                                        wrapper.string(), "\"\nno_sync_log = true\n")};
  }
};

TEST_F(NoPivotNoSyncLogTest, TheRuntimeAndTheMonitorAreAskedAndTheContainerRuns) {
  std::string id = CreateAndStart(Config("unpivoted", {"sleep", "1000"}));
  EXPECT_EQ(Exec(id, {"ls", "/bin/busybox"}).stdout(), "/bin/busybox\n");  // the image's root
  std::string calls = ReadAll(dir.path() / "calls");
  EXPECT_THAT(calls, ContainsRegex("create .*--no-pivot .*" + id));
  nlohmann::json info = VerboseInfo(node_.daemon(), id);
  std::string monitor_pid =
      ReadAll(std::filesystem::path(info["bundle"].get<std::string>()) / "conmon-pidfile");
  std::string cmdline = ReadAll(StrCat("/proc/", monitor_pid, "/cmdline"));
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  EXPECT_THAT(cmdline, HasSubstr(" --no-sync-log "));
}

// selinux = true on a host without SELinux (this one): labeling is skipped cleanly, as in CRI-O,
// and everything still runs. Hosts with SELinux are covered by the unit tests of
// oci/selinux_test.cc with real file labels.
class SelinuxOnTest : public PodFixture {
 protected:
  SelinuxOnTest() : PodFixture(NodeOptions{.extra_args = {"--selinux"}}) {}
};

TEST_F(SelinuxOnTest, WithoutSelinuxOnTheHostContainersRunUnlabeled) {
  if (oci::DetectHostLsm().selinux) GTEST_SKIP() << "this host has SELinux";
  TempDir volume;
  volume.Write("data", "kept");
  runtime::v1::ContainerConfig config = Config("labeled", {"sleep", "1000"});
  auto* options = config.mutable_linux()->mutable_security_context()->mutable_selinux_options();
  options->set_type("spc_t");
  options->set_level("s0:c1,c2");
  runtime::v1::Mount* mount = config.add_mounts();
  mount->set_host_path(volume.path().string());
  mount->set_container_path("/volume");
  mount->set_selinux_relabel(true);
  std::string id = CreateAndStart(config);

  nlohmann::json spec = VerboseInfo(node_.daemon(), id)["runtimeSpec"];
  EXPECT_FALSE(spec["process"].contains("selinuxLabel"));
  EXPECT_FALSE(spec["linux"].contains("mountLabel"));
  EXPECT_EQ(oci::FileSelinuxLabel(volume.path() / "data"), "");
  EXPECT_EQ(Exec(id, {"cat", "/volume/data"}).stdout(), "kept");
  EXPECT_THAT(node_.daemon().Log(), HasSubstr("this host has no SELinux"));
}

}  // namespace
}  // namespace crio::testing
