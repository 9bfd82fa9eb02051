#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "crio/storage/lock_file.h"
#include "crio/storage/record_cache.h"

namespace crio::storage {

// One entry of overlay-images/images.json, as containers/storage 1.43 writes it (docs/storage.md).
struct ImageRecord {
  std::string id;      // hex of the config digest for pulled images
  std::string digest;  // the first manifest digest stored
  std::vector<std::string> names;
  std::vector<std::string> names_history;
  std::string top_layer;
  std::vector<std::string> mapped_layers;
  std::string metadata;
  std::vector<std::string> big_data_names;
  std::map<std::string, int64_t> big_data_sizes;
  std::map<std::string, std::string> big_data_digests;
  std::string created;
  nlohmann::ordered_json flags = nlohmann::ordered_json::object();
  nlohmann::ordered_json unknown = nlohmann::ordered_json::object();

  // `digest`, then the digests of every big-data item whose key starts with "manifest",
  // without repeats: what containers/storage computes as the image's digests on load.
  std::vector<std::string> Digests() const;
};

absl::StatusOr<std::vector<ImageRecord>> ParseImages(std::string_view json);
std::string SerializeImages(const std::vector<ImageRecord>& images);

// The file name containers/storage gives a big-data key: the key itself when it is made of
// '.', digits and lower-case letters only, otherwise '=' and the key in standard base64.
std::string BigDataFileName(std::string_view key);

// The images of a containers/storage store: images.json under images.lock, and each image's
// big-data items (manifest, config, ...) in overlay-images/<id>/.
class ImageStore {
 public:
  static absl::StatusOr<std::unique_ptr<ImageStore>> Open(const std::filesystem::path& root);

  // Records image `id` with top layer `top_layer` (which the caller has stored); an existing
  // image of that id and top layer is returned as it is.
  absl::StatusOr<ImageRecord> Create(const std::string& id, const std::string& top_layer,
                                     const std::string& created);
  // Stores a big-data item of an image; a key starting with "manifest" also sets the image's
  // digest when it has none yet.
  absl::Status SetBigData(const std::string& id, const std::string& key, std::string_view data);
  absl::StatusOr<std::string> GetBigData(const std::string& id, const std::string& key);
  // Gives `name` to image `id`, taking it from any other image (which keeps it in its history).
  absl::Status AddName(const std::string& id, const std::string& name);
  // Removes `name` from whichever image holds it.
  absl::Status RemoveName(const std::string& name);

  // By id, name, digest ("sha256:..." of any of its manifests) or unique id prefix.
  absl::StatusOr<ImageRecord> Get(const std::string& reference);
  absl::StatusOr<std::vector<ImageRecord>> List();
  // Removes the record and its big data; the caller removes layers nothing else uses.
  absl::Status Delete(const std::string& id);

  struct OpenTag {
    explicit OpenTag() = default;
  };
  ImageStore(OpenTag, std::filesystem::path dir, std::unique_ptr<LockFile> lock)
      : dir_(std::move(dir)), lock_(std::move(lock)), cache_(*lock_, dir_ / "images.json") {}

 private:
  absl::StatusOr<std::vector<ImageRecord>> LoadLocked();
  absl::Status SaveLocked(const std::vector<ImageRecord>& images);

  std::filesystem::path dir_;  // <root>/overlay-images
  std::unique_ptr<LockFile> lock_;
  RecordCache<ImageRecord> cache_;
};

}  // namespace crio::storage
