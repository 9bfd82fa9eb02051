// Storage benchmark: store a generated image of 8 gzip layers (256 MiB uncompressed) from a local
// OCI layout into an empty store, with our layer store and with `skopeo copy ...
// containers-storage:` (the containers/image + containers/storage stack CRI-O uses), in the same
// run. Prints figures.
//
//   build/bench/storage_bench [layers=8] [MiB per layer=32]
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"
#include "crio/storage/store.h"
#include "generated_image.h"

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<bench::GeneratedImage> generated =
      bench::GenerateImageFromArgs(MAKE_IMAGE_SCRIPT, argc, argv);
  if (!generated) return 1;
  std::filesystem::path dir = generated->dir;
  std::filesystem::path image = generated->layout;
  nlohmann::json index = nlohmann::json::parse(ReadAll(image / "index.json"));
  nlohmann::json manifest = nlohmann::json::parse(ReadAll(
      image / "blobs" / "sha256" / index["manifests"][0]["digest"].get<std::string>().substr(7)));
  nlohmann::json config = nlohmann::json::parse(ReadAll(
      image / "blobs" / "sha256" / manifest["config"]["digest"].get<std::string>().substr(7)));
  double total_mib = 0;
  uint64_t compressed = 0;

  // Ours: every layer streamed from its blob into the store, as a pull would.
  crio::storage::StoreOptions ours;
  ours.root = dir / "ours-root";
  ours.runroot = dir / "ours-run";
  bench::DropCaches();
  absl::Time start = absl::Now();
  {
    auto store = crio::storage::Store::Open(ours);
    std::string parent;
    for (size_t i = 0; i < manifest["layers"].size(); ++i) {
      std::string digest = manifest["layers"][i]["digest"];
      crio::UniqueFd fd(
          ::open((image / "blobs" / "sha256" / digest.substr(7)).c_str(), O_RDONLY | O_CLOEXEC));
      crio::storage::FdSource source(fd.get());
      std::string id =
          crio::storage::PulledLayerId(parent, config["rootfs"]["diff_ids"][i].get<std::string>());
      auto layer = (*store)->layers().CreateFromStream(id, parent, source);
      if (!layer.ok()) {
        std::fprintf(stderr, "layer %zu: %s\n", i, std::string(layer.status().message()).c_str());
        return 1;
      }
      total_mib += static_cast<double>(layer->uncompressed_size) / (1 << 20);
      compressed += static_cast<uint64_t>(layer->compressed_size);
      parent = id;
    }
    ::sync();
    (void)(*store)->Shutdown();
  }
  double ours_s = absl::ToDoubleSeconds(absl::Now() - start);

  // skopeo into a containers/storage store of its own.
  std::filesystem::path skopeo_root = dir / "skopeo-root";
  std::filesystem::path skopeo_run = dir / "skopeo-run";
  bench::DropCaches();
  start = absl::Now();
  auto copied = crio::RunCommand({"skopeo", "copy", "-q", "oci:" + image.string() + ":latest",
                                  "containers-storage:[overlay@" + skopeo_root.string() + "+" +
                                      skopeo_run.string() + "]bench:1"},
                                 {}, absl::Minutes(10));
  ::sync();
  double skopeo_s = absl::ToDoubleSeconds(absl::Now() - start);
  if (!copied.ok() || copied->exit_code != 0) {
    std::fprintf(stderr, "skopeo failed: %s\n", copied.ok() ? copied->err.c_str() : "");
    return 1;
  }
  (void)crio::RunCommand({"containers-storage", "-g", skopeo_root.string(), "-R",
                          skopeo_run.string(), "shutdown", "-f"});

  std::printf("%zu layers, %.0f MiB uncompressed, %.0f MiB gzip\n", manifest["layers"].size(),
              total_mib, static_cast<double>(compressed) / (1 << 20));
  std::printf("%-32s %10s %10s\n", "", "seconds", "MiB/s");
  std::printf("%-32s %10.2f %10.1f\n", "crio-cpp layer store", ours_s, total_mib / ours_s);
  std::printf("%-32s %10.2f %10.1f\n", "skopeo copy (c/image+c/storage)", skopeo_s,
              total_mib / skopeo_s);
  std::printf("ratio ours/skopeo: %.2f\n", ours_s / skopeo_s);
  std::filesystem::remove_all(dir);
  return 0;
}
