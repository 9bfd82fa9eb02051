#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/image/reference.h"

namespace crio::image {

struct Mirror {
  std::string location;
  bool insecure = false;
  std::string pull_from_mirror = "all";  // all, digest-only or tag-only

  bool operator==(const Mirror&) const = default;
};

// One [[registry]] table.
struct Registry {
  std::string prefix;    // what it applies to: host[:port][/path], or "*.domain"
  std::string location;  // where to pull from instead (empty: the prefix itself)
  bool insecure = false;
  bool blocked = false;
  bool mirror_by_digest_only = false;
  std::vector<Mirror> mirrors;

  bool operator==(const Registry&) const = default;
};

// registries.conf v2 (containers-registries.conf(5)), with its drop-ins merged.
struct RegistriesConf {
  std::vector<std::string> unqualified_search_registries;
  std::string short_name_mode = "enforcing";  // enforcing, permissive or disabled
  std::map<std::string, std::string> aliases;
  std::vector<Registry> registries;
};

// Applies one registries.conf document: top-level keys it sets replace earlier values, a
// [[registry]] with a prefix already known replaces that registry, aliases merge. The version 1
// format is refused with a clear error; unknown keys are errors naming source and key.
absl::Status MergeRegistriesToml(std::string_view toml, std::string_view source,
                                 RegistriesConf& conf);

// The main file (a missing one is an empty configuration) and then `dropin_dir`/*.conf in
// lexical order.
absl::StatusOr<RegistriesConf> LoadRegistriesConf(const std::filesystem::path& file,
                                                  const std::filesystem::path& dropin_dir);

// Where to pull a fully qualified reference from, in order: the matching registry's mirrors that
// its pull-from-mirror rules allow for this reference, then the registry (or the reference
// itself when no [[registry]] matches). FailedPrecondition when the registry is blocked.
struct PullSource {
  Reference reference;
  bool insecure = false;
  bool mirror = false;
};
absl::StatusOr<std::vector<PullSource>> PullSources(const RegistriesConf& conf,
                                                    const Reference& reference);

// The fully qualified candidates for a short name: its alias when there is one, otherwise one per
// unqualified-search registry (":latest" added when no tag or digest was given). A CRI runtime
// cannot prompt, so in enforcing mode more than one candidate is an error listing them.
absl::StatusOr<std::vector<Reference>> ResolveShortName(const RegistriesConf& conf,
                                                        const Reference& short_name);

}  // namespace crio::image
