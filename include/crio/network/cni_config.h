#pragma once

// CNI network configuration lists: parsing one file, and scanning network_dir the way libcni
// users (CRI-O, containerd) do.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crio::network {

// The versions we can drive. 0.1.0 and 0.2.0 lack chaining and the rich result, so configs
// asking for them are skipped.
inline constexpr std::string_view kSupportedCniVersions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0",
                                                             "1.1.0"};
bool IsSupportedCniVersion(std::string_view version);
// Orders dotted versions numerically ("0.10.0" > "0.4.0"): negative, zero or positive.
int CompareCniVersions(std::string_view a, std::string_view b);

struct PluginConfig {
  std::string type;
  nlohmann::json conf;  // the plugin's object as written
  // Whether the plugin declares `name` in its "capabilities" map.
  bool HasCapability(std::string_view name) const;
};

struct NetworkConfigList {
  std::string name;
  std::string cni_version;  // the one in use (the best of "cniVersions" when present)
  bool disable_check = false;
  bool disable_gc = false;
  std::vector<PluginConfig> plugins;
  // The list's exact bytes, which the cache stores: the file's content for a .conflist, the
  // synthesized list for a single-plugin .conf/.json.
  std::string bytes;
  std::filesystem::path source;  // the file, or a description for a cached config
};

// A configuration list (.conflist). `source` names it in errors.
absl::StatusOr<NetworkConfigList> ParseConfigList(std::string_view bytes, std::string_view source);
// A single-plugin configuration (.conf, .json), wrapped into a one-plugin list.
absl::StatusOr<NetworkConfigList> ParseSingleConfig(std::string_view bytes,
                                                    std::string_view source);
// Either of the above, by the file's extension.
absl::StatusOr<NetworkConfigList> LoadConfigFile(const std::filesystem::path& path);

// The executable for plugin `type`: the first dir of `plugin_dirs` that has it.
absl::StatusOr<std::filesystem::path> FindPlugin(std::string_view type,
                                                 const std::vector<std::filesystem::path>& dirs);

struct SkippedConfig {
  std::filesystem::path file;
  std::string reason;
};

struct NetworkDirScan {
  std::vector<NetworkConfigList> networks;  // valid ones, in file-name order
  std::vector<SkippedConfig> skipped;
};

// Every *.conflist, *.conf and *.json file of `dir` in lexical order of file names. Files that
// do not parse or validate, name a plugin missing from `plugin_dirs`, or reuse the name of an
// earlier network, are skipped with the reason. A missing directory is an empty scan.
NetworkDirScan ScanNetworkDir(const std::filesystem::path& dir,
                              const std::vector<std::filesystem::path>& plugin_dirs);

// The index of the default network in `scan`: the one named `wanted`, or the first when `wanted`
// is empty. The error message (FailedPrecondition) says why there is none, for the NetworkReady
// condition.
absl::StatusOr<size_t> SelectDefaultNetwork(const NetworkDirScan& scan, std::string_view wanted,
                                            const std::filesystem::path& dir);

}  // namespace crio::network
