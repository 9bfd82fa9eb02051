#pragma once

// Command lines of the containers/storage tools that share a store with us, for the interop
// tests: `containers-storage` (the library's own CLI) and podman, pointed at a test's store.

#include <filesystem>
#include <string>
#include <vector>

namespace crio::testing {

// containers-storage -g ROOT -R RUNROOT -s overlay ARGS...
inline std::vector<std::string> ContainersStorageCommand(const std::filesystem::path& root,
                                                         const std::filesystem::path& runroot,
                                                         std::vector<std::string> args) {
  std::vector<std::string> argv = {"containers-storage", "-g", root.string(), "-R",
                                   runroot.string(),     "-s", "overlay"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// podman --root ROOT --runroot RUNROOT --storage-driver overlay --tmpdir TMPDIR ARGS...
inline std::vector<std::string> PodmanCommand(const std::filesystem::path& root,
                                              const std::filesystem::path& runroot,
                                              const std::filesystem::path& tmpdir,
                                              std::vector<std::string> args) {
  std::vector<std::string> argv = {"podman",    "--root",         root.string(),
                                   "--runroot", runroot.string(), "--storage-driver",
                                   "overlay",   "--tmpdir",       tmpdir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace crio::testing
