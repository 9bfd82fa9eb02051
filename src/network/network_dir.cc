#include <unistd.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "absl/status/status.h"
#include "crio/common/strings.h"
#include "crio/network/cni_config.h"

namespace crio::network {
namespace {

bool IsConfigFile(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  return extension == ".conflist" || extension == ".conf" || extension == ".json";
}

std::string WithTrailingSlash(const std::filesystem::path& dir) {
  std::string text = dir.string();
  if (text.empty() || text.back() != '/') text += '/';
  return text;
}

}  // namespace

absl::StatusOr<std::filesystem::path> FindPlugin(std::string_view type,
                                                 const std::vector<std::filesystem::path>& dirs) {
  for (const auto& dir : dirs) {
    std::filesystem::path candidate = dir / std::string(type);
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  std::vector<std::string> names;
  for (const auto& dir : dirs) names.push_back(dir.string());
  return absl::FailedPreconditionError(
      StrCat("no executable plugin \"", type, "\" in ", StrJoin(names, ":")));
}

NetworkDirScan ScanNetworkDir(const std::filesystem::path& dir,
                              const std::vector<std::filesystem::path>& plugin_dirs) {
  NetworkDirScan scan;
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code type_error;
    // Through symlinks: configuration management often links files into place.
    if (IsConfigFile(it->path()) && std::filesystem::is_regular_file(it->path(), type_error)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());

  std::map<std::string, std::filesystem::path> names;
  for (const auto& file : files) {
    absl::StatusOr<NetworkConfigList> list = LoadConfigFile(file);
    if (!list.ok()) {
      scan.skipped.push_back({file, std::string(list.status().message())});
      continue;
    }
    std::string missing;
    for (const auto& plugin : list->plugins) {
      absl::StatusOr<std::filesystem::path> binary = FindPlugin(plugin.type, plugin_dirs);
      if (!binary.ok()) {
        missing = StrCat(file.string(), ": ", binary.status().message());
        break;
      }
    }
    if (!missing.empty()) {
      scan.skipped.push_back({file, missing});
      continue;
    }
    auto [previous, inserted] = names.emplace(list->name, file);
    if (!inserted) {
      scan.skipped.push_back(
          {file, StrCat(file.string(), ": network \"", list->name, "\" is already defined by ",
                        previous->second.string())});
      continue;
    }
    scan.networks.push_back(*std::move(list));
  }
  return scan;
}

absl::StatusOr<size_t> SelectDefaultNetwork(const NetworkDirScan& scan, std::string_view wanted,
                                            const std::filesystem::path& dir) {
  if (wanted.empty()) {
    if (!scan.networks.empty()) return 0;
    // CRI-O's words, which operators and documentation search for.
    return absl::FailedPreconditionError(StrCat("No CNI configuration file in ",
                                                WithTrailingSlash(dir),
                                                ". Has your network provider started?"));
  }
  for (size_t i = 0; i < scan.networks.size(); ++i) {
    if (scan.networks[i].name == wanted) return i;
  }
  std::string problem = StrCat("the default network \"", wanted,
                               "\" (cni_default_network) is not defined by any valid "
                               "configuration file in ",
                               WithTrailingSlash(dir));
  if (!scan.skipped.empty()) StrAppend(&problem, " (", scan.skipped.size(), " file(s) skipped)");
  return absl::FailedPreconditionError(problem);
}

}  // namespace crio::network
