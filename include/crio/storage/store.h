#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/storage/container_store.h"
#include "crio/storage/image_store.h"
#include "crio/storage/layer_store.h"

namespace crio::storage {

// Bytes and inodes used by a set of layers.
struct Usage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

struct StoreUsage {
  Usage images;      // layers of images (and layers no container owns)
  Usage containers;  // containers' writable layers
};

// An image's root filesystem mounted read-only (MountImage).
struct ImageMount {
  std::string image_id;
  std::string layer_id;  // the image's top layer: what LayerStore::Unmount takes back
  std::filesystem::path path;
};

// What RemoveImage did.
enum class Removal { kUntagged, kDeleted };

// The whole containers/storage store: layers, images and containers, and the rules that span them.
class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  const StoreOptions& options() const { return options_; }
  LayerStore& layers() { return *layers_; }
  ImageStore& images() { return *images_; }
  ContainerStore& containers() { return *containers_; }

  // A container on image `image` (id, name or digest): a writable layer on the image's top layer
  // (named "<first name>-layer", as CRI-O names it) and the container's record. A mount label
  // becomes the context= of every mount of the writable layer; both labels are recorded as
  // containers/storage records them.
  absl::StatusOr<ContainerRecord> CreateContainer(const std::string& id,
                                                  const std::vector<std::string>& names,
                                                  const std::string& image,
                                                  const std::string& metadata,
                                                  const std::string& mount_label = "",
                                                  const std::string& process_label = "");
  // `userns`: the user namespace the container runs in (LayerStore::Mount).
  absl::StatusOr<std::filesystem::path> MountContainer(const std::string& id,
                                                       const UsernsMount* userns = nullptr);
  absl::Status UnmountContainer(const std::string& id, bool force = false);
  // Unmounts (whatever the count), then removes the writable layer, the record and the
  // container's directories. NotFound when there is no such container.
  absl::Status DeleteContainer(const std::string& id);

  // Image `image` (id, name or digest) mounted read-only: its top layer and the parents as
  // lowers of an overlay with no upper. One counted mount per image, shared by every user;
  // layers().Unmount(layer_id) gives one back. NotFound for an unknown image.
  absl::StatusOr<ImageMount> MountImage(const std::string& image);

  // By a name the image has besides others: only that name goes (untag). Otherwise the image is
  // deleted with every layer no other image or container uses, unless a container uses it or it
  // is mounted (an image volume): FailedPrecondition naming the user.
  absl::StatusOr<Removal> RemoveImage(const std::string& reference);

  // Disk use of the layers, split as the ImageFsInfo RPC reports it.
  absl::StatusOr<StoreUsage> DiskUsage();
  // Bytes and inodes of one container's writable layer.
  absl::StatusOr<Usage> ContainerUsage(const std::string& id);

  // Inconsistencies between the records and the files, one sentence each; empty when none.
  absl::StatusOr<std::vector<std::string>> Check();

  absl::Status Shutdown() { return layers_->Shutdown(); }

  struct OpenTag {
    explicit OpenTag() = default;
  };
  Store(OpenTag, StoreOptions options) : options_(std::move(options)) {}

 private:
  StoreOptions options_;
  std::unique_ptr<LayerStore> layers_;
  std::unique_ptr<ImageStore> images_;
  std::unique_ptr<ContainerStore> containers_;
};

}  // namespace crio::storage
