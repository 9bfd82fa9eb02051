#include "crio/storage/image_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "crio/common/atomic_file.h"
#include "crio/common/encoding.h"
#include "crio/common/strings.h"
#include "crio/storage/layer_record.h"
#include "json_fields.h"

namespace crio::storage {
namespace {}  // namespace

std::vector<std::string> ImageRecord::Digests() const {
  std::vector<std::string> digests;
  auto add = [&](const std::string& d) {
    if (!d.empty() && std::find(digests.begin(), digests.end(), d) == digests.end())
      digests.push_back(d);
  };
  add(digest);
  for (const std::string& key : big_data_names) {
    auto it = big_data_digests.find(key);
    if (key.starts_with("manifest") && it != big_data_digests.end()) add(it->second);
  }
  return digests;
}

absl::StatusOr<std::vector<ImageRecord>> ParseImages(std::string_view text) {
  std::vector<ImageRecord> images;
  if (IsBlank(text)) return images;
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_array()) {
    return absl::DataLossError("images.json is not a JSON array");
  }
  try {
    for (const Json& item : document) {
      ImageRecord image;
      image.id = Field<std::string>(item, "id", "");
      image.digest = Field<std::string>(item, "digest", "");
      image.names = Field<std::vector<std::string>>(item, "names", {});
      image.names_history = Field<std::vector<std::string>>(item, "names-history", {});
      image.top_layer = Field<std::string>(item, "layer", "");
      image.mapped_layers = Field<std::vector<std::string>>(item, "mapped-layers", {});
      image.metadata = Field<std::string>(item, "metadata", "");
      image.big_data_names = Field<std::vector<std::string>>(item, "big-data-names", {});
      image.big_data_sizes = Field<std::map<std::string, int64_t>>(item, "big-data-sizes", {});
      image.big_data_digests =
          Field<std::map<std::string, std::string>>(item, "big-data-digests", {});
      image.created = Field<std::string>(item, "created", "");
      image.flags = Field<Json>(item, "flags", Json::object());
      image.unknown = UnknownFields(
          item, {"id", "digest", "names", "names-history", "layer", "mapped-layers", "metadata",
                 "big-data-names", "big-data-sizes", "big-data-digests", "created", "flags"});
      if (image.id.empty()) return absl::DataLossError("images.json holds an image without an id");
      images.push_back(std::move(image));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(StrCat("images.json has a field of the wrong type: ", e.what()));
  }
  return images;
}

std::string SerializeImages(const std::vector<ImageRecord>& images) {
  Json document = Json::array();
  for (const ImageRecord& image : images) {
    Json item;
    item["id"] = image.id;
    if (!image.digest.empty()) item["digest"] = image.digest;
    if (!image.names.empty()) item["names"] = image.names;
    if (!image.names_history.empty()) item["names-history"] = image.names_history;
    if (!image.top_layer.empty()) item["layer"] = image.top_layer;
    if (!image.mapped_layers.empty()) item["mapped-layers"] = image.mapped_layers;
    if (!image.metadata.empty()) item["metadata"] = image.metadata;
    if (!image.big_data_names.empty()) item["big-data-names"] = image.big_data_names;
    if (!image.big_data_sizes.empty()) item["big-data-sizes"] = image.big_data_sizes;
    if (!image.big_data_digests.empty()) item["big-data-digests"] = image.big_data_digests;
    item["created"] = image.created.empty() ? "0001-01-01T00:00:00Z" : image.created;
    if (!image.flags.empty()) item["flags"] = image.flags;
    for (const auto& [key, value] : image.unknown.items()) item[key] = value;
    document.push_back(std::move(item));
  }
  return document.dump();
}

std::string BigDataFileName(std::string_view key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
  });
  if (plain) return std::string(key);
  return "=" + Base64Encode(key);
}

absl::StatusOr<std::unique_ptr<ImageStore>> ImageStore::Open(const std::filesystem::path& root) {
  std::filesystem::path dir = root / "overlay-images";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(StrCat("create ", dir.string(), ": ", ec.message()));
  ::chmod(dir.c_str(), 0700);
  absl::StatusOr<std::unique_ptr<LockFile>> lock = LockFile::Open(dir / "images.lock");
  if (!lock.ok()) return lock.status();
  return std::make_unique<ImageStore>(OpenTag{}, dir, std::move(*lock));
}

absl::StatusOr<std::vector<ImageRecord>> ImageStore::LoadLocked() {
  return cache_.Load(ParseImages);
}

absl::Status ImageStore::SaveLocked(const std::vector<ImageRecord>& images) {
  return cache_.Save(images, SerializeImages(images));
}

absl::StatusOr<ImageRecord> ImageStore::Create(const std::string& id, const std::string& top_layer,
                                               const std::string& created) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ImageRecord>> images = LoadLocked();
  if (!images.ok()) return images.status();
  for (const ImageRecord& image : *images) {
    if (image.id != id) continue;
    if (image.top_layer != top_layer) {
      return absl::AlreadyExistsError(StrCat("image ", id, " exists with another top layer"));
    }
    return image;
  }
  ImageRecord image;
  image.id = id;
  image.top_layer = top_layer;
  image.created = created.empty() ? CreatedNow() : created;
  images->push_back(image);
  if (auto status = SaveLocked(*images); !status.ok()) return status;
  return image;
}

absl::Status ImageStore::SetBigData(const std::string& id, const std::string& key,
                                    std::string_view data) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ImageRecord>> images = LoadLocked();
  if (!images.ok()) return images.status();
  auto image = std::find_if(images->begin(), images->end(),
                            [&](const ImageRecord& i) { return i.id == id; });
  if (image == images->end()) return absl::NotFoundError(StrCat("image ", id, " does not exist"));
  std::filesystem::path dir = dir_ / id;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  if (auto status = WriteFileAtomically(dir / BigDataFileName(key), data, 0600); !status.ok())
    return status;
  if (std::find(image->big_data_names.begin(), image->big_data_names.end(), key) ==
      image->big_data_names.end()) {
    image->big_data_names.push_back(key);
  }
  image->big_data_sizes[key] = static_cast<int64_t>(data.size());
  std::string digest = Sha256Digest(data);
  image->big_data_digests[key] = digest;
  if (key.starts_with("manifest") && image->digest.empty()) image->digest = digest;
  return SaveLocked(*images);
}

absl::StatusOr<std::string> ImageStore::GetBigData(const std::string& id, const std::string& key) {
  SharedLock lock(*lock_);
  return ReadFile(dir_ / id / BigDataFileName(key));
}

absl::Status ImageStore::AddName(const std::string& id, const std::string& name) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ImageRecord>> images = LoadLocked();
  if (!images.ok()) return images.status();
  auto target = std::find_if(images->begin(), images->end(),
                             [&](const ImageRecord& i) { return i.id == id; });
  if (target == images->end()) return absl::NotFoundError(StrCat("image ", id, " does not exist"));
  for (ImageRecord& image : *images) {
    if (image.id != id) std::erase(image.names, name);
  }
  if (std::find(target->names.begin(), target->names.end(), name) == target->names.end()) {
    target->names.push_back(name);
  }
  std::erase(target->names_history, name);
  target->names_history.insert(target->names_history.begin(), name);
  return SaveLocked(*images);
}

absl::Status ImageStore::RemoveName(const std::string& name) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ImageRecord>> images = LoadLocked();
  if (!images.ok()) return images.status();
  for (ImageRecord& image : *images) std::erase(image.names, name);
  return SaveLocked(*images);
}

absl::StatusOr<std::vector<ImageRecord>> ImageStore::List() {
  SharedLock lock(*lock_);
  return LoadLocked();
}

absl::StatusOr<ImageRecord> ImageStore::Get(const std::string& reference) {
  absl::StatusOr<std::vector<ImageRecord>> images = List();
  if (!images.ok()) return images.status();
  const ImageRecord* by_prefix = nullptr;
  int prefix_matches = 0;
  for (const ImageRecord& image : *images) {
    if (image.id == reference) return image;
    if (std::find(image.names.begin(), image.names.end(), reference) != image.names.end())
      return image;
    std::vector<std::string> digests = image.Digests();
    if (std::find(digests.begin(), digests.end(), reference) != digests.end()) return image;
    if (!reference.empty() && image.id.starts_with(reference)) {
      by_prefix = &image;
      ++prefix_matches;
    }
  }
  if (prefix_matches == 1) return *by_prefix;
  if (prefix_matches > 1)
    return absl::InvalidArgumentError(StrCat("image id prefix ", reference, " is ambiguous"));
  return absl::NotFoundError(StrCat("image ", reference, " does not exist"));
}

absl::Status ImageStore::Delete(const std::string& id) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ImageRecord>> images = LoadLocked();
  if (!images.ok()) return images.status();
  size_t before = images->size();
  std::erase_if(*images, [&](const ImageRecord& i) { return i.id == id; });
  if (images->size() == before) return absl::NotFoundError(StrCat("image ", id, " does not exist"));
  std::error_code ec;
  std::filesystem::remove_all(dir_ / id, ec);
  return SaveLocked(*images);
}

}  // namespace crio::storage
