// What a restarted daemon does with the containers its predecessor left: the finished ones come
// back as they were; what a creation cut short had made is taken apart, so nothing leaks (a
// runtime container nobody lists, a mounted layer, a reserved-looking directory).
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/log.h"
#include "crio/common/mountinfo.h"
#include "crio/container/manager.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime_set.h"
#include "crio/sandbox/manager.h"
#include "crio/storage/store.h"
#include "entry.h"
#include "idmapped_volumes.h"

namespace crio::container {
namespace {

// The value the daemon writes as "created-by" into the metadata of its storage containers (the
// pods' infra containers' too): what tells its containers apart from other tools' in a shared
// store.
constexpr std::string_view kCreatedBy = "crio-cpp";

// Detaches every mount at or below `dir`, deepest first, so that removing the directory can never
// reach into what is mounted there (a volume's idmapped clone, say).
void DetachMountsBelow(const std::filesystem::path& dir) {
  absl::StatusOr<std::vector<MountInfoEntry>> mounts = ReadMountInfo();
  if (!mounts.ok()) return;
  std::string prefix = dir.string() + "/";
  std::vector<std::string> below;
  for (MountInfoEntry& mount : *mounts) {
    if (mount.mount_point == dir.string() || mount.mount_point.starts_with(prefix)) {
      below.push_back(std::move(mount.mount_point));
    }
  }
  std::sort(below.begin(), below.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& point : below) {
    if (::umount2(point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      spdlog::warn("detaching {}: {}", point, std::strerror(errno));
    }
  }
}

bool CreatedByUs(const std::string& metadata) {
  nlohmann::json json = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  return json.is_object() && json.value("created-by", "") == kCreatedBy;
}

}  // namespace

absl::Status ContainerManager::Recover() {
  std::vector<std::shared_ptr<Entry>> restored;
  for (const auto& dir : std::filesystem::directory_iterator(options_.state_dir)) {
    if (!dir.is_directory()) continue;
    absl::StatusOr<std::string> text = ReadFile(dir.path() / "container.json");
    if (!text.ok()) {
      if (absl::IsNotFound(text.status())) DiscardUnfinished(dir.path());
      continue;
    }
    absl::StatusOr<Container> container = ParseContainer(*text);
    if (!container.ok()) {
      spdlog::error("Unreadable container state in {}: {}", dir.path().string(),
                    container.status().message());
      continue;
    }
    if (container->incomplete) {
      DiscardUnfinished(*container);
      continue;
    }
    // After a reboot the runroot's mount counts are gone, and so are the image volume mounts
    // counted there: giving them back later would take away another container's mount. The
    // container's own rootfs, mounted until removal, tells whether the counts survived.
    if (!container->image_volume_layers.empty()) {
      absl::StatusOr<storage::ContainerRecord> record =
          options_.store->containers().Get(container->id);
      absl::StatusOr<int> rootfs_mounts =
          record.ok() ? options_.store->layers().MountCount(record->layer) : absl::StatusOr<int>(0);
      if (rootfs_mounts.ok() && *rootfs_mounts == 0) {
        spdlog::info("container {}: its image volume mounts did not survive a reboot",
                     container->id);
        container->image_volume_layers.clear();
        (void)SaveContainer(*container);
      }
    }
    auto entry = std::make_shared<Entry>();
    absl::MutexLock lock(&entry->mu);
    entry->container = *std::move(container);
    restored.push_back(std::move(entry));
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& entry : restored) {
      containers_[entry->container.id] = entry;
      names_[entry->container.name] = entry->container.id;
      if (options_.selinux != nullptr) options_.selinux->Hold(entry->container.selinux);
    }
  }
  if (!restored.empty()) spdlog::info("Restored {} container(s)", restored.size());
  RemoveOrphanedStorage();
  return absl::OkStatus();
}

void ContainerManager::DiscardUnfinished(Container& container) {
  spdlog::warn("Removing container {} ({}): its creation did not finish", container.id,
               container.name);
  if (absl::StatusOr<oci::Runtime*> runtime = options_.runtimes->Get(container.runtime_handler);
      runtime.ok()) {
    // Kills the init runc left waiting (its monitor then ends too), if runc got that far.
    (void)(*runtime)->Delete(container.id);
    (void)(*runtime)->RemoveMonitorCgroup(container.id, container.cgroup_parent);
  }
  options_.exits->Forget(container.id);
  (void)UnmountImageVolumes(container);
  if (absl::Status storage = options_.store->DeleteContainer(container.id);
      !storage.ok() && !absl::IsNotFound(storage)) {
    spdlog::warn("container {}: removing its storage: {}", container.id, storage.message());
  }
  (void)DetachIdmappedVolumes(container.idmapped_volumes);
  DetachMountsBelow(container.dir);
  std::error_code ignored;
  std::filesystem::remove_all(container.dir, ignored);
}

void ContainerManager::DiscardUnfinished(const std::filesystem::path& dir) {
  std::string id = dir.filename().string();
  spdlog::warn("Removing {}: a container creation that did not finish", dir.string());
  // No runtime container yet (its record comes first), but maybe storage and volume mounts.
  if (absl::Status storage = options_.store->DeleteContainer(id);
      !storage.ok() && !absl::IsNotFound(storage)) {
    spdlog::warn("container {}: removing its storage: {}", id, storage.message());
  }
  DetachMountsBelow(dir);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

void ContainerManager::RemoveOrphanedStorage() {
  absl::StatusOr<std::vector<storage::ContainerRecord>> records =
      options_.store->containers().List();
  if (!records.ok()) {
    spdlog::warn("Listing storage containers: {}", records.status().message());
    return;
  }
  std::set<std::string> owned;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, entry] : containers_) owned.insert(id);
  }
  for (const sandbox::Sandbox& pod : options_.sandboxes->List({})) {
    if (pod.infra) owned.insert(pod.infra->id);
  }
  for (const storage::ContainerRecord& record : *records) {
    if (owned.contains(record.id) || !CreatedByUs(record.metadata)) continue;
    spdlog::warn("Removing storage container {}: no container or pod of this daemon owns it",
                 record.id);
    if (absl::Status deleted = options_.store->DeleteContainer(record.id); !deleted.ok()) {
      spdlog::warn("removing storage container {}: {}", record.id, deleted.message());
    }
  }
}

}  // namespace crio::container
