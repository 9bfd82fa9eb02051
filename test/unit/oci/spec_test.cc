#include "crio/oci/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "crio/common/host.h"

#include "pod_userns.h"
#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

class SpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = dir_ / "rootfs";
    WriteFile(rootfs_ / "etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
    WriteFile(rootfs_ / "etc/group", "root:x:0:\napp:x:1000:\n");

    config_.mutable_metadata()->set_name("app");
    config_.add_command("/bin/app");
    config_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
        runtime::v1::CONTAINER);
    pod_config_.mutable_metadata()->set_name("web");
    pod_config_.mutable_metadata()->set_namespace_("default");
    pod_config_.mutable_metadata()->set_uid("uid1");

    in_.container_id = "c0ffee";
    in_.container_name = "k8s_app_web_default_uid1_0";
    in_.config = &config_;
    in_.pod_config = &pod_config_;
    in_.pod.pod_id = "pod1";
    in_.pod.pod_name = "web";
    in_.pod.pod_namespace = "default";
    in_.pod.pod_uid = "uid1";
    in_.pod.hostname = "web-host";
    in_.pod.cgroup_parent = "/kubepods/pod1";
    in_.pod.net_ns = "/var/run/netns/pod1";
    in_.pod.ipc_ns = "/var/run/ipcns/pod1";
    in_.pod.uts_ns = "/var/run/utsns/pod1";
    in_.pod.shm_path = "/run/pods/pod1/shm";
    in_.rootfs = rootfs_;
    in_.image_name = "docker.io/library/app:1";
    in_.image_ref = "sha256:abc";
    in_.log_path = "/var/log/pods/x/app/0.log";
    in_.default_capabilities = {"CHOWN", "KILL"};
    in_.lsm_probe = [this] { return lsm_; };
  }

  runtime::v1::LinuxContainerSecurityContext* sc() {
    return config_.mutable_linux()->mutable_security_context();
  }

  json Generate() {
    absl::StatusOr<GeneratedSpec> spec = GenerateContainerSpec(in_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (!spec.ok()) return json::object();
    notes_ = spec->notes;
    return json::parse(spec->json);
  }

  absl::Status Error() {
    absl::StatusOr<GeneratedSpec> spec = GenerateContainerSpec(in_);
    return spec.status();
  }

  std::map<std::string, std::string> Namespaces(const json& spec) {
    std::map<std::string, std::string> out;
    for (const auto& ns : spec["linux"]["namespaces"]) out[ns["type"]] = ns.value("path", "");
    return out;
  }

  static std::vector<std::string> Caps(const json& spec, const char* set = "bounding") {
    return spec["process"]["capabilities"][set].get<std::vector<std::string>>();
  }

  ::crio::testing::ScratchDir scratch_{"crio-spec-test"};
  const fs::path dir_ = scratch_.path();
  fs::path rootfs_;
  runtime::v1::ContainerConfig config_;
  runtime::v1::PodSandboxConfig pod_config_;
  SpecInputs in_;
  HostLsm lsm_;
  std::vector<std::string> notes_;
};

// --- image config -----------------------------------------------------------------------------

TEST(ImageConfigViewTest, ParsesTheFieldsWeUse) {
  absl::StatusOr<ImageConfigView> view = ImageConfigView::Parse(R"({
    "architecture": "amd64",
    "config": {"Entrypoint": ["/entry"], "Cmd": ["a", "b"], "Env": ["A=1"],
               "WorkingDir": "/srv", "User": "app:staff", "StopSignal": "SIGQUIT",
               "Volumes": {"/var/lib/b": {}, "/data": {}}}})");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_THAT(view->entrypoint, ElementsAre("/entry"));
  EXPECT_THAT(view->cmd, ElementsAre("a", "b"));
  EXPECT_THAT(view->env, ElementsAre("A=1"));
  EXPECT_EQ(view->working_dir, "/srv");
  EXPECT_EQ(view->user, "app:staff");
  EXPECT_EQ(view->stop_signal, "SIGQUIT");
  EXPECT_THAT(view->volumes, ElementsAre("/data", "/var/lib/b"));
}

TEST(ImageConfigViewTest, NullsAndMissingConfigAreEmpty) {
  absl::StatusOr<ImageConfigView> view =
      ImageConfigView::Parse(R"({"config": {"Entrypoint": null, "Cmd": ["sh"], "Volumes": null}})");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_THAT(view->entrypoint, IsEmpty());
  EXPECT_THAT(view->cmd, ElementsAre("sh"));
  EXPECT_THAT(view->volumes, IsEmpty());
  view = ImageConfigView::Parse(R"({"rootfs": {}})");
  ASSERT_TRUE(view.ok());
  EXPECT_THAT(view->cmd, IsEmpty());
}

TEST(ImageConfigViewTest, MalformedIsInvalidArgument) {
  EXPECT_EQ(ImageConfigView::Parse("{not json").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImageConfigView::Parse(R"({"config": {"Cmd": "sh"}})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImageConfigView::Parse(R"({"config": {"Env": [1]}})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImageConfigView::Parse("[]").status().code(), absl::StatusCode::kInvalidArgument);
}

// --- args, env, cwd ---------------------------------------------------------------------------

TEST(ProcessArgsTest, KubernetesRules) {
  ImageConfigView image;
  image.entrypoint = {"/entry", "-x"};
  image.cmd = {"serve"};
  runtime::v1::ContainerConfig config;
  EXPECT_THAT(ProcessArgs(config, image), ElementsAre("/entry", "-x", "serve"));

  config.add_args("debug");
  EXPECT_THAT(ProcessArgs(config, image), ElementsAre("/entry", "-x", "debug"));

  config.clear_args();
  config.add_command("/bin/sh");
  EXPECT_THAT(ProcessArgs(config, image), ElementsAre("/bin/sh"));

  config.add_args("-c");
  config.add_args("true");
  EXPECT_THAT(ProcessArgs(config, image), ElementsAre("/bin/sh", "-c", "true"));
}

TEST_F(SpecTest, NoCommandAnywhereIsInvalidArgument) {
  config_.clear_command();
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no command specified"));
}

TEST_F(SpecTest, ArgsFromTheImageWhenTheCriGivesNone) {
  config_.clear_command();
  in_.image.cmd = {"/bin/sh", "-c", "sleep 1"};
  EXPECT_EQ(Generate()["process"]["args"], json::array({"/bin/sh", "-c", "sleep 1"}));
}

TEST(MergeEnvTest, LaterSourcesWinPerKeyAndOrderIsStable) {
  google::protobuf::RepeatedPtrField<runtime::v1::KeyValue> cri;
  auto* kv = cri.Add();
  kv->set_key("B");
  kv->set_value("cri");
  kv = cri.Add();
  kv->set_key("C");
  kv->set_value("x=y");
  std::vector<std::string> env =
      MergeEnv({"A=image", "B=image", "PATH=/image/bin"}, cri, {"A=default", "D=default"});
  EXPECT_THAT(env, ElementsAre("A=image", "D=default", "B=cri", "PATH=/image/bin", "C=x=y"));
}

TEST(MergeEnvTest, DefaultPathWhenNobodySetsOne) {
  google::protobuf::RepeatedPtrField<runtime::v1::KeyValue> cri;
  std::vector<std::string> env = MergeEnv({"A=1", "NOVALUE"}, cri, {});
  EXPECT_THAT(
      env, ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"));
}

TEST_F(SpecTest, EnvHasHostnameTermAndNoDuplicates) {
  config_.set_tty(true);
  in_.image.env = {"PATH=/bin", "X=image", "X=image2"};
  auto* kv = config_.add_envs();
  kv->set_key("X");
  kv->set_value("cri");
  kv = config_.add_envs();
  kv->set_key("X");
  kv->set_value("cri2");
  in_.default_env = {"TZ=UTC", "X=default"};
  json spec = Generate();
  std::vector<std::string> env = spec["process"]["env"];
  EXPECT_THAT(env, ElementsAre("HOSTNAME=web-host", "TERM=xterm", "TZ=UTC", "X=cri2", "PATH=/bin"));
  EXPECT_EQ(spec["process"]["terminal"], true);
  std::set<std::string> keys;
  for (const auto& e : env) EXPECT_TRUE(keys.insert(e.substr(0, e.find('='))).second) << e;
}

TEST_F(SpecTest, CriEnvOverridesHostname) {
  auto* kv = config_.add_envs();
  kv->set_key("HOSTNAME");
  kv->set_value("mine");
  std::vector<std::string> env = Generate()["process"]["env"];
  EXPECT_THAT(env, ::testing::Contains("HOSTNAME=mine"));
  EXPECT_THAT(env, ::testing::Not(::testing::Contains("HOSTNAME=web-host")));
}

TEST_F(SpecTest, WorkingDirFallsBackFromCriToImageToRoot) {
  EXPECT_EQ(Generate()["process"]["cwd"], "/");
  in_.image.working_dir = "/srv/image";
  EXPECT_EQ(Generate()["process"]["cwd"], "/srv/image");
  config_.set_working_dir("/srv/cri");
  EXPECT_EQ(Generate()["process"]["cwd"], "/srv/cri");
  EXPECT_TRUE(fs::is_directory(rootfs_ / "srv/image"));
  EXPECT_TRUE(fs::is_directory(rootfs_ / "srv/cri"));
}

TEST_F(SpecTest, MissingWorkingDirIsCreatedForTheUser) {
  sc()->mutable_run_as_user()->set_value(1000);
  config_.set_working_dir("/work/dir");
  fs::create_directories(rootfs_ / "work");  // exists: keeps its owner
  Generate();
  struct stat st {};
  ASSERT_EQ(::stat((rootfs_ / "work/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((rootfs_ / "work").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(SpecTest, WorkingDirThroughAnEscapingSymlinkStaysInTheRootfs) {
  fs::create_symlink(dir_ / "outside", rootfs_ / "srv");
  config_.set_working_dir("/srv/data");
  Generate();
  EXPECT_TRUE(fs::is_directory(rootfs_ / dir_.relative_path() / "outside/data"));
  EXPECT_FALSE(fs::exists(dir_ / "outside"));
}

// --- basics -------------------------------------------------------------------------------------

TEST_F(SpecTest, BasicsAndUser) {
  sc()->mutable_run_as_user()->set_value(1000);
  json spec = Generate();
  EXPECT_EQ(spec["ociVersion"], "1.0.2");
  EXPECT_EQ(spec["process"]["terminal"], false);
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
  EXPECT_EQ(spec["process"]["user"]["gid"], 1000);
  EXPECT_EQ(spec["process"]["user"]["additionalGids"], json::array({1000}));
  EXPECT_EQ(spec["root"]["path"], rootfs_.string());
  EXPECT_EQ(spec["root"]["readonly"], false);
  EXPECT_EQ(spec["hostname"], "web-host");
}

TEST_F(SpecTest, ReadonlyRootFromCriOrConfig) {
  sc()->set_readonly_rootfs(true);
  EXPECT_EQ(Generate()["root"]["readonly"], true);
  sc()->set_readonly_rootfs(false);
  in_.read_only = true;
  EXPECT_EQ(Generate()["root"]["readonly"], true);
}

TEST_F(SpecTest, UnknownUserFailsNamingIt) {
  sc()->set_run_as_username("nobody-here");
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("nobody-here"));
}

TEST_F(SpecTest, Annotations) {
  (*config_.mutable_annotations())["custom"] = "v";
  (*config_.mutable_annotations())["io.kubernetes.cri-o.ContainerType"] = "sandbox";  // no spoofing
  json a = Generate()["annotations"];
  EXPECT_EQ(a["custom"], "v");
  EXPECT_EQ(a["io.kubernetes.cri-o.ContainerType"], "container");
  EXPECT_EQ(a["io.kubernetes.cri-o.SandboxID"], "pod1");
  EXPECT_EQ(a["io.kubernetes.cri-o.ContainerName"], "k8s_app_web_default_uid1_0");
  EXPECT_EQ(a["io.kubernetes.cri-o.LogPath"], "/var/log/pods/x/app/0.log");
  EXPECT_EQ(a["io.kubernetes.cri-o.Image"], "docker.io/library/app:1");
  EXPECT_EQ(a["io.kubernetes.cri-o.ImageRef"], "sha256:abc");
  EXPECT_EQ(a["io.kubernetes.container.name"], "app");
  EXPECT_EQ(a["io.kubernetes.pod.name"], "web");
  EXPECT_EQ(a["io.kubernetes.pod.namespace"], "default");
  EXPECT_EQ(a["io.kubernetes.pod.uid"], "uid1");
}

TEST_F(SpecTest, MissingInputsAreInvalidArgument) {
  in_.config = nullptr;
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
  in_.config = &config_;
  in_.rootfs.clear();
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

// --- namespaces ---------------------------------------------------------------------------------

TEST_F(SpecTest, PidContainerGetsItsOwnNamespaceAndJoinsThePods) {
  json spec = Generate();
  auto ns = Namespaces(spec);
  EXPECT_EQ(ns.count("pid"), 1u);
  EXPECT_EQ(ns["pid"], "");
  EXPECT_EQ(ns["mount"], "");
  EXPECT_EQ(ns["cgroup"], "");
  EXPECT_EQ(ns["network"], "/var/run/netns/pod1");
  EXPECT_EQ(ns["ipc"], "/var/run/ipcns/pod1");
  EXPECT_EQ(ns["uts"], "/var/run/utsns/pod1");
  EXPECT_EQ(ns.count("user"), 0u);
  EXPECT_FALSE(spec["linux"].contains("uidMappings"));
}

TEST_F(SpecTest, PidPodJoinsTheInfraContainer) {
  sc()->mutable_namespace_options()->set_pid(runtime::v1::POD);
  EXPECT_EQ(Error().code(), absl::StatusCode::kFailedPrecondition);  // no infra container
  in_.pod.infra_pid = 4242;
  EXPECT_EQ(Namespaces(Generate())["pid"], "/proc/4242/ns/pid");
  in_.pod.host_pid = true;
  in_.pod.infra_pid = 0;
  EXPECT_EQ(Namespaces(Generate()).count("pid"), 0u);
}

TEST_F(SpecTest, PidNodeHasNoPidNamespace) {
  sc()->mutable_namespace_options()->set_pid(runtime::v1::NODE);
  EXPECT_EQ(Namespaces(Generate()).count("pid"), 0u);
}

TEST_F(SpecTest, PidTargetJoinsTheTargetsNamespace) {
  sc()->mutable_namespace_options()->set_pid(runtime::v1::TARGET);
  sc()->mutable_namespace_options()->set_target_id("t1");
  absl::Status status = Error();  // the caller found no running target
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"t1\""));
  in_.target_pid = 4321;
  EXPECT_EQ(Namespaces(Generate())["pid"], "/proc/4321/ns/pid");
}

TEST_F(SpecTest, HostNetworkAndIpc) {
  in_.pod.host_network = true;
  in_.pod.net_ns.clear();
  in_.pod.uts_ns.clear();
  json spec = Generate();
  auto ns = Namespaces(spec);
  EXPECT_EQ(ns.count("network"), 0u);
  EXPECT_EQ(ns.count("uts"), 0u);
  EXPECT_EQ(ns["ipc"], "/var/run/ipcns/pod1");
  EXPECT_FALSE(spec.contains("hostname"));

  in_.pod.host_ipc = true;
  in_.pod.ipc_ns.clear();
  EXPECT_EQ(Namespaces(Generate()).count("ipc"), 0u);
}

TEST_F(SpecTest, APodWithoutItsNamespacesIsRefusedRatherThanHostNamespaces) {
  in_.pod.net_ns.clear();
  EXPECT_EQ(Error().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SpecTest, UserNamespaceIsJoinedWithTheMappingsAndOwnsCreatedDirs) {
  in_.pod.user_ns = "/var/run/userns/pod1";
  testing::SetPodUserns(pod_config_, 100000, 200000);
  sc()->mutable_run_as_user()->set_value(1000);
  config_.set_working_dir("/data");
  json spec = Generate();
  EXPECT_EQ(Namespaces(spec)["user"], "/var/run/userns/pod1");
  EXPECT_EQ(spec["linux"]["uidMappings"],
            json::parse(R"([{"containerID":0,"hostID":100000,"size":65536}])"));
  EXPECT_EQ(spec["linux"]["gidMappings"],
            json::parse(R"([{"containerID":0,"hostID":200000,"size":65536}])"));
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);  // as the container sees itself
  struct stat st {};
  ASSERT_EQ(::stat((rootfs_ / "data").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 101000u);
  EXPECT_EQ(st.st_gid, 201000u);
}

// --- resources, cgroups, oom --------------------------------------------------------------------

TEST_F(SpecTest, ResourcesMapping) {
  auto* r = config_.mutable_linux()->mutable_resources();
  r->set_cpu_shares(512);
  r->set_cpu_quota(50000);
  r->set_cpu_period(100000);
  r->set_cpuset_cpus("0-1");
  r->set_cpuset_mems("0");
  r->set_memory_limit_in_bytes(256 << 20);
  r->set_memory_swap_limit_in_bytes(512 << 20);
  auto* h = r->add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(4 << 20);
  (*r->mutable_unified())["memory.high"] = "200000000";
  in_.pids_limit = 1024;
  json res = Generate()["linux"]["resources"];
  EXPECT_EQ(res["cpu"],
            json::parse(R"({"shares":512,"quota":50000,"period":100000,"cpus":"0-1","mems":"0"})"));
  EXPECT_EQ(res["memory"]["limit"], 256 << 20);
  EXPECT_EQ(res["memory"]["swap"], 512 << 20);
  EXPECT_EQ(res["hugepageLimits"], json::parse(R"([{"pageSize":"2MB","limit":4194304}])"));
  EXPECT_EQ(res["unified"]["memory.high"], "200000000");
  EXPECT_EQ(res["pids"]["limit"], 1024);
}

TEST_F(SpecTest, UnsetResourcesAreLeftOut) {
  json res = Generate()["linux"]["resources"];
  EXPECT_FALSE(res.contains("cpu"));
  EXPECT_FALSE(res.contains("memory"));
  EXPECT_FALSE(res.contains("pids"));  // pids_limit -1
  EXPECT_FALSE(res.contains("hugepageLimits"));
}

TEST(CgroupsPathTest, Forms) {
  EXPECT_EQ(CgroupsPath("/kubepods/burstable/pod1", "abc", false),
            "/kubepods/burstable/pod1/crio-abc");
  EXPECT_EQ(CgroupsPath("kubepods/pod1/", "abc", false), "/kubepods/pod1/crio-abc");
  EXPECT_EQ(CgroupsPath("", "abc", false), "/crio/crio-abc");
  EXPECT_EQ(CgroupsPath("/", "abc", false), "/crio-abc");
  EXPECT_EQ(CgroupsPath("kubepods-burstable-pod1.slice", "abc", true),
            "kubepods-burstable-pod1.slice:crio:abc");
  EXPECT_EQ(CgroupsPath("", "abc", true), "system.slice:crio:abc");
}

TEST_F(SpecTest, CgroupsPathInTheSpec) {
  EXPECT_EQ(Generate()["linux"]["cgroupsPath"], "/kubepods/pod1/crio-c0ffee");
  in_.systemd_cgroup = true;
  in_.pod.cgroup_parent = "kubepods-pod1.slice";
  EXPECT_EQ(Generate()["linux"]["cgroupsPath"], "kubepods-pod1.slice:crio:c0ffee");
}

TEST_F(SpecTest, OomScoreAdjIsClampedWithANote) {
  config_.mutable_linux()->mutable_resources()->set_oom_score_adj(-997);
  bool clamped = false;
  int expected = EffectiveOomScoreAdj(-997, &clamped);
  json spec = Generate();
  EXPECT_EQ(spec["process"]["oomScoreAdj"], expected);
  if (clamped) {
    ASSERT_EQ(notes_.size(), 1u);
    EXPECT_THAT(notes_[0],
                HasSubstr("oom_score_adj clamped from -997 to " + std::to_string(expected)));
  } else {
    EXPECT_THAT(notes_, IsEmpty());
  }
  config_.mutable_linux()->mutable_resources()->set_oom_score_adj(1000);
  EXPECT_EQ(Generate()["process"]["oomScoreAdj"], 1000);
  EXPECT_THAT(notes_, IsEmpty());
  config_.mutable_linux()->mutable_resources()->set_oom_score_adj(1001);
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

// --- capabilities -------------------------------------------------------------------------------

TEST_F(SpecTest, DefaultCapabilitiesInBoundingEffectivePermitted) {
  json spec = Generate();
  EXPECT_THAT(Caps(spec), ElementsAre("CAP_CHOWN", "CAP_KILL"));
  EXPECT_THAT(Caps(spec, "effective"), ElementsAre("CAP_CHOWN", "CAP_KILL"));
  EXPECT_THAT(Caps(spec, "permitted"), ElementsAre("CAP_CHOWN", "CAP_KILL"));
  EXPECT_THAT(Caps(spec, "inheritable"), IsEmpty());
  EXPECT_THAT(Caps(spec, "ambient"), IsEmpty());
}

TEST_F(SpecTest, AddInheritableCapabilitiesCopiesTheSet) {
  in_.add_inheritable_capabilities = true;
  json spec = Generate();
  EXPECT_THAT(Caps(spec, "inheritable"), ElementsAre("CAP_CHOWN", "CAP_KILL"));
  EXPECT_THAT(Caps(spec, "ambient"), IsEmpty());
}

TEST_F(SpecTest, AddAndDropCapabilities) {
  sc()->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
  sc()->mutable_capabilities()->add_add_capabilities("cap_sys_time");
  sc()->mutable_capabilities()->add_drop_capabilities("CAP_KILL");
  EXPECT_THAT(Caps(Generate()), ElementsAre("CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_TIME"));
}

TEST_F(SpecTest, AddAllIsTheDaemonsBoundingSet) {
  sc()->mutable_capabilities()->add_add_capabilities("ALL");
  sc()->mutable_capabilities()->add_drop_capabilities("NET_RAW");
  std::vector<std::string> expected = DaemonBoundingCapabilities();
  ASSERT_FALSE(expected.empty());
  expected.erase(std::remove(expected.begin(), expected.end(), "CAP_NET_RAW"), expected.end());
  EXPECT_EQ(Caps(Generate()), expected);
}

TEST_F(SpecTest, DropAllThenAdd) {
  sc()->mutable_capabilities()->add_drop_capabilities("all");
  sc()->mutable_capabilities()->add_add_capabilities("NET_BIND_SERVICE");
  EXPECT_THAT(Caps(Generate()), ElementsAre("CAP_NET_BIND_SERVICE"));
  sc()->mutable_capabilities()->clear_add_capabilities();
  EXPECT_THAT(Caps(Generate()), IsEmpty());
}

TEST(DaemonBoundingCapabilitiesTest, MatchesProcStatus) {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t mask = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapBnd:", 0) == 0) mask = std::stoull(line.substr(7), nullptr, 16);
  }
  std::vector<std::string> names = DaemonBoundingCapabilities();
  size_t known = 0;
  for (int bit = 0; bit <= 40; ++bit) known += (mask >> bit) & 1;
  EXPECT_EQ(names.size(), known);
  auto has = [&](const char* name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  EXPECT_EQ(has("CAP_CHOWN"), ((mask >> 0) & 1) != 0);
  EXPECT_EQ(has("CAP_SYS_ADMIN"), ((mask >> 21) & 1) != 0);
  EXPECT_EQ(has("CAP_SYS_RESOURCE"), ((mask >> 24) & 1) != 0);
  EXPECT_EQ(has("CAP_CHECKPOINT_RESTORE"), ((mask >> 40) & 1) != 0);
}

TEST_F(SpecTest, RefusedRequestLeavesTheRootfsAlone) {
  config_.set_working_dir("/not/yet");
  in_.image.volumes = {"/vol"};
  sc()->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  sc()->mutable_seccomp()->set_localhost_ref("/nonexistent/seccomp/profile.json");
  EXPECT_EQ(Error().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(rootfs_ / "not"));
  EXPECT_FALSE(fs::exists(rootfs_ / "vol"));
}

TEST_F(SpecTest, UnknownCapabilityIsInvalidArgument) {
  sc()->mutable_capabilities()->add_add_capabilities("FLY");
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("FLY"));
  sc()->mutable_capabilities()->clear_add_capabilities();
  in_.default_capabilities = {"CHOWN", "WALK"};
  EXPECT_THAT(std::string(Error().message()), HasSubstr("default_capabilities"));
}

TEST_F(SpecTest, AmbientCapabilitiesAreUnimplemented) {
  sc()->mutable_capabilities()->add_add_ambient_capabilities("NET_BIND_SERVICE");
  EXPECT_EQ(Error().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(SpecTest, PrivilegedGetsEverythingAndNoMaskedPaths) {
  sc()->set_privileged(true);
  sc()->mutable_capabilities()->add_drop_capabilities("ALL");  // ignored for privileged
  json spec = Generate();
  EXPECT_EQ(Caps(spec), DaemonBoundingCapabilities());
  EXPECT_EQ(Caps(spec, "effective"), DaemonBoundingCapabilities());
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_FALSE(spec["linux"].contains("readonlyPaths"));
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == "/sys" || m["destination"] == "/sys/fs/cgroup") {
      EXPECT_THAT(m["options"].get<std::vector<std::string>>(), ::testing::Contains("rw"));
    }
  }
}

// --- masked paths, nnp ----------------------------------------------------------------------

TEST_F(SpecTest, MaskedAndReadonlyPathsDefaultOrFromTheCri) {
  json spec = Generate();
  EXPECT_THAT(spec["linux"]["maskedPaths"].get<std::vector<std::string>>(),
              ::testing::Contains("/proc/kcore"));
  EXPECT_THAT(spec["linux"]["readonlyPaths"].get<std::vector<std::string>>(),
              ::testing::Contains("/proc/sys"));
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == "/sys") {
      EXPECT_THAT(m["options"].get<std::vector<std::string>>(), ::testing::Contains("ro"));
    }
  }

  sc()->add_masked_paths("/proc/only-this");
  sc()->add_readonly_paths("/proc/ro-this");
  spec = Generate();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json::array({"/proc/only-this"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json::array({"/proc/ro-this"}));
}

TEST_F(SpecTest, UnmaskedProcMountInAUserNamespacedPod) {
  // Both lists empty in a pod with its own user namespace: the kubelet's procMount Unmasked.
  in_.pod.user_ns = "/var/run/userns/pod1";
  json spec = Generate();
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_FALSE(spec["linux"].contains("readonlyPaths"));
  EXPECT_THAT(notes_, Contains(HasSubstr("proc mount Unmasked")));
  // procMount Default: the kubelet sends the lists, and they apply.
  sc()->add_masked_paths("/proc/kcore");
  sc()->add_readonly_paths("/proc/sys");
  spec = Generate();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json::array({"/proc/kcore"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json::array({"/proc/sys"}));
  // Without a user namespace empty lists are a client that sent none: the defaults apply.
  sc()->clear_masked_paths();
  sc()->clear_readonly_paths();
  in_.pod.user_ns.clear();
  EXPECT_THAT(Generate()["linux"]["maskedPaths"].get<std::vector<std::string>>(),
              Contains("/proc/kcore"));
}

TEST_F(SpecTest, NoNewPrivileges) {
  EXPECT_EQ(Generate()["process"]["noNewPrivileges"], false);
  sc()->set_no_new_privs(true);
  EXPECT_EQ(Generate()["process"]["noNewPrivileges"], true);
  sc()->set_no_new_privs(false);
  in_.no_new_privileges_default = true;
  EXPECT_EQ(Generate()["process"]["noNewPrivileges"], true);
  sc()->set_privileged(true);
  EXPECT_EQ(Generate()["process"]["noNewPrivileges"], false);
}

// --- seccomp, apparmor, selinux -------------------------------------------------------------

TEST_F(SpecTest, SeccompUnconfinedOrUnsetHasNoSection) {
  EXPECT_FALSE(Generate()["linux"].contains("seccomp"));
  sc()->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::Unconfined);
  EXPECT_FALSE(Generate()["linux"].contains("seccomp"));
}

TEST_F(SpecTest, SeccompProfilesBecomeFiltersNeverIgnored) {
  sc()->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  nlohmann::json spec = Generate();
  ASSERT_TRUE(spec["linux"].contains("seccomp"));
  EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");

  sc()->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  sc()->mutable_seccomp()->set_localhost_ref("/var/lib/kubelet/seccomp/missing.json");
  EXPECT_EQ(Error().code(), absl::StatusCode::kNotFound);

  sc()->clear_seccomp();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  sc()->set_seccomp_profile_path("runtime/default");
  EXPECT_TRUE(Generate()["linux"].contains("seccomp"));
  sc()->set_seccomp_profile_path("unconfined");
  EXPECT_FALSE(Generate()["linux"].contains("seccomp"));
  sc()->set_seccomp_profile_path("bogus");
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
  sc()->set_seccomp_profile_path("");
#pragma GCC diagnostic pop

  // Privileged containers run without a filter whatever they ask.
  sc()->mutable_seccomp()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  sc()->set_privileged(true);
  EXPECT_FALSE(Generate()["linux"].contains("seccomp"));
}

TEST_F(SpecTest, PrivilegedSeccompProfileAppliesToPrivilegedContainersOnly) {
  std::string profile = (dir_ / "privileged.json").string();
  std::ofstream(profile) << R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"}]})";
  in_.privileged_seccomp_profile = profile;
  EXPECT_FALSE(Generate()["linux"].contains("seccomp"));  // not privileged: as before
  sc()->set_privileged(true);
  for (auto type :
       {runtime::v1::SecurityProfile::Unconfined, runtime::v1::SecurityProfile::RuntimeDefault}) {
    sc()->mutable_seccomp()->set_profile_type(type);
    nlohmann::json spec = Generate();
    ASSERT_TRUE(spec["linux"].contains("seccomp"));
    EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ALLOW");
  }
  in_.privileged_seccomp_profile = (dir_ / "missing.json").string();
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("privileged_seccomp_profile"));
  in_.privileged_seccomp_profile = "relative.json";
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SpecTest, AppArmorSkippedWithoutAppArmor) {
  lsm_.apparmor = false;
  sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  sc()->mutable_apparmor()->set_localhost_ref("my-profile");
  json spec = Generate();
  EXPECT_FALSE(spec["process"].contains("apparmorProfile"));
  EXPECT_THAT(notes_, ::testing::Contains(HasSubstr("AppArmor is not enabled")));
  sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  EXPECT_FALSE(Generate()["process"].contains("apparmorProfile"));
}

TEST_F(SpecTest, AppArmorPassedThroughWithAppArmor) {
  lsm_.apparmor = true;
  sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  sc()->mutable_apparmor()->set_localhost_ref("my-profile");
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "my-profile");
  sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::Unconfined);
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "unconfined");
  sc()->clear_apparmor();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  sc()->set_apparmor_profile("localhost/legacy-profile");
#pragma GCC diagnostic pop
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "legacy-profile");
}

TEST_F(SpecTest, AppArmorRuntimeDefaultIsTheConfiguredProfile) {
  lsm_.apparmor = true;
  // Nothing chosen is RuntimeDefault, as in CRI-O.
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "crio-default");
  sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "crio-default");
  in_.apparmor_profile = "site-profile";
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "site-profile");
  in_.apparmor_profile = "unconfined";
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "unconfined");
  // Privileged containers stay unconfined unless they name a profile themselves.
  in_.apparmor_profile = "crio-default";
  sc()->set_privileged(true);
  EXPECT_FALSE(Generate()["process"].contains("apparmorProfile"));
  sc()->clear_apparmor();
  EXPECT_FALSE(Generate()["process"].contains("apparmorProfile"));
  sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  sc()->mutable_apparmor()->set_localhost_ref("debug-profile");
  EXPECT_EQ(Generate()["process"]["apparmorProfile"], "debug-profile");
}

TEST_F(SpecTest, SelinuxLabelOnlyWithSelinux) {
  auto* o = sc()->mutable_selinux_options();
  o->set_type("spc_t");
  o->set_level("s0:c1,c2");
  lsm_.selinux = false;
  json spec = Generate();
  EXPECT_FALSE(spec["process"].contains("selinuxLabel"));
  EXPECT_THAT(notes_, ::testing::Contains(HasSubstr("SELinux is not enabled")));
  // The host has SELinux, but crio.conf's selinux is off (the default): as in CRI-O, no label.
  lsm_.selinux = true;
  notes_.clear();
  EXPECT_FALSE(Generate()["process"].contains("selinuxLabel"));
  EXPECT_THAT(notes_, ::testing::Contains(HasSubstr("SELinux labeling is off")));
  // Labeling on, but the pod runs without separation (host PID or IPC): no labels either.
  in_.selinux = true;
  notes_.clear();
  EXPECT_FALSE(Generate()["process"].contains("selinuxLabel"));
  EXPECT_THAT(notes_, ::testing::Contains(HasSubstr("without SELinux separation")));
  // The caller's labels (ContainerSelinuxLabels) go into the spec as they are.
  in_.selinux_labels = {"system_u:system_r:spc_t:s0:c1,c2",
                        "system_u:object_r:container_file_t:s0:c1,c2"};
  spec = Generate();
  EXPECT_EQ(spec["process"]["selinuxLabel"], "system_u:system_r:spc_t:s0:c1,c2");
  EXPECT_EQ(spec["linux"]["mountLabel"], "system_u:object_r:container_file_t:s0:c1,c2");
  // A privileged container's labels have no process part: the runtime's domain applies.
  in_.selinux_labels.process.clear();
  spec = Generate();
  EXPECT_FALSE(spec["process"].contains("selinuxLabel"));
  EXPECT_EQ(spec["linux"]["mountLabel"], "system_u:object_r:container_file_t:s0:c1,c2");
}

TEST(DetectHostLsmTest, MatchesTheHost) {
  struct stat st {};
  HostLsm lsm = DetectHostLsm();
  EXPECT_EQ(lsm.apparmor, ::stat("/sys/kernel/security/apparmor", &st) == 0);
  EXPECT_EQ(lsm.selinux, ::stat("/sys/fs/selinux/enforce", &st) == 0);
}

// --- rlimits ------------------------------------------------------------------------------------

TEST_F(SpecTest, RlimitsFromDefaultUlimits) {
  EXPECT_FALSE(Generate()["process"].contains("rlimits"));
  in_.default_ulimits = {"nofile=1024:2048", "nproc=512", "core=-1"};
  EXPECT_EQ(Generate()["process"]["rlimits"], json::parse(R"([
      {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048},
      {"type": "RLIMIT_NPROC", "soft": 512, "hard": 512},
      {"type": "RLIMIT_CORE", "soft": 18446744073709551615, "hard": 18446744073709551615}])"));
}

TEST_F(SpecTest, BadUlimitsAreInvalidArgument) {
  for (const char* bad : {"nofile", "files=1:2", "nofile=2:1", "nofile=a:2", "nofile=1:2:3"}) {
    in_.default_ulimits = {bad};
    absl::Status status = Error();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr(bad));
  }
}

}  // namespace
}  // namespace crio::oci
