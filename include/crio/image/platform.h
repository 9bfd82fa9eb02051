#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace crio::image {

// The platform of an image ("os/architecture[/variant]" as indexes describe it).
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // empty: any variant will do (when wanted), or none given (when offered)

  std::string String() const;
};

// The platforms this machine runs, best first: linux and its architecture, with the variants it
// can run where they matter (arm64: "v8" before an entry with another or no variant).
std::vector<Platform> HostPlatforms();

// The digest of the manifest an image index (OCI image index or Docker manifest list, as JSON)
// holds for the first platform of `wanted` that any entry matches, entries taken in their order.
// NotFound, naming every platform the index offers, when none matches; DataLoss when `index` is
// not an index. `where` names the index in errors.
absl::StatusOr<std::string> ChoosePlatformManifest(std::string_view index,
                                                   const std::vector<Platform>& wanted,
                                                   std::string_view where);

}  // namespace crio::image
