#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/image/policy.h"
#include "crio/image/registries.h"
#include "crio/image/registry_client.h"
#include "crio/storage/store.h"

namespace crio::image {

// Pulls images from registries into the store the way containers/image does, so podman sees
// the same image: the layers of an image download in parallel (at most
// SystemContext::max_parallel_downloads at a time); the next layer to apply streams from the
// network through decompression into the layer store, the ones fetched ahead of their turn wait
// in unlinked temporary files. Every blob is checked against its digest (sha256 or sha512) and
// size while it arrives, and each layer against its DiffID. Then the image record with its
// config and manifests as big data and its name. A failed pull removes what it added.
//
// Pull may be called from many threads at once: concurrent pulls of one image, or of images that
// share layers, fetch each shared blob once (the later pulls wait for the first).
class Puller {
 public:
  Puller(storage::Store& store, RegistriesConf registries, Policy policy,
         SystemContext context = {});
  ~Puller();

  // `image` as the kubelet sends it (short names resolved through registries.conf). Tries the
  // mirrors and then the registry; the error says what each attempt got. Credentials: the
  // given ones for every source, or when there are none the credentials files (`auth_file`
  // replaces the context's auth_file; see AuthFilePaths). Returns the image id.
  absl::StatusOr<std::string> Pull(const std::string& image, const Credentials& credentials = {},
                                   const std::filesystem::path& auth_file = {});

  // The progress of every pull in flight, oldest first.
  std::vector<std::shared_ptr<const PullProgress>> Active() const;

 private:
  struct InFlight;
  struct LayerJob;
  absl::StatusOr<std::string> PullFrom(const PullSource& source, const Reference& name,
                                       const Credentials& credentials,
                                       const std::shared_ptr<PullProgress>& progress);
  absl::Status PullLayers(RegistryClient& client, const Reference& at,
                          std::vector<std::unique_ptr<LayerJob>>& jobs,
                          std::vector<std::string>& created,
                          const std::shared_ptr<PullProgress>& progress);
  absl::Status StreamLayer(RegistryClient& client, const Reference& at, LayerJob& job,
                           const std::shared_ptr<PullProgress>& progress);
  absl::Status DownloadLayer(RegistryClient& client, const Reference& at, LayerJob& job,
                             const std::atomic<bool>& cancelled, PullProgress& progress);
  absl::Status ApplyDownloaded(LayerJob& job, const std::shared_ptr<PullProgress>& progress);
  void RollBack(const std::vector<std::string>& created);

  storage::Store& store_;
  RegistriesConf registries_;
  Policy policy_;
  SystemContext context_;
  std::unique_ptr<InFlight> in_flight_;
};

}  // namespace crio::image
