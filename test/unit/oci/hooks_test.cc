#include "crio/oci/hooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "a");
    fs::create_directories(dir_ / "b");
    std::ofstream(dir_ / "hook.sh") << "#!/bin/sh\n";
  }

  void Write(const std::string& relative, const std::string& content) {
    std::ofstream(dir_ / relative) << content;
  }
  // A 1.0.0 definition running hook.sh with `args` in `stages` when `when` holds.
  std::string Definition(const std::string& when, const std::string& stages = R"(["prestart"])",
                         const std::string& arg = "x") {
    return R"({"version": "1.0.0", "hook": {"path": ")" + (dir_ / "hook.sh").string() +
           R"(", "args": ["hook.sh", ")" + arg + R"("], "env": ["A=1"], "timeout": 5},
              "when": )" +
           when + R"(, "stages": )" + stages + "}";
  }

  ::crio::testing::ScratchDir scratch_{"crio-hooks"};
  const fs::path dir_ = scratch_.path();
};

json Spec(const std::string& command, json annotations = json::object()) {
  return {{"process", {{"args", {command, "-c", "true"}}}}, {"annotations", annotations}};
}

TEST_F(HooksTest, ParsesAValidDefinition) {
  absl::StatusOr<HookDefinition> def =
      ParseHookDefinition(Definition(R"({"always": true})", R"(["prestart", "poststop"])"), "x");
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->hook["path"], (dir_ / "hook.sh").string());
  EXPECT_EQ(def->hook["args"], json({"hook.sh", "x"}));
  EXPECT_EQ(def->hook["env"], json({"A=1"}));
  EXPECT_EQ(def->hook["timeout"], 5);
  EXPECT_THAT(def->stages, ElementsAre("prestart", "poststop"));
}

TEST_F(HooksTest, RefusesInvalidDefinitionsWithAReason) {
  auto reason = [&](const std::string& text) {
    absl::StatusOr<HookDefinition> def = ParseHookDefinition(text, "x");
    EXPECT_FALSE(def.ok());
    return std::string(def.status().message());
  };
  EXPECT_THAT(reason("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(reason(R"({"version": "0.1.0", "hook": "/bin/true", "stage": ["prestart"]})"),
              HasSubstr("only 1.0.0"));
  EXPECT_THAT(reason(Definition("{}")), HasSubstr("no condition"));
  EXPECT_THAT(reason(Definition(R"({"always": true})", R"(["prestop"])")),
              HasSubstr("unknown stage \"prestop\""));
  EXPECT_THAT(reason(Definition(R"({"always": true})", "[]")), HasSubstr("stages"));
  EXPECT_THAT(reason(Definition(R"({"commands": ["("]})")), HasSubstr("invalid regular"));
  EXPECT_THAT(reason(Definition(R"({"annotations": {"a": 1}})")), HasSubstr("not a string"));
  EXPECT_THAT(reason(R"({"version": "1.0.0", "hook": {"path": "/no/such/hook"},
                         "when": {"always": true}, "stages": ["prestart"]})"),
              HasSubstr("not an existing file"));
  EXPECT_THAT(reason(R"({"version": "1.0.0", "hook": {"path": "relative"},
                         "when": {"always": true}, "stages": ["prestart"]})"),
              HasSubstr("not absolute"));
}

TEST_F(HooksTest, WhenConditionsAllHaveToHold) {
  auto matches = [&](const std::string& when, const json& spec, bool bind_mounts = false) {
    absl::StatusOr<HookDefinition> def = ParseHookDefinition(Definition(when), "x");
    EXPECT_TRUE(def.ok()) << def.status();
    return def.ok() && HookMatches(*def, spec, bind_mounts);
  };
  json spec = Spec("/usr/bin/nginx", {{"com.example.team", "fluid-dynamics"}});
  EXPECT_TRUE(matches(R"({"always": true})", spec));
  EXPECT_FALSE(matches(R"({"always": false})", spec));
  EXPECT_TRUE(matches(R"({"commands": ["nginx$"]})", spec));
  EXPECT_FALSE(matches(R"({"commands": ["^sh$", "apache"]})", spec));
  EXPECT_TRUE(matches(R"({"annotations": {"^com\\.example\\.team$": "fluid"}})", spec));
  EXPECT_FALSE(matches(R"({"annotations": {"^com\\.example\\.team$": "^solid"}})", spec));
  EXPECT_FALSE(matches(R"({"annotations": {"other": ".*"}})", spec));
  EXPECT_TRUE(matches(R"({"hasBindMounts": true})", spec, true));
  EXPECT_FALSE(matches(R"({"hasBindMounts": true})", spec, false));
  // Both present: both must hold.
  EXPECT_FALSE(matches(R"({"always": true, "commands": ["apache"]})", spec));
  EXPECT_TRUE(matches(R"({"hasBindMounts": true, "commands": ["nginx"]})", spec, true));
}

TEST_F(HooksTest, LaterDirectoriesOverrideSameNamesAndInvalidFilesAreSkipped) {
  Write("a/10-first.json", Definition(R"({"always": true})", R"(["prestart"])", "a-first"));
  Write("a/20-second.json", Definition(R"({"always": true})", R"(["poststop"])", "a-second"));
  Write("b/20-second.json", Definition(R"({"always": true})", R"(["createRuntime"])", "b-second"));
  Write("b/05-broken.json", "{\"version\": \"1.0.0\"");
  Write("b/README", "not a definition");
  LoadedHooks loaded = LoadHookDirectories({dir_ / "a", dir_ / "missing", dir_ / "b"});
  ASSERT_THAT(loaded.hooks, SizeIs(2));
  EXPECT_EQ(loaded.hooks[0].file_name, "10-first.json");
  EXPECT_EQ(loaded.hooks[1].file_name, "20-second.json");
  EXPECT_EQ(loaded.hooks[1].hook["args"][1], "b-second");
  ASSERT_THAT(loaded.skipped, SizeIs(1));
  EXPECT_THAT(loaded.skipped[0], HasSubstr("05-broken.json: not valid JSON"));

  json spec = Spec("/bin/sh");
  EXPECT_THAT(AddMatchingHooks(loaded.hooks, spec, false),
              ElementsAre("10-first.json", "20-second.json"));
  EXPECT_EQ(spec["hooks"]["prestart"][0]["args"][1], "a-first");
  EXPECT_EQ(spec["hooks"]["createRuntime"][0]["args"][1], "b-second");
  EXPECT_FALSE(spec["hooks"].contains("poststop"));
}

TEST_F(HooksTest, CacheRereadsChangedDirectories) {
  HookCache cache;
  std::vector<std::string> dirs = {(dir_ / "a").string()};
  EXPECT_THAT(*cache.Get(dirs), SizeIs(0));
  auto same = cache.Get(dirs);
  EXPECT_EQ(same, cache.Get(dirs));  // unchanged: not re-read
  Write("a/10-new.json", Definition(R"({"always": true})"));
  EXPECT_THAT(*cache.Get(dirs), SizeIs(1));
  fs::remove(dir_ / "a/10-new.json");
  EXPECT_THAT(*cache.Get(dirs), SizeIs(0));
}

}  // namespace
}  // namespace crio::oci
