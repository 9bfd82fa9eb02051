#include "crio/image/platform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "crio/common/host.h"

namespace crio::image {
namespace {

using ::testing::HasSubstr;

// An index whose entries are "os/architecture[/variant]", with digests sha256:<position>.
std::string Index(const std::vector<std::string>& platforms) {
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array()}};
  for (size_t i = 0; i < platforms.size(); ++i) {
    std::vector<std::string> parts;
    std::stringstream stream(platforms[i]);
    for (std::string part; std::getline(stream, part, '/');) parts.push_back(part);
    nlohmann::json platform = {{"os", parts[0]}, {"architecture", parts[1]}};
    if (parts.size() > 2) platform["variant"] = parts[2];
    index["manifests"].push_back(
        {{"digest", "sha256:" + std::to_string(i)}, {"platform", platform}});
  }
  return index.dump();
}

TEST(ChoosePlatformManifestTest, TakesTheFirstEntryOfTheWantedOsAndArchitecture) {
  std::string index =
      Index({"linux/arm/v7", "windows/amd64", "linux/arm64", "linux/amd64", "linux/amd64"});
  EXPECT_EQ(*ChoosePlatformManifest(index, {{"linux", "amd64", ""}}, "x"), "sha256:3");
  EXPECT_EQ(*ChoosePlatformManifest(index, {{"windows", "amd64", ""}}, "x"), "sha256:1");
  EXPECT_EQ(*ChoosePlatformManifest(index, {{"linux", "arm", "v7"}}, "x"), "sha256:0");
}

TEST(ChoosePlatformManifestTest, PrefersTheWantedVariantAndFallsBackToAny) {
  std::vector<Platform> arm64 = {{"linux", "arm64", "v8"}, {"linux", "arm64", ""}};
  EXPECT_EQ(*ChoosePlatformManifest(Index({"linux/arm64", "linux/arm64/v8"}), arm64, "x"),
            "sha256:1");
  EXPECT_EQ(*ChoosePlatformManifest(Index({"linux/arm64/v9", "linux/arm64"}), arm64, "x"),
            "sha256:0");
  // A wanted variant is not optional: only a later, less specific wish takes any.
  EXPECT_FALSE(
      ChoosePlatformManifest(Index({"linux/arm64/v9"}), {{"linux", "arm64", "v8"}}, "x").ok());
}

TEST(ChoosePlatformManifestTest, NoMatchNamesWhatIsOfferedWithVariants) {
  absl::StatusOr<std::string> chosen =
      ChoosePlatformManifest(Index({"linux/arm/v7", "windows/amd64", "linux/arm64"}),
                             {{"linux", "amd64", ""}}, "registry.test/app:1");
  ASSERT_TRUE(absl::IsNotFound(chosen.status())) << chosen.status();
  EXPECT_THAT(std::string(chosen.status().message()),
              HasSubstr("no image for linux/amd64 in registry.test/app:1 (offered: linux/arm/v7, "
                        "windows/amd64, linux/arm64)"));
}

TEST(ChoosePlatformManifestTest, SomethingElseThanAnIndexIsDataLoss) {
  EXPECT_TRUE(absl::IsDataLoss(
      ChoosePlatformManifest(R"({"schemaVersion":2,"layers":[]})", HostPlatforms(), "x").status()));
  EXPECT_TRUE(absl::IsDataLoss(ChoosePlatformManifest("not json", HostPlatforms(), "x").status()));
}

TEST(HostPlatformsTest, LinuxAndThisArchitectureLast) {
  std::vector<Platform> platforms = HostPlatforms();
  ASSERT_FALSE(platforms.empty());
  EXPECT_EQ(platforms.back().String(), std::string("linux/") + HostArchitecture());
}

}  // namespace
}  // namespace crio::image
