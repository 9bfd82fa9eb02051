#include "crio/image/platform.h"

#include <nlohmann/json.hpp>

#include "crio/common/host.h"
#include "crio/common/strings.h"

namespace crio::image {

std::string Platform::String() const {
  std::string text = StrCat(os, "/", architecture);
  if (!variant.empty()) text += "/" + variant;
  return text;
}

std::vector<Platform> HostPlatforms() {
  std::string architecture = HostArchitecture();
  std::vector<Platform> platforms;
  // Every 64-bit arm CPU is an armv8; indexes name that variant or none.
  if (architecture == "arm64") platforms.push_back({"linux", architecture, "v8"});
  platforms.push_back({"linux", architecture, ""});
  return platforms;
}

absl::StatusOr<std::string> ChoosePlatformManifest(std::string_view index,
                                                   const std::vector<Platform>& wanted,
                                                   std::string_view where) {
  auto json = nlohmann::json::parse(index, nullptr, false);
  if (!json.is_object() || !json.contains("manifests") || !json["manifests"].is_array()) {
    return absl::DataLossError(StrCat("index of ", where, " has no list of manifests"));
  }
  std::vector<std::pair<Platform, std::string>> entries;  // platform, digest
  for (const auto& entry : json["manifests"]) {
    if (!entry.is_object()) continue;
    auto platform = entry.value("platform", nlohmann::json::object());
    if (!platform.is_object()) platform = nlohmann::json::object();
    entries.push_back({{platform.value("os", ""), platform.value("architecture", ""),
                        platform.value("variant", "")},
                       entry.value("digest", "")});
  }
  for (const Platform& want : wanted) {
    for (const auto& [offered, digest] : entries) {
      if (offered.os == want.os && offered.architecture == want.architecture &&
          (want.variant.empty() || offered.variant == want.variant) && !digest.empty()) {
        return digest;
      }
    }
  }
  std::vector<std::string> offered;
  for (const auto& entry : entries) offered.push_back(entry.first.String());
  std::vector<std::string> names;
  for (const Platform& want : wanted) names.push_back(want.String());
  return absl::NotFoundError(StrCat("no image for ", StrJoin(names, " or "), " in ", where,
                                    " (offered: ", StrJoin(offered, ", "), ")"));
}

}  // namespace crio::image
