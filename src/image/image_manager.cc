#include "crio/image/image_manager.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "crio/common/log.h"
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

bool IsPinned(const std::vector<std::string>& patterns, const storage::ImageRecord& record) {
  for (const std::string& pattern : patterns) {
    for (const std::string& name : record.names) {
      if (MatchesPattern(pattern, name)) return true;
    }
  }
  return false;
}

}  // namespace

ImageManager::ImageManager(storage::Store& store, RegistriesConf registries, PolicyFiles policy,
                           std::vector<std::string> pinned_patterns, SystemContext context)
    : store_(store),
      policy_files_(std::move(policy)),
      pinned_patterns_(std::move(pinned_patterns)),
      puller_(std::make_unique<Puller>(store_, std::move(registries), std::move(context))) {}

ImageManager::~ImageManager() = default;

std::vector<std::shared_ptr<const PullProgress>> ImageManager::ActivePulls() const {
  return puller_->Active();
}

void ImageManager::ReplaceRegistries(RegistriesConf registries) {
  puller_->ReplaceRegistries(std::move(registries));
}

void ImageManager::ReplacePinnedImages(std::vector<std::string> patterns) {
  pinned_patterns_.Replace(std::move(patterns));
}

absl::StatusOr<std::filesystem::path> ImageManager::PolicyPathFor(
    const std::string& pod_namespace) const {
  if (pod_namespace.empty() || policy_files_.namespace_dir.empty()) return policy_files_.global;
  // A namespace is a DNS label; anything that could leave the directory is not one.
  if (pod_namespace.find('/') != std::string::npos || pod_namespace == "." ||
      pod_namespace == "..") {
    return absl::InvalidArgumentError(
        StrCat("pod namespace \"", pod_namespace, "\" is not a valid namespace name"));
  }
  std::filesystem::path own = policy_files_.namespace_dir / (pod_namespace + ".json");
  std::error_code error;
  if (std::filesystem::exists(own, error)) return own;
  // Only a missing file falls back to the global policy: one we cannot look at is an error, not
  // a reason to apply a policy that may be more permissive.
  if (error) {
    return absl::FailedPreconditionError(StrCat("cannot read the signature policy ", own.string(),
                                                " of namespace ", pod_namespace, ": ",
                                                error.message()));
  }
  return policy_files_.global;
}

absl::StatusOr<std::string> ImageManager::Pull(const std::string& image,
                                               const Credentials& credentials,
                                               const std::filesystem::path& auth_file,
                                               const std::string& pod_namespace) {
  absl::StatusOr<std::filesystem::path> path = PolicyPathFor(pod_namespace);
  if (!path.ok()) {
    return absl::Status(path.status().code(),
                        StrCat("cannot pull ", image, ": ", View(path.status().message())));
  }
  absl::StatusOr<Policy> policy = Policy::Load(*path);
  if (!policy.ok()) {
    return absl::FailedPreconditionError(StrCat(
        "cannot pull ", image, ": no usable signature policy: ", View(policy.status().message())));
  }
  if (*path != policy_files_.global) {
    spdlog::info("Pulling {} under the signature policy {} of namespace {}", image, path->string(),
                 pod_namespace);
  }
  return puller_->PullWithPolicy(image, *policy, credentials, auth_file);
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
    RegistriesConf permissive = *puller_->Registries();
    permissive.short_name_mode = "permissive";  // looking up stored images needs no prompt
    if (auto resolved = ResolveShortName(permissive, *parsed); resolved.ok())
      candidates = *resolved;
    candidates.push_back(*ParseNormalizedReference(reference));
  }
  for (const Reference& candidate : candidates) {
    absl::StatusOr<storage::ImageRecord> found = store_.images().Get(candidate.String());
    if (found.ok()) return found;
  }
  // repo@digest: an image pulled by tag is named by its tag only, and known by that digest, as
  // containers/storage finds it (ImagesByDigest, then a name of the same repository).
  if (std::none_of(candidates.begin(), candidates.end(),
                   [](const Reference& c) { return !c.digest.empty(); })) {
    return exact.status();
  }
  absl::StatusOr<std::vector<storage::ImageRecord>> images = store_.images().List();
  if (!images.ok()) return images.status();
  for (const Reference& candidate : candidates) {
    if (candidate.digest.empty()) continue;
    for (const storage::ImageRecord& image : *images) {
      std::vector<std::string> digests = image.Digests();
      if (std::find(digests.begin(), digests.end(), candidate.digest) == digests.end()) continue;
      for (const std::string& name : image.names) {
        absl::StatusOr<Reference> named = ParseReference(name);
        if (named.ok() && named->Name() == candidate.Name()) return image;
      }
    }
  }
  return exact.status();
}

ImageInfo ImageManager::Describe(const storage::ImageRecord& record,
                                 const std::map<std::string, storage::LayerRecord>& layers,
                                 const Patterns& pinned) {
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
  info.pinned = IsPinned(pinned, record);
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
  std::shared_ptr<const Patterns> pinned = pinned_patterns_.Snapshot();
  std::vector<ImageInfo> infos;
  for (const storage::ImageRecord& record : records)
    infos.push_back(Describe(record, *layers, *pinned));
  return infos;
}

absl::StatusOr<ImageInfo> ImageManager::Status(const std::string& reference) {
  absl::StatusOr<storage::ImageRecord> record = Find(reference);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::map<std::string, storage::LayerRecord>> layers = LayersById();
  if (!layers.ok()) return layers.status();
  return Describe(*record, *layers, *pinned_patterns_.Snapshot());
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
