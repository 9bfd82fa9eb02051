#pragma once

// What the storage and pull benchmarks share: a scratch directory with a generated OCI layout
// (bench/make-layered-image.sh), and a cold page cache before each timed series.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"

namespace bench {

struct GeneratedImage {
  std::filesystem::path dir;     // a fresh directory under /tmp for the whole run
  std::filesystem::path layout;  // <dir>/image: the OCI layout
  std::string layers;            // how many layers it has
};

// Becomes a subreaper (children of the stores' helpers are collected), makes the directory and
// generates `layers` layers of `mib` MiB each; nullopt (with the reason printed) on failure.
inline std::optional<GeneratedImage> GenerateImage(const std::string& script,
                                                   const std::string& layers,
                                                   const std::string& mib) {
  (void)crio::Reaper::Get().BecomeSubreaper();
  char dir_template[] = "/tmp/crio-bench-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return std::nullopt;
  GeneratedImage image{dir_template, std::filesystem::path(dir_template) / "image", layers};
  std::printf("generating an OCI layout of %s layers x %s MiB...\n", layers.c_str(), mib.c_str());
  auto generated =
      crio::RunCommand({script, image.layout.string(), layers, mib}, {}, absl::Minutes(10));
  if (!generated.ok() || generated->exit_code != 0) {
    std::fprintf(stderr, "generating the image failed\n");
    return std::nullopt;
  }
  return image;
}

// GenerateImage with the benchmark's command line: [LAYERS, default 8] [MIB per layer, default 32].
inline std::optional<GeneratedImage> GenerateImageFromArgs(const std::string& script, int argc,
                                                           char** argv) {
  return GenerateImage(script, argc > 1 ? argv[1] : "8", argc > 2 ? argv[2] : "32");
}

// Writes dirty pages out and drops the page cache, so every series starts cold.
inline void DropCaches() {
  ::sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "1";
}

}  // namespace bench
