#include "crio/image/image_manager.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"
#include "crio/image/puller.h"

namespace crio::image {
namespace {

// pinned_images patterns: exact, "prefix*" or "*keyword*".
bool MatchesPattern(std::string_view pattern, std::string_view name) {
  if (pattern.size() >= 2 && pattern.front() == '*' && pattern.back() == '*') {
    return name.find(pattern.substr(1, pattern.size() - 2)) != std::string_view::npos;
  }
  if (!pattern.empty() && pattern.back() == '*')
    return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == name;
}

}  // namespace

ImageManager::ImageManager(storage::Store& store, RegistriesConf registries,
                           absl::StatusOr<Policy> policy, std::vector<std::string> pinned_patterns,
                           SystemContext context)
    : store_(store),
      registries_(std::move(registries)),
      policy_(std::move(policy)),
      pinned_patterns_(std::move(pinned_patterns)) {
  if (policy_.ok()) {
    puller_ = std::make_unique<Puller>(store_, registries_, *policy_, std::move(context));
  }
}

ImageManager::~ImageManager() = default;

std::vector<std::shared_ptr<const PullProgress>> ImageManager::ActivePulls() const {
  if (puller_ == nullptr) return {};
  return puller_->Active();
}

absl::StatusOr<std::string> ImageManager::Pull(const std::string& image,
                                               const Credentials& credentials,
                                               const std::filesystem::path& auth_file) {
  if (!policy_.ok()) {
    return absl::FailedPreconditionError(StrCat(
        "cannot pull ", image, ": no usable signature policy: ", View(policy_.status().message())));
  }
  return puller_->Pull(image, credentials, auth_file);
}

absl::StatusOr<storage::ImageRecord> ImageManager::Find(const std::string& reference) {
  absl::StatusOr<storage::ImageRecord> exact = store_.images().Get(reference);
  if (exact.ok() || !absl::IsNotFound(exact.status())) return exact;
  absl::StatusOr<Reference> parsed = ParseReference(reference);
  if (!parsed.ok()) return exact.status();
  std::vector<Reference> candidates;
  if (parsed->qualified()) {
    candidates.push_back(*ParseNormalizedReference(reference));
  } else {
    RegistriesConf permissive = registries_;
    permissive.short_name_mode = "permissive";  // looking up stored images needs no prompt
    if (auto resolved = ResolveShortName(permissive, *parsed); resolved.ok())
      candidates = *resolved;
    candidates.push_back(*ParseNormalizedReference(reference));
  }
  for (const Reference& candidate : candidates) {
    absl::StatusOr<storage::ImageRecord> found = store_.images().Get(candidate.String());
    if (found.ok()) return found;
  }
  return exact.status();
}

bool ImageManager::IsPinned(const storage::ImageRecord& record) const {
  for (const std::string& pattern : pinned_patterns_) {
    for (const std::string& name : record.names) {
      if (MatchesPattern(pattern, name)) return true;
    }
  }
  return false;
}

ImageInfo ImageManager::Describe(const storage::ImageRecord& record,
                                 const std::map<std::string, storage::LayerRecord>& layers) {
  ImageInfo info;
  info.id = record.id;
  std::vector<std::string> digests = record.Digests();
  for (const std::string& name : record.names) {
    absl::StatusOr<Reference> reference = ParseReference(name);
    if (!reference.ok()) continue;
    if (!reference->tag.empty() && reference->digest.empty()) info.repo_tags.push_back(name);
    for (const std::string& digest : digests) {
      std::string repo_digest = StrCat(reference->Name(), "@", digest);
      if (std::find(info.repo_digests.begin(), info.repo_digests.end(), repo_digest) ==
          info.repo_digests.end()) {
        info.repo_digests.push_back(repo_digest);
      }
    }
  }
  // The size of an image is the sum of its layers' uncompressed sizes.
  for (auto layer = layers.find(record.top_layer); layer != layers.end();
       layer = layers.find(layer->second.parent)) {
    info.size += static_cast<uint64_t>(layer->second.uncompressed_size);
  }
  absl::StatusOr<std::string> config = store_.images().GetBigData(
      record.id, (record.id.size() == 128 ? "sha512:" : "sha256:") + record.id);
  if (config.ok()) {
    info.config = *config;
    auto json = nlohmann::json::parse(*config, nullptr, false);
    std::string user =
        json.is_object() ? json.value("config", nlohmann::json::object()).value("User", "") : "";
    std::string uid_part = user.substr(0, user.find(':'));
    if (!uid_part.empty() && uid_part.find_first_not_of("0123456789") == std::string::npos) {
      info.uid = std::stoll(uid_part);
    } else if (!uid_part.empty()) {
      info.username = uid_part;
    } else {
      info.uid = 0;  // no User: the image runs as root
    }
  }
  info.pinned = IsPinned(record);
  return info;
}

absl::StatusOr<std::map<std::string, storage::LayerRecord>> ImageManager::LayersById() {
  // One read of layers.json for all the images described, not one per layer.
  absl::StatusOr<std::vector<storage::LayerRecord>> layers = store_.layers().List();
  if (!layers.ok()) return layers.status();
  std::map<std::string, storage::LayerRecord> by_id;
  for (storage::LayerRecord& layer : *layers) {
    std::string id = layer.id;
    by_id.emplace(std::move(id), std::move(layer));
  }
  return by_id;
}

absl::StatusOr<std::vector<ImageInfo>> ImageManager::List(const std::string& reference) {
  std::vector<storage::ImageRecord> records;
  if (!reference.empty()) {
    absl::StatusOr<storage::ImageRecord> record = Find(reference);
    if (record.ok()) records.push_back(*std::move(record));
  } else {
    absl::StatusOr<std::vector<storage::ImageRecord>> all = store_.images().List();
    if (!all.ok()) return all.status();
    records = *std::move(all);
  }
  absl::StatusOr<std::map<std::string, storage::LayerRecord>> layers = LayersById();
  if (!layers.ok()) return layers.status();
  std::vector<ImageInfo> infos;
  for (const storage::ImageRecord& record : records) infos.push_back(Describe(record, *layers));
  return infos;
}

absl::StatusOr<ImageInfo> ImageManager::Status(const std::string& reference) {
  absl::StatusOr<storage::ImageRecord> record = Find(reference);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::map<std::string, storage::LayerRecord>> layers = LayersById();
  if (!layers.ok()) return layers.status();
  return Describe(*record, *layers);
}

absl::Status ImageManager::Remove(const std::string& reference) {
  absl::StatusOr<storage::ImageRecord> record = Find(reference);
  if (absl::IsNotFound(record.status())) return absl::OkStatus();
  if (!record.ok()) return record.status();
  // A name the image was found by (normalized or not) untags; an id or digest deletes.
  std::string by = reference;
  if (std::find(record->names.begin(), record->names.end(), by) == record->names.end()) {
    if (auto normalized = ParseNormalizedReference(reference); normalized.ok())
      by = normalized->String();
  }
  bool by_name = std::find(record->names.begin(), record->names.end(), by) != record->names.end();
  absl::StatusOr<storage::Removal> removal = store_.RemoveImage(by_name ? by : record->id);
  return removal.status();
}

}  // namespace crio::image
