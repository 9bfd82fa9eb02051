#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/common/replaceable.h"
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
//
// registries.conf can be replaced while pulls run (a reload): each pull takes a snapshot at its
// start and keeps it to its end, so a pull in flight never sees a mix of old and new rules.
class Puller {
 public:
  // `policy` is what Pull checks when it is given none.
  Puller(storage::Store& store, RegistriesConf registries, Policy policy,
         SystemContext context = {});
  // Without a policy of its own: every pull must be given one.
  Puller(storage::Store& store, RegistriesConf registries, SystemContext context = {});
  ~Puller();

  // `image` as the kubelet sends it (short names resolved through registries.conf). Tries the
  // mirrors and then the registry; the error says what each attempt got. Credentials: the
  // given ones for every source, or when there are none the credentials files (`auth_file`
  // replaces the context's auth_file; see AuthFilePaths). Returns the image id.
  absl::StatusOr<std::string> Pull(const std::string& image, const Credentials& credentials = {},
                                   const std::filesystem::path& auth_file = {});
  // The same with `policy` (a pod namespace's, say) instead of the Puller's own.
  absl::StatusOr<std::string> PullWithPolicy(const std::string& image, const Policy& policy,
                                             const Credentials& credentials = {},
                                             const std::filesystem::path& auth_file = {});

  // The registries.conf that pulls starting from now use.
  void ReplaceRegistries(RegistriesConf registries) { registries_.Replace(std::move(registries)); }
  std::shared_ptr<const RegistriesConf> Registries() const { return registries_.Snapshot(); }

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
  Replaceable<RegistriesConf> registries_;
  std::optional<Policy> policy_;
  SystemContext context_;
  std::unique_ptr<InFlight> in_flight_;
};

}  // namespace crio::image
