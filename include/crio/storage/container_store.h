#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "crio/storage/lock_file.h"
#include "crio/storage/record_cache.h"

namespace crio::storage {

// The "created-by" value in the metadata of the storage containers this daemon makes (its pods'
// infra containers too): what tells them apart from other tools' in a shared store.
inline constexpr std::string_view kCreatedByUs = "crio-cpp";

// One entry of overlay-containers/containers.json, as containers/storage 1.43 writes it.
struct ContainerRecord {
  std::string id;
  std::vector<std::string> names;
  std::string image;  // image id, always written (may be empty)
  std::string layer;  // the container's writable layer, always written
  std::string metadata;
  std::vector<std::string> big_data_names;
  nlohmann::ordered_json big_data_sizes = nlohmann::ordered_json::object();
  nlohmann::ordered_json big_data_digests = nlohmann::ordered_json::object();
  std::string created;
  nlohmann::ordered_json uid_map = nlohmann::ordered_json::array();
  nlohmann::ordered_json gid_map = nlohmann::ordered_json::array();
  nlohmann::ordered_json flags = nlohmann::ordered_json::object();
  nlohmann::ordered_json unknown = nlohmann::ordered_json::object();
};

absl::StatusOr<std::vector<ContainerRecord>> ParseContainers(std::string_view json);
std::string SerializeContainers(const std::vector<ContainerRecord>& containers);

// containers.json under containers.lock, and the per-container directories in the graph root and
// the run root (overlay-containers/<id>/userdata).
class ContainerStore {
 public:
  static absl::StatusOr<std::unique_ptr<ContainerStore>> Open(const std::filesystem::path& root,
                                                              const std::filesystem::path& runroot);

  // Records a container whose writable layer the caller created; names must be free.
  absl::StatusOr<ContainerRecord> Create(ContainerRecord record);
  absl::StatusOr<ContainerRecord> Get(const std::string& id_or_name);
  absl::StatusOr<std::vector<ContainerRecord>> List();
  // Removes the record and both userdata directories.
  absl::Status Delete(const std::string& id);

  // <root>/overlay-containers/<id>/userdata and <runroot>/overlay-containers/<id>/userdata,
  // created on first use.
  absl::StatusOr<std::filesystem::path> Directory(const std::string& id);
  absl::StatusOr<std::filesystem::path> RunDirectory(const std::string& id);

  struct OpenTag {
    explicit OpenTag() = default;
  };
  ContainerStore(OpenTag, std::filesystem::path dir, std::filesystem::path run_dir,
                 std::unique_ptr<LockFile> lock)
      : dir_(std::move(dir)),
        run_dir_(std::move(run_dir)),
        lock_(std::move(lock)),
        cache_(*lock_, dir_ / "containers.json") {}

 private:
  absl::StatusOr<std::vector<ContainerRecord>> LoadLocked();
  absl::Status SaveLocked(const std::vector<ContainerRecord>& containers);

  std::filesystem::path dir_;      // <root>/overlay-containers
  std::filesystem::path run_dir_;  // <runroot>/overlay-containers
  std::unique_ptr<LockFile> lock_;
  RecordCache<ContainerRecord> cache_;
};

}  // namespace crio::storage
