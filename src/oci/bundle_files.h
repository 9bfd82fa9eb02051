#pragma once

// Short-lived files a runtime operation puts in a container's bundle (exec process specs, pid
// and log files), named so concurrent operations never collide.

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace crio::oci {

inline std::string RandomSuffix() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(generator()));
  return buffer;
}

// Deletes a file when it goes out of scope.
struct TempFile {
  std::filesystem::path path;
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// The process an exec runs: the container's own process (user, env, cwd, capabilities...) from
// its bundle's config.json with `command` as the arguments, as CRI-O does.
absl::StatusOr<nlohmann::json> ExecProcessSpec(const std::string& id,
                                               const std::filesystem::path& bundle,
                                               const std::vector<std::string>& command);

}  // namespace crio::oci
