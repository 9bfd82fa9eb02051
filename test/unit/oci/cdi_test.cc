// api.pb.h (through cdi.h) before any system header: see proto/runtime/v1/api.proto.
#include "crio/oci/cdi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The major and minor numbers of a host device node, as CDI fills them in.
std::pair<int64_t, int64_t> Numbers(const char* path) {
  struct stat st {};
  EXPECT_EQ(::stat(path, &st), 0) << path;
  return {major(st.st_rdev), minor(st.st_rdev)};
}

TEST(CdiDeviceNameTest, AcceptsQualifiedNames) {
  for (const char* name : {"vendor.com/gpu=0", "a/b=c", "nvidia.com/gpu=GPU-1a2b:3",
                           "example.org/fpga.v2=all", "v-e_n.d/c=x_y-z.1"}) {
    EXPECT_TRUE(ValidateCdiDeviceName(name).ok()) << name;
  }
}

TEST(CdiDeviceNameTest, RefusesNamesThatAreNotQualifiedOrMalformed) {
  for (const char* name : {"", "gpu0", "vendor.com/gpu", "/gpu=0", "vendor.com=0", "vendor.com/=0",
                           "vendor.com/gpu=", "1vendor/gpu=0", "vendor/gpu-=0", "vendor/gpu=-0",
                           "vendor/gpu=a/b", "vendor/gp u=0", "vendor/gpu=a b"}) {
    absl::Status status = ValidateCdiDeviceName(name);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_THAT(ValidateCdiDeviceName("gpu0").message(), HasSubstr("unqualified device"));
  EXPECT_THAT(ValidateCdiDeviceName("vendor/gpu=a/b").message(), HasSubstr("invalid character"));
}

json MinimalSpec(const std::string& version = "0.6.0") {
  return {{"cdiVersion", version},
          {"kind", "vendor.com/gpu"},
          {"devices", {{{"name", "0"}, {"containerEdits", {{"env", {"GPU=0"}}}}}}}};
}

TEST(CdiSpecTest, ParsesDevicesUnderTheirQualifiedNames) {
  json spec = MinimalSpec();
  spec["devices"].push_back({{"name", "1"}, {"containerEdits", {{"env", {"GPU=1"}}}}});
  spec["containerEdits"] = {{"env", {"DRIVER=1"}}};
  absl::StatusOr<std::map<std::string, CdiDevice>> devices = ParseCdiSpec(spec, "/x/gpu.json");
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_THAT(*devices, SizeIs(2));
  const CdiDevice& one = devices->at("vendor.com/gpu=1");
  EXPECT_EQ(one.spec_file, "/x/gpu.json");
  EXPECT_EQ(one.device_edits["env"][0], "GPU=1");
  EXPECT_EQ(one.spec_edits["env"][0], "DRIVER=1");
}

TEST(CdiSpecTest, RefusesWhatCdisOwnLoaderRefuses) {
  auto refused = [](json spec, const std::string& expected) {
    absl::StatusOr<std::map<std::string, CdiDevice>> devices = ParseCdiSpec(spec, "f");
    ASSERT_FALSE(devices.ok()) << spec.dump();
    EXPECT_THAT(devices.status().message(), HasSubstr(expected)) << spec.dump();
  };
  refused(MinimalSpec("2.0.0"), "invalid version");
  json spec = MinimalSpec("0.2.0");
  spec["devices"][0]["name"] = "gpu0";
  refused(spec, "at least v0.3.0");
  refused(MinimalSpec("0.4.0"), "at least v0.5.0");  // a device name starting with a digit
  spec = MinimalSpec();
  spec["kind"] = "gpu";
  refused(spec, "invalid kind");
  spec = MinimalSpec();
  spec["devices"] = json::array();
  refused(spec, "no devices");
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"] = json::object();
  refused(spec, "empty container edits");
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"]["deviceNodes"] = {{{"path", "/dev/x"}, {"hostpath", "/"}}};
  refused(spec, "unknown member \"hostpath\"");  // misspelt: refused, not ignored
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"]["env"] = {"NOVALUE"};
  refused(spec, "invalid environment variable");
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"]["hooks"] = {{{"hookName", "preStart"}, {"path", "/h"}}};
  refused(spec, "invalid hook name");
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"]["deviceNodes"] = {{{"path", "/dev/x"}, {"type", "x"}}};
  refused(spec, "invalid type");
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"]["deviceNodes"] = {
      {{"path", "/dev/x"}, {"permissions", "rwx"}}};
  refused(spec, "invalid permissions");
  spec = MinimalSpec();
  spec["devices"].push_back(spec["devices"][0]);
  refused(spec, "defined twice");
  spec = MinimalSpec();
  spec["devices"][0]["containerEdits"]["mounts"] = {{{"hostPath", "/a"}}};
  refused(spec, "\"containerPath\" is required");
}

TEST(CdiSpecTest, MistypedMembersAreRefusedWithoutThrowing) {
  auto refused = [](const json& edits, const std::string& expected) {
    json spec = MinimalSpec("1.1.0");
    spec["devices"][0]["containerEdits"] = edits;
    absl::StatusOr<std::map<std::string, CdiDevice>> devices = ParseCdiSpec(spec, "f");
    ASSERT_FALSE(devices.ok()) << edits.dump();
    EXPECT_THAT(devices.status().message(), HasSubstr(expected)) << edits.dump();
  };
  refused({{"deviceNodes", {{{"path", "/dev/x"}, {"type", nullptr}}}}}, "\"type\" must be");
  refused({{"deviceNodes", {{{"path", "/dev/x"}, {"permissions", 5}}}}}, "\"permissions\"");
  refused({{"deviceNodes", {{{"path", "/dev/x"}, {"uid", -1}}}}}, "\"uid\" must be an integer");
  refused({{"deviceNodes", {{{"path", "/dev/x"}, {"gid", 4294967296}}}}}, "\"gid\"");
  refused({{"deviceNodes", {{{"path", "/dev/x"}, {"fileMode", "0644"}}}}}, "\"fileMode\"");
  refused({{"deviceNodes", json::object()}}, "\"deviceNodes\" must be a list");
  refused({{"mounts", {{"a", {{"hostPath", "/a"}, {"containerPath", "/b"}}}}}}, "must be a list");
  refused({{"env", "A=1"}}, "\"env\" must be a list");
  refused({{"additionalGids", {-5}}}, "additionalGids");
  refused({{"intelRdt", {{"closID", 1}}}}, "\"closID\" must be");
  refused({{"intelRdt", {{"enableCMT", "yes"}}}}, "\"enableCMT\" must be true or false");
  refused({{"env", json::array()}}, "empty container edits");
  json spec = MinimalSpec();
  spec["annotations"] = {{"vendor.com/x", 1}};
  EXPECT_THAT(ParseCdiSpec(spec, "f").status().message(), HasSubstr("must map names to strings"));
}

TEST(CdiSpecTest, AVersionTooOldForTheFeaturesUsedIsRefused) {
  json spec = MinimalSpec("0.4.0");
  spec["devices"][0]["containerEdits"]["deviceNodes"] = {
      {{"path", "/dev/x"}, {"hostPath", "/dev/y"}}};
  absl::StatusOr<std::map<std::string, CdiDevice>> devices = ParseCdiSpec(spec, "f");
  ASSERT_FALSE(devices.ok());
  EXPECT_THAT(devices.status().message(), HasSubstr("at least v0.5.0"));
  spec["cdiVersion"] = "0.5.0";
  EXPECT_TRUE(ParseCdiSpec(spec, "f").ok());
  spec["devices"][0]["containerEdits"]["additionalGids"] = {5};
  EXPECT_THAT(ParseCdiSpec(spec, "f").status().message(), HasSubstr("at least v0.7.0"));
  spec["cdiVersion"] = "v0.7.0";
  EXPECT_TRUE(ParseCdiSpec(spec, "f").ok());
}

class CdiDirectoriesTest : public ::testing::Test {
 protected:
  ::crio::testing::ScratchDir scratch_{"crio-cdi"};
  const fs::path etc_ = scratch_.path() / "etc";
  const fs::path run_ = scratch_.path() / "run";
};

TEST_F(CdiDirectoriesTest, ReadsJsonAndYamlAndLaterDirectoriesWin) {
  scratch_.Write("etc/a.yaml", R"(cdiVersion: 0.6.0
kind: vendor.com/gpu
devices:
  - name: "0"
    containerEdits:
      env: [FROM=etc-yaml]
  - name: "1"
    containerEdits:
      deviceNodes:
        - path: /dev/gpu1
          fileMode: 0640
)");
  scratch_.Write("run/b.json", R"({"cdiVersion": "0.6.0", "kind": "vendor.com/gpu",
    "devices": [{"name": "0", "containerEdits": {"env": ["FROM=run-json"]}}]})");
  scratch_.Write("etc/ignored.yml", "not: read");
  CdiCatalog catalog = LoadCdiSpecDirectories({etc_, run_, scratch_.path() / "missing"});
  EXPECT_THAT(catalog.errors, IsEmpty());
  ASSERT_THAT(catalog.devices, SizeIs(2));
  EXPECT_EQ(catalog.devices.at("vendor.com/gpu=0").device_edits["env"][0], "FROM=run-json");
  EXPECT_EQ(catalog.devices.at("vendor.com/gpu=0").priority, 1);
  // YAML 1.1's octal, as the tools that write these files mean it.
  EXPECT_EQ(catalog.devices.at("vendor.com/gpu=1").device_edits["deviceNodes"][0]["fileMode"],
            0640);
}

TEST_F(CdiDirectoriesTest, YamlTextIsTextAndOnlyNumericMembersAreNumbers) {
  // As Go's sigs.k8s.io/yaml reads it into CDI's types: an unquoted 0 is the name "0", and the
  // numbers of a device node are numbers (0640 octal, YAML 1.1).
  scratch_.Write("etc/gpu.yaml", R"(cdiVersion: 0.7.0
kind: vendor.com/gpu
devices:
  - name: 0
    containerEdits:
      env: [ON=yes]
      additionalGids: [44]
      deviceNodes:
        - path: /dev/gpu0
          type: c
          major: 195
          minor: 0
          fileMode: 0640
          uid: 0
      hooks:
        - hookName: createContainer
          path: /bin/true
          args: [true, 1]
          timeout: 5
)");
  CdiCatalog catalog = LoadCdiSpecDirectories({etc_});
  ASSERT_THAT(catalog.errors, IsEmpty());
  const json& edits = catalog.devices.at("vendor.com/gpu=0").device_edits;
  EXPECT_EQ(edits["env"][0], "ON=yes");
  EXPECT_EQ(edits["additionalGids"][0], 44);
  EXPECT_EQ(edits["deviceNodes"][0]["fileMode"], 0640);
  EXPECT_EQ(edits["deviceNodes"][0]["major"], 195);
  EXPECT_EQ(edits["hooks"][0]["args"], json({"true", "1"}));
  EXPECT_EQ(edits["hooks"][0]["timeout"], 5);
}

TEST_F(CdiDirectoriesTest, ABrokenFileIsSkippedAndTheOthersStillCount) {
  scratch_.Write("etc/broken.yaml", "cdiVersion: [\n");
  scratch_.Write("etc/invalid.json", R"({"cdiVersion": "0.6.0", "kind": "x"})");
  scratch_.Write("etc/empty.json", "\n");
  scratch_.Write("etc/good.json", MinimalSpec().dump());
  CdiCatalog catalog = LoadCdiSpecDirectories({etc_});
  EXPECT_THAT(catalog.devices, SizeIs(1));
  ASSERT_THAT(catalog.errors, SizeIs(3));
  EXPECT_THAT(catalog.errors[0], HasSubstr("broken.yaml: line"));
  EXPECT_THAT(catalog.errors[1], HasSubstr("empty.json: no spec data"));
  EXPECT_THAT(catalog.errors[2], HasSubstr("invalid.json: invalid kind"));
}

TEST_F(CdiDirectoriesTest, TwoFilesOfOnePriorityNamingOneDeviceLoseIt) {
  scratch_.Write("etc/a.json", MinimalSpec().dump());
  scratch_.Write("etc/b.json", MinimalSpec().dump());
  CdiCatalog catalog = LoadCdiSpecDirectories({etc_});
  EXPECT_THAT(catalog.devices, IsEmpty());
  ASSERT_THAT(catalog.errors, SizeIs(1));
  EXPECT_THAT(catalog.errors[0], HasSubstr("vendor.com/gpu=0: defined by both"));
  // A later directory settles it.
  json settled = MinimalSpec();
  settled["devices"][0]["containerEdits"]["env"] = {"FROM=run"};
  scratch_.Write("run/c.json", settled.dump());
  catalog = LoadCdiSpecDirectories({etc_, run_});
  EXPECT_THAT(catalog.errors, IsEmpty());
  EXPECT_EQ(catalog.devices.at("vendor.com/gpu=0").device_edits["env"][0], "FROM=run");
}

TEST(CdiRequestTest, TheCriFieldFirstThenAnnotationsEachNameOnce) {
  runtime::v1::ContainerConfig config;
  config.add_cdi_devices()->set_name("vendor.com/gpu=1");
  config.add_cdi_devices()->set_name("vendor.com/gpu=0");
  (*config.mutable_annotations())["cdi.k8s.io/b"] = "vendor.com/gpu=0,vendor.com/nic=eth";
  (*config.mutable_annotations())["cdi.k8s.io/a"] = "vendor.com/fpga=x";
  (*config.mutable_annotations())["other"] = "not-a-device";
  absl::StatusOr<std::vector<std::string>> names = RequestedCdiDevices(config);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("vendor.com/gpu=1", "vendor.com/gpu=0", "vendor.com/fpga=x",
                                  "vendor.com/nic=eth"));
}

TEST(CdiRequestTest, AnAnnotationWithAnUnqualifiedNameIsRefused) {
  runtime::v1::ContainerConfig config;
  (*config.mutable_annotations())["cdi.k8s.io/gpu"] = "vendor.com/gpu=0,gpu1";
  absl::StatusOr<std::vector<std::string>> names = RequestedCdiDevices(config);
  ASSERT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(names.status().message(), HasSubstr("cdi.k8s.io/gpu"));
  EXPECT_THAT(names.status().message(), HasSubstr("gpu1"));
}

// What the spec generator has produced by the time CDI edits it.
json BaseSpec() {
  return {{"process",
           {{"user", {{"uid", 1000}, {"gid", 2000}, {"additionalGids", {2000, 10}}}},
            {"env", {"PATH=/bin", "MODE=image"}}}},
          {"mounts",
           {{{"destination", "/proc"}},
            {{"destination", "/dev"}},
            {{"destination", "/dev/pts"}},
            {{"destination", "/data/cache"}}}},
          {"linux",
           {{"devices", {{{"path", "/dev/null-ish"}, {"type", "c"}}}},
            {"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}}}}};
}

CdiCatalog Catalog(const json& spec) {
  absl::StatusOr<std::map<std::string, CdiDevice>> devices = ParseCdiSpec(spec, "/etc/cdi/x.json");
  EXPECT_TRUE(devices.ok()) << devices.status();
  CdiCatalog catalog;
  if (devices.ok()) catalog.devices = *devices;
  return catalog;
}

TEST(CdiInjectTest, AppliesEveryKindOfEditAsCdiDoes) {
  json file = {
      {"cdiVersion", "0.7.0"},
      {"kind", "vendor.com/dev"},
      {"containerEdits",
       {{"env", {"DRIVER=1"}},
        {"hooks", {{{"hookName", "createContainer"}, {"path", "/usr/bin/ldconfig-hook"}}}}}},
      {"devices",
       {{{"name", "null"},
         {"containerEdits",
          {{"env", {"MODE=device", "NULL=1"}},
           {"deviceNodes",
            {{{"path", "/dev/null-ish"}, {"hostPath", "/dev/null"}, {"permissions", "rw"}}}},
           {"mounts",
            {{{"hostPath", "/usr/lib/driver"},
              {"containerPath", "/data"},
              {"options", {"ro", "rbind"}}}}},
           {"additionalGids", {0, 10, 44}}}}},
        {{"name", "zero"},
         {"containerEdits",
          {{"deviceNodes", {{{"path", "/dev/zero"}, {"uid", 0}, {"fileMode", 0600}}}},
           {"hooks",
            {{{"hookName", "poststop"},
              {"path", "/bin/cleanup"},
              {"args", {"cleanup", "x"}},
              {"timeout", 5}}}}}}}}}};
  CdiCatalog catalog = Catalog(file);
  json spec = BaseSpec();
  ASSERT_TRUE(InjectCdiDevices(catalog, {"vendor.com/dev=null", "vendor.com/dev=zero"}, spec).ok());

  // env: the file's first, once; a key already set is replaced where it stands.
  EXPECT_EQ(spec["process"]["env"], json({"PATH=/bin", "MODE=device", "DRIVER=1", "NULL=1"}));

  // Device nodes, completed from the host's; the same container path replaced, not doubled.
  auto [null_major, null_minor] = Numbers("/dev/null");
  auto [zero_major, zero_minor] = Numbers("/dev/zero");
  json devices = spec["linux"]["devices"];
  ASSERT_THAT(devices, SizeIs(2));
  EXPECT_EQ(devices[0], json({{"path", "/dev/null-ish"},
                              {"type", "c"},
                              {"major", null_major},
                              {"minor", null_minor},
                              {"fileMode", 0666},
                              {"uid", 1000},
                              {"gid", 2000}}));
  EXPECT_EQ(devices[1]["path"], "/dev/zero");
  EXPECT_EQ(devices[1]["uid"], 0);  // the file's own owner wins over the container user
  EXPECT_EQ(devices[1]["gid"], 2000);
  EXPECT_EQ(devices[1]["fileMode"], 0600);
  json rules = spec["linux"]["resources"]["devices"];
  ASSERT_THAT(rules, SizeIs(3));
  EXPECT_EQ(rules[1], json({{"allow", true},
                            {"type", "c"},
                            {"major", null_major},
                            {"minor", null_minor},
                            {"access", "rw"}}));
  EXPECT_EQ(rules[2]["access"], "rwm");
  EXPECT_EQ(rules[2]["minor"], zero_minor);
  EXPECT_EQ(rules[2]["major"], zero_major);

  // The mount goes before /data/cache, which it would otherwise cover.
  std::vector<std::string> destinations;
  for (const json& m : spec["mounts"]) destinations.push_back(m["destination"]);
  EXPECT_THAT(destinations, ElementsAre("/proc", "/dev", "/data", "/dev/pts", "/data/cache"));
  EXPECT_EQ(spec["mounts"][2], json({{"destination", "/data"},
                                     {"source", "/usr/lib/driver"},
                                     {"options", {"ro", "rbind"}}}));

  EXPECT_EQ(spec["hooks"]["createContainer"], json({{{"path", "/usr/bin/ldconfig-hook"}}}));
  EXPECT_EQ(spec["hooks"]["poststop"],
            json({{{"path", "/bin/cleanup"}, {"args", {"cleanup", "x"}}, {"timeout", 5}}}));
  EXPECT_EQ(spec["process"]["user"]["additionalGids"], json({2000, 10, 44}));
}

TEST(CdiInjectTest, AnUnresolvableDeviceLeavesTheSpecUntouched) {
  CdiCatalog catalog = Catalog(MinimalSpec());
  json spec = BaseSpec();
  absl::Status status =
      InjectCdiDevices(catalog, {"vendor.com/gpu=0", "vendor.com/gpu=7", "x.com/y=z"}, spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "unresolvable CDI devices vendor.com/gpu=7, x.com/y=z");
  EXPECT_EQ(spec, BaseSpec());
}

TEST(CdiInjectTest, AHostNodeThatIsMissingOrNoDeviceFailsWithTheSpecUntouched) {
  json file = MinimalSpec();
  file["devices"][0]["containerEdits"]["deviceNodes"] = {
      {{"path", "/dev/gpu0"}, {"hostPath", "/dev/no-such-gpu"}}};
  file["devices"].push_back(
      {{"name", "dir"},
       {"containerEdits", {{"deviceNodes", {{{"path", "/dev/d"}, {"hostPath", "/dev"}}}}}}});
  file["devices"].push_back(
      {{"name", "block"},
       {"containerEdits", {{"deviceNodes", {{{"path", "/dev/null"}, {"type", "b"}}}}}}});
  CdiCatalog catalog = Catalog(file);
  json spec = BaseSpec();
  absl::Status status = InjectCdiDevices(catalog, {"vendor.com/gpu=0"}, spec);
  EXPECT_THAT(status.message(), HasSubstr("failed to stat CDI host device \"/dev/no-such-gpu\""));
  EXPECT_THAT(InjectCdiDevices(catalog, {"vendor.com/gpu=dir"}, spec).message(),
              HasSubstr("not a device node"));
  EXPECT_THAT(InjectCdiDevices(catalog, {"vendor.com/gpu=block"}, spec).message(),
              HasSubstr("host type mismatch (b, c)"));
  EXPECT_EQ(spec, BaseSpec());
}

TEST(CdiInjectTest, AFullyDescribedNodeNeedsNoHostNode) {
  json file = MinimalSpec();
  file["devices"][0]["containerEdits"]["deviceNodes"] = {
      {{"path", "/dev/vgpu"}, {"type", "c"}, {"major", 195}, {"minor", 3}},
      // Not on the host, and its host path is no device: the numbers are all it needs.
      {{"path", "/dev/vgpu-ctl"}, {"hostPath", "/etc"}, {"type", "c"}, {"major", 195}}};
  json spec = BaseSpec();
  ASSERT_TRUE(InjectCdiDevices(Catalog(file), {"vendor.com/gpu=0"}, spec).ok());
  EXPECT_EQ(spec["linux"]["devices"][1]["major"], 195);
  EXPECT_EQ(spec["linux"]["resources"]["devices"][1]["minor"], 3);
  // A minor left out is 0, not a wildcard rule for every minor of 195.
  EXPECT_EQ(spec["linux"]["devices"][2]["minor"], 0);
  EXPECT_EQ(spec["linux"]["resources"]["devices"][2]["minor"], 0);
  EXPECT_FALSE(spec["linux"]["devices"][2].contains("hostPath"));
}

TEST(CdiInjectTest, AnEmptyHostPathMeansThePath) {
  json file = MinimalSpec();
  file["devices"][0]["containerEdits"]["deviceNodes"] = {{{"path", "/dev/null"}, {"hostPath", ""}}};
  json spec = BaseSpec();
  ASSERT_TRUE(InjectCdiDevices(Catalog(file), {"vendor.com/gpu=0"}, spec).ok());
  EXPECT_EQ(spec["linux"]["devices"][1]["type"], "c");
}

TEST(CdiInjectTest, NetDevicesAreRefusedNotDropped) {
  json file = MinimalSpec("1.1.0");
  file["devices"][0]["containerEdits"]["netDevices"] = {
      {{"hostInterfaceName", "eth9"}, {"name", "net0"}}};
  json spec = BaseSpec();
  absl::Status status = InjectCdiDevices(Catalog(file), {"vendor.com/gpu=0"}, spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(spec, BaseSpec());
}

}  // namespace
}  // namespace crio::oci
