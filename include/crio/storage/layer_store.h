#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crio/storage/layer_apply.h"
#include "crio/storage/layer_record.h"
#include "crio/storage/lock_file.h"
#include "crio/storage/record_cache.h"

namespace crio::storage {

struct StoreOptions {
  std::filesystem::path root = "/var/lib/containers/storage";     // [crio] root
  std::filesystem::path runroot = "/var/run/containers/storage";  // [crio] runroot
  std::vector<std::string> mount_options = {"nodev"};  // overlay.mountopt, split at commas
};

// The user namespace a container runs in: a pinned namespace file and the host ids its root
// maps to.
struct UsernsMount {
  std::filesystem::path ns;
  uid_t root_uid = 0;
  gid_t root_gid = 0;
};

// The layers of a containers/storage overlay store (docs/storage.md): overlay/<id>/{diff,work,
// merged,link,lower}, the overlay/l/ short links, overlay-layers/layers.json under layers.lock and
// the mount counts in <runroot>/overlay-layers/mountpoints.json under mountpoints.lock, written so
// that podman and skopeo share the store with us, even at the same time.
class LayerStore {
 public:
  static absl::StatusOr<std::unique_ptr<LayerStore>> Open(const StoreOptions& options);

  // Creates layer `id` on top of `parent` (empty for a base layer) from a layer tar stream, or
  // returns the existing layer of that id. The layer is recorded as incomplete while it is being
  // written, under layers.lock held throughout, so a crash leaves nothing another tool trusts.
  absl::StatusOr<LayerRecord> CreateFromStream(const std::string& id, const std::string& parent,
                                               ByteSource& source,
                                               const ApplyOptions& options = {});
  // Creates an empty layer (a container's writable layer) with a random id.
  absl::StatusOr<LayerRecord> CreateEmpty(const std::string& parent,
                                          const std::vector<std::string>& names,
                                          const std::string& mount_label = "");

  // A layer by id, unique id prefix or name; NotFound otherwise.
  absl::StatusOr<LayerRecord> Get(const std::string& id_or_name);
  absl::StatusOr<std::vector<LayerRecord>> List();

  // Removes a layer that no other layer uses and that is not mounted.
  absl::Status Delete(const std::string& id);

  // Mounts the layer with its parents (overlayfs, through the l/ links) and returns the mount
  // point; counted, so every Mount needs an Unmount. `force` unmounts whatever the count.
  // With `userns`, the mount a container in that user namespace can run from: the lower layers
  // idmapped through it (its root owns what host root owns in the image), the writable layer
  // owned by its root, and the way to the mount point searchable by others.
  absl::StatusOr<std::filesystem::path> Mount(const std::string& id,
                                              const UsernsMount* userns = nullptr);
  // The layer with its parents as a read-only overlay of lowerdirs only (no upper, so nothing
  // can change the layer through it), as containers/storage mounts an image with "ro". Counted
  // with Mount under the same entry, so Unmount undoes either; when the layer is already
  // mounted, that mount is shared.
  absl::StatusOr<std::filesystem::path> MountReadOnly(const std::string& id);
  absl::Status Unmount(const std::string& id, bool force = false);
  // How many mounts of the layer are counted (0 when it is not mounted).
  absl::StatusOr<int> MountCount(const std::string& id);

  // Undoes what Open set up (the private bind mount of the overlay home) once no layer is
  // mounted, like containers/storage's Shutdown; FailedPrecondition while layers are mounted.
  absl::Status Shutdown();

  const std::filesystem::path& home() const { return home_; }

  struct OpenTag {
    explicit OpenTag() = default;
  };
  LayerStore(OpenTag, StoreOptions options);

 private:
  absl::StatusOr<std::vector<LayerRecord>> LoadLocked();
  absl::Status SaveLocked(const std::vector<LayerRecord>& layers);
  absl::Status RemoveIncompleteLocked(std::vector<LayerRecord>& layers);
  absl::StatusOr<LayerRecord> CreateLocked(std::vector<LayerRecord>& layers, LayerRecord record,
                                           ByteSource* source, const ApplyOptions& options);
  absl::Status RemoveLayerFiles(const std::string& id);
  absl::StatusOr<std::filesystem::path> MountLayer(const std::string& id, bool read_only,
                                                   const UsernsMount* userns = nullptr);
  absl::Status MountIdmappedOverlay(const std::string& id,
                                    const std::vector<std::string_view>& links, unsigned long flags,
                                    const std::string& extra, const UsernsMount& userns);

  StoreOptions options_;
  std::filesystem::path home_;         // <root>/overlay
  std::filesystem::path layers_json_;  // <root>/overlay-layers/layers.json
  std::filesystem::path mounts_json_;  // <runroot>/overlay-layers/mountpoints.json
  std::unique_ptr<LockFile> layers_lock_;
  std::unique_ptr<LockFile> mounts_lock_;
  std::unique_ptr<RecordCache<LayerRecord>> layers_cache_;  // over layers_lock_
};

}  // namespace crio::storage
