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

namespace crio::container {
namespace {

bool CreatedByUs(const std::string& metadata) {
  nlohmann::json json = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  return json.is_object() && json.value("created-by", "") == storage::kCreatedByUs;
}

}  // namespace

absl::Status ContainerManager::Recover() {
  std::vector<std::shared_ptr<Entry>> restored;
  for (const auto& dir : std::filesystem::directory_iterator(options_.state_dir)) {
    if (!dir.is_directory()) continue;
    absl::StatusOr<std::string> text = ReadFile(dir.path() / "container.json");
    if (!text.ok()) {
      if (absl::IsNotFound(text.status())) {
        // The first write comes right after the directory: nothing else was made in it yet (the
        // storage container goes with the orphans below).
        spdlog::warn("Removing {}: a container creation that did not finish", dir.path().string());
        if (DetachMountsBelow(dir.path()).ok()) {
          std::error_code ignored;
          std::filesystem::remove_all(dir.path(), ignored);
        }
      }
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
  // Idmapped volume clones among them: never remove a directory something is still mounted in.
  if (absl::Status detached = DetachMountsBelow(container.dir); !detached.ok()) {
    spdlog::warn("container {}: {}", container.id, detached.message());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(container.dir, ignored);
}

void ContainerManager::RemoveOrphanedStorage() {
  absl::StatusOr<std::vector<storage::ContainerRecord>> records =
      options_.store->containers().List();
  if (!records.ok()) {
    spdlog::warn("Listing storage containers: {}", records.status().message());
    return;
  }
  // Whatever still has a state directory is owned, restored or not (an unreadable state is left
  // for a person to look at, and so is its storage). A pod's infra container has the pod's id.
  std::set<std::string> owned;
  std::error_code ec;
  for (const std::filesystem::path& state_dir :
       {options_.state_dir, options_.sandboxes->state_dir()}) {
    for (const auto& dir : std::filesystem::directory_iterator(state_dir, ec)) {
      owned.insert(dir.path().filename().string());
    }
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
