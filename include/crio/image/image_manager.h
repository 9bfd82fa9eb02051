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

// The image operations of the CRI on top of the store: pull (through the Puller), list, status,
// remove and file system usage, with CRI-O's naming rules (repo tags, repo digests) and pinning.
class ImageManager {
 public:
  // `policy` is the status of loading the signature policy: pulls fail with it when it is not OK.
  // `context` says how registries are reached (certs.d, credentials file, progress timeout,
  // parallel downloads).
  ImageManager(storage::Store& store, RegistriesConf registries, absl::StatusOr<Policy> policy,
               std::vector<std::string> pinned_patterns, SystemContext context = {});
  ~ImageManager();

  // Safe to call from many threads; concurrent pulls share what they fetch. `auth_file`, when
  // set, replaces the global credentials file (pause_image_auth_file for the pause image).
  absl::StatusOr<std::string> Pull(const std::string& image, const Credentials& credentials,
                                   const std::filesystem::path& auth_file = {});
  // The progress of the pulls in flight (none when the policy did not load).
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

 private:
  absl::StatusOr<storage::ImageRecord> Find(const std::string& reference);
  absl::StatusOr<std::map<std::string, storage::LayerRecord>> LayersById();
  ImageInfo Describe(const storage::ImageRecord& record,
                     const std::map<std::string, storage::LayerRecord>& layers);
  bool IsPinned(const storage::ImageRecord& record) const;

  storage::Store& store_;
  RegistriesConf registries_;
  absl::StatusOr<Policy> policy_;
  std::vector<std::string> pinned_patterns_;
  std::unique_ptr<Puller> puller_;  // when the policy loaded
};

}  // namespace crio::image
