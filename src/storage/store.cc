#include "crio/storage/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "crio/common/strings.h"

namespace crio::storage {
namespace {

Usage DirectoryUsage(const std::filesystem::path& dir) {
  Usage usage;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    usage.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    ++usage.inodes;
  }
  return usage;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto store = std::make_unique<Store>(OpenTag{}, options);
  absl::StatusOr<std::unique_ptr<LayerStore>> layers = LayerStore::Open(options);
  if (!layers.ok()) return layers.status();
  absl::StatusOr<std::unique_ptr<ImageStore>> images = ImageStore::Open(options.root);
  if (!images.ok()) return images.status();
  absl::StatusOr<std::unique_ptr<ContainerStore>> containers =
      ContainerStore::Open(options.root, options.runroot);
  if (!containers.ok()) return containers.status();
  store->layers_ = std::move(*layers);
  store->images_ = std::move(*images);
  store->containers_ = std::move(*containers);
  return store;
}

absl::StatusOr<ContainerRecord> Store::CreateContainer(
    const std::string& id, const std::vector<std::string>& names, const std::string& image,
    const std::string& metadata, const std::string& mount_label, const std::string& process_label) {
  absl::StatusOr<ImageRecord> found = images_->Get(image);
  if (!found.ok()) return found.status();
  // Refuse a taken name before creating anything.
  absl::StatusOr<std::vector<ContainerRecord>> existing = containers_->List();
  if (!existing.ok()) return existing.status();
  for (const ContainerRecord& other : *existing) {
    for (const std::string& name : names) {
      if (std::find(other.names.begin(), other.names.end(), name) != other.names.end()) {
        return absl::AlreadyExistsError(
            StrCat("the container name \"", name, "\" is already in use by ", other.id));
      }
    }
  }
  std::vector<std::string> layer_names;
  if (!names.empty()) layer_names.push_back(names.front() + "-layer");
  absl::StatusOr<LayerRecord> layer =
      layers_->CreateEmpty(found->top_layer, layer_names, mount_label);
  if (!layer.ok()) return layer.status();
  ContainerRecord record;
  record.id = id;
  record.names = names;
  record.image = found->id;
  record.layer = layer->id;
  record.metadata = metadata;
  record.flags = {{"MountLabel", mount_label}, {"ProcessLabel", process_label}};
  absl::StatusOr<ContainerRecord> created = containers_->Create(std::move(record));
  if (!created.ok()) {
    (void)layers_->Delete(layer->id);
    return created.status();
  }
  return created;
}

absl::StatusOr<std::filesystem::path> Store::MountContainer(const std::string& id,
                                                            const UsernsMount* userns) {
  absl::StatusOr<ContainerRecord> container = containers_->Get(id);
  if (!container.ok()) return container.status();
  return layers_->Mount(container->layer, userns);
}

absl::Status Store::UnmountContainer(const std::string& id, bool force) {
  absl::StatusOr<ContainerRecord> container = containers_->Get(id);
  if (!container.ok()) return container.status();
  return layers_->Unmount(container->layer, force);
}

absl::Status Store::DeleteContainer(const std::string& id) {
  absl::StatusOr<ContainerRecord> container = containers_->Get(id);
  if (!container.ok()) return container.status();
  if (auto status = layers_->Unmount(container->layer, /*force=*/true); !status.ok()) return status;
  absl::Status deleted = layers_->Delete(container->layer);
  if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  return containers_->Delete(container->id);
}

absl::StatusOr<ImageMount> Store::MountImage(const std::string& image) {
  absl::StatusOr<ImageRecord> found = images_->Get(image);
  if (!found.ok()) return found.status();
  if (found->top_layer.empty()) {
    return absl::FailedPreconditionError(StrCat("image ", found->id, " has no layers to mount"));
  }
  absl::StatusOr<std::filesystem::path> path = layers_->MountReadOnly(found->top_layer);
  if (!path.ok()) return path.status();
  return ImageMount{found->id, found->top_layer, *std::move(path)};
}

absl::StatusOr<Removal> Store::RemoveImage(const std::string& reference) {
  absl::StatusOr<ImageRecord> image = images_->Get(reference);
  if (!image.ok()) return image.status();
  bool by_name =
      std::find(image->names.begin(), image->names.end(), reference) != image->names.end();
  if (by_name && image->names.size() > 1) {
    if (auto status = images_->RemoveName(reference); !status.ok()) return status;
    return Removal::kUntagged;
  }
  absl::StatusOr<std::vector<ContainerRecord>> containers = containers_->List();
  if (!containers.ok()) return containers.status();
  for (const ContainerRecord& container : *containers) {
    if (container.image == image->id) {
      return absl::FailedPreconditionError(
          StrCat("image ", image->id, " is in use by container ", container.id,
                 container.names.empty() ? "" : StrCat(" (", container.names.front(), ")")));
    }
  }
  // Deleting the record of a mounted image would leave a mount nobody can name.
  if (!image->top_layer.empty()) {
    absl::StatusOr<int> mounted = layers_->MountCount(image->top_layer);
    if (!mounted.ok()) return mounted.status();
    if (*mounted > 0) {
      return absl::FailedPreconditionError(
          StrCat("image ", image->id, " is mounted (", *mounted, " user(s), e.g. image volumes)"));
    }
  }
  if (auto status = images_->Delete(image->id); !status.ok()) return status;

  // Its layers, top down, as long as nothing else stands on them.
  absl::StatusOr<std::vector<ImageRecord>> images = images_->List();
  if (!images.ok()) return images.status();
  std::set<std::string> kept;
  for (const ImageRecord& other : *images) kept.insert(other.top_layer);
  std::string layer_id = image->top_layer;
  while (!layer_id.empty() && !kept.count(layer_id)) {
    absl::StatusOr<LayerRecord> layer = layers_->Get(layer_id);
    if (!layer.ok()) break;
    absl::Status deleted = layers_->Delete(layer_id);
    if (absl::IsFailedPrecondition(deleted)) break;  // another layer or a mount still uses it
    if (!deleted.ok()) return deleted;
    layer_id = layer->parent;
  }
  return Removal::kDeleted;
}

absl::StatusOr<StoreUsage> Store::DiskUsage() {
  absl::StatusOr<std::vector<LayerRecord>> layers = layers_->List();
  if (!layers.ok()) return layers.status();
  absl::StatusOr<std::vector<ContainerRecord>> containers = containers_->List();
  if (!containers.ok()) return containers.status();
  std::set<std::string> container_layers;
  for (const ContainerRecord& c : *containers) container_layers.insert(c.layer);
  StoreUsage usage;
  for (const LayerRecord& layer : *layers) {
    Usage part = DirectoryUsage(layers_->home() / layer.id / "diff");
    Usage& total = container_layers.count(layer.id) ? usage.containers : usage.images;
    total.bytes += part.bytes;
    total.inodes += part.inodes;
  }
  return usage;
}

absl::StatusOr<Usage> Store::ContainerUsage(const std::string& id) {
  absl::StatusOr<ContainerRecord> container = containers_->Get(id);
  if (!container.ok()) return container.status();
  return DirectoryUsage(layers_->home() / container->layer / "diff");
}

absl::StatusOr<std::vector<std::string>> Store::Check() {
  std::vector<std::string> problems;
  absl::StatusOr<std::vector<LayerRecord>> layers = layers_->List();
  if (!layers.ok()) return layers.status();
  std::set<std::string> recorded;
  for (const LayerRecord& layer : *layers) {
    recorded.insert(layer.id);
    if (!std::filesystem::is_directory(layers_->home() / layer.id / "diff")) {
      problems.push_back(StrCat("layer ", layer.id, " is recorded but its directory is missing"));
    }
    if (!layer.parent.empty() &&
        std::none_of(layers->begin(), layers->end(),
                     [&](const LayerRecord& l) { return l.id == layer.parent; })) {
      problems.push_back(StrCat("layer ", layer.id, " has a missing parent ", layer.parent));
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(layers_->home(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 64 && entry.is_directory() && !recorded.count(name)) {
      problems.push_back(StrCat("layer directory ", name, " has no record"));
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(layers_->home() / "l", ec)) {
    if (!std::filesystem::exists(entry.path(), ec)) {
      problems.push_back(StrCat("link ", entry.path().filename().string(), " points to no layer"));
    }
  }
  absl::StatusOr<std::vector<ImageRecord>> images = images_->List();
  if (!images.ok()) return images.status();
  for (const ImageRecord& image : *images) {
    if (!image.top_layer.empty() && !recorded.count(image.top_layer)) {
      problems.push_back(StrCat("image ", image.id, " has a missing top layer ", image.top_layer));
    }
  }
  absl::StatusOr<std::vector<ContainerRecord>> containers = containers_->List();
  if (!containers.ok()) return containers.status();
  for (const ContainerRecord& container : *containers) {
    if (!recorded.count(container.layer)) {
      problems.push_back(
          StrCat("container ", container.id, " has a missing layer ", container.layer));
    }
  }
  return problems;
}

}  // namespace crio::storage
