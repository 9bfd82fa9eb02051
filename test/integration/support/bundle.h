#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace crio::testing {

struct BundleOptions {
  std::vector<std::string> args = {"sleep", "1000"};
  bool terminal = false;
  std::optional<int64_t> memory_limit;  // bytes
};

// The busybox root filesystem built by test/fixtures (read-only, shared by every test).
std::filesystem::path BusyboxRootfs();

// Writes `dir`/config.json: runc's default spec (`runc spec`) running `options.args` in the
// busybox rootfs, mounted read-only.
void WriteBundle(const std::filesystem::path& dir, const BundleOptions& options);

}  // namespace crio::testing
