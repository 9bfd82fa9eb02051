#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/image/policy.h"
#include "crio/image/puller.h"
#include "crio/image/registries.h"
#include "crio/image/registry_client.h"
#include "crio/storage/store.h"

namespace crio::image {

// What the ImageService RPCs report about an image.
struct ImageInfo {
  std::string id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  uint64_t size = 0;
  std::optional<int64_t> uid;  // from the config's User when numeric
  std::string username;        // from the config's User when a name
  bool pinned = false;
  std::string config;  // the image config JSON
};

// Where the signature policy of a pull comes from. The files are read at every pull, as
// containers/image reads policy.json for every copy, so an edited policy applies to the next pull.
struct PolicyFiles {
  std::filesystem::path global;  // signature_policy, or /etc/containers/policy.json
  // signature_policy_dir: <dir>/<namespace>.json, when it exists, replaces the global policy for
  // the pulls of that pod namespace. Empty: no per-namespace policies.
  std::filesystem::path namespace_dir;
};

// The image operations of the CRI on top of the store: pull (through the Puller), list, status,
// remove and file system usage, with CRI-O's naming rules (repo tags, repo digests) and pinning.
//
// registries.conf and the pinned patterns can be replaced at any time (a reload); a pull keeps the
// registries.conf it started with.
class ImageManager {
 public:
  // `context` says how registries are reached (certs.d, credentials file, progress timeout,
  // parallel downloads).
  ImageManager(storage::Store& store, RegistriesConf registries, PolicyFiles policy,
               std::vector<std::string> pinned_patterns, SystemContext context = {});
  ~ImageManager();

  // Safe to call from many threads; concurrent pulls share what they fetch. `auth_file`, when
  // set, replaces the global credentials file (pause_image_auth_file for the pause image).
  // `pod_namespace` (the pod's, when the kubelet sends its sandbox config) picks the namespace's
  // signature policy when it has one.
  absl::StatusOr<std::string> Pull(const std::string& image, const Credentials& credentials,
                                   const std::filesystem::path& auth_file = {},
                                   const std::string& pod_namespace = {});
  // The policy file the pulls for `pod_namespace` (empty: no pod) are checked against.
  absl::StatusOr<std::filesystem::path> PolicyPathFor(const std::string& pod_namespace) const;
  // The progress of the pulls in flight.
  std::vector<std::shared_ptr<const PullProgress>> ActivePulls() const;
  // Every image, or those `reference` names when it is not empty.
  absl::StatusOr<std::vector<ImageInfo>> List(const std::string& reference);
  // NotFound when no image matches.
  absl::StatusOr<ImageInfo> Status(const std::string& reference);
  // By id, name or digest; a name the image shares with other names only untags. A missing
  // image is not an error (the CRI wants RemoveImage idempotent).
  absl::Status Remove(const std::string& reference);
  absl::StatusOr<storage::StoreUsage> Usage() { return store_.DiskUsage(); }
  // The store's graph root, where ImageFsInfo says the usage is.
  std::string StorageRoot() const { return store_.options().root.string(); }

  // For pulls that start from now on, and for finding images by short name.
  void ReplaceRegistries(RegistriesConf registries);
  // Which images ImageStatus and ListImages report as pinned from now on.
  void ReplacePinnedImages(std::vector<std::string> patterns);

 private:
  using Patterns = std::vector<std::string>;
  absl::StatusOr<storage::ImageRecord> Find(const std::string& reference);
  absl::StatusOr<std::map<std::string, storage::LayerRecord>> LayersById();
  ImageInfo Describe(const storage::ImageRecord& record,
                     const std::map<std::string, storage::LayerRecord>& layers,
                     const Patterns& pinned);

  storage::Store& store_;
  PolicyFiles policy_files_;
  Replaceable<Patterns> pinned_patterns_;
  std::unique_ptr<Puller> puller_;  // holds registries.conf
};

}  // namespace crio::image
