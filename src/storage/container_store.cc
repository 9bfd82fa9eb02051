#include "crio/storage/container_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"
#include "crio/storage/layer_record.h"
#include "json_fields.h"

namespace crio::storage {
namespace {

absl::StatusOr<std::filesystem::path> UserData(const std::filesystem::path& base,
                                               const std::string& id) {
  std::filesystem::path dir = base / id / "userdata";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(StrCat("create ", dir.string(), ": ", ec.message()));
  ::chmod((base / id).c_str(), 0700);
  ::chmod(dir.c_str(), 0700);
  return dir;
}

}  // namespace

absl::StatusOr<std::vector<ContainerRecord>> ParseContainers(std::string_view text) {
  std::vector<ContainerRecord> containers;
  if (IsBlank(text)) return containers;
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_array()) {
    return absl::DataLossError("containers.json is not a JSON array");
  }
  try {
    for (const Json& item : document) {
      ContainerRecord c;
      c.id = Field<std::string>(item, "id", "");
      c.names = Field<std::vector<std::string>>(item, "names", {});
      c.image = Field<std::string>(item, "image", "");
      c.layer = Field<std::string>(item, "layer", "");
      c.metadata = Field<std::string>(item, "metadata", "");
      c.big_data_names = Field<std::vector<std::string>>(item, "big-data-names", {});
      c.big_data_sizes = Field<Json>(item, "big-data-sizes", Json::object());
      c.big_data_digests = Field<Json>(item, "big-data-digests", Json::object());
      c.created = Field<std::string>(item, "created", "");
      c.uid_map = Field<Json>(item, "uidmap", Json::array());
      c.gid_map = Field<Json>(item, "gidmap", Json::array());
      c.flags = Field<Json>(item, "flags", Json::object());
      c.unknown = UnknownFields(
          item, {"id", "names", "image", "layer", "metadata", "big-data-names", "big-data-sizes",
                 "big-data-digests", "created", "uidmap", "gidmap", "flags"});
      if (c.id.empty())
        return absl::DataLossError("containers.json holds a container without an id");
      containers.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(StrCat("containers.json has a field of the wrong type: ", e.what()));
  }
  return containers;
}

std::string SerializeContainers(const std::vector<ContainerRecord>& containers) {
  Json document = Json::array();
  for (const ContainerRecord& c : containers) {
    Json item;
    item["id"] = c.id;
    if (!c.names.empty()) item["names"] = c.names;
    item["image"] = c.image;
    item["layer"] = c.layer;
    if (!c.metadata.empty()) item["metadata"] = c.metadata;
    if (!c.big_data_names.empty()) item["big-data-names"] = c.big_data_names;
    if (!c.big_data_sizes.empty()) item["big-data-sizes"] = c.big_data_sizes;
    if (!c.big_data_digests.empty()) item["big-data-digests"] = c.big_data_digests;
    item["created"] = c.created.empty() ? "0001-01-01T00:00:00Z" : c.created;
    if (!c.uid_map.empty()) item["uidmap"] = c.uid_map;
    if (!c.gid_map.empty()) item["gidmap"] = c.gid_map;
    if (!c.flags.empty()) item["flags"] = c.flags;
    for (const auto& [key, value] : c.unknown.items()) item[key] = value;
    document.push_back(std::move(item));
  }
  return document.dump();
}

absl::StatusOr<std::unique_ptr<ContainerStore>> ContainerStore::Open(
    const std::filesystem::path& root, const std::filesystem::path& runroot) {
  std::filesystem::path dir = root / "overlay-containers";
  std::filesystem::path run_dir = runroot / "overlay-containers";
  std::error_code ec;
  for (const auto& d : {dir, run_dir}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return absl::InternalError(StrCat("create ", d.string(), ": ", ec.message()));
    ::chmod(d.c_str(), 0700);
  }
  absl::StatusOr<std::unique_ptr<LockFile>> lock = LockFile::Open(dir / "containers.lock");
  if (!lock.ok()) return lock.status();
  return std::make_unique<ContainerStore>(OpenTag{}, dir, run_dir, std::move(*lock));
}

absl::StatusOr<std::vector<ContainerRecord>> ContainerStore::LoadLocked() {
  return cache_.Load(ParseContainers);
}

absl::Status ContainerStore::SaveLocked(const std::vector<ContainerRecord>& containers) {
  return cache_.Save(containers, SerializeContainers(containers));
}

absl::StatusOr<ContainerRecord> ContainerStore::Create(ContainerRecord record) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ContainerRecord>> containers = LoadLocked();
  if (!containers.ok()) return containers.status();
  if (record.id.empty()) record.id = RandomId();
  for (const ContainerRecord& other : *containers) {
    if (other.id == record.id)
      return absl::AlreadyExistsError(StrCat("container ", record.id, " exists"));
    for (const std::string& name : record.names) {
      if (std::find(other.names.begin(), other.names.end(), name) != other.names.end()) {
        return absl::AlreadyExistsError(
            StrCat("the container name \"", name, "\" is already in use by ", other.id));
      }
    }
  }
  if (record.created.empty()) record.created = CreatedNow();
  containers->push_back(record);
  if (auto status = SaveLocked(*containers); !status.ok()) return status;
  return record;
}

absl::StatusOr<std::vector<ContainerRecord>> ContainerStore::List() {
  SharedLock lock(*lock_);
  return LoadLocked();
}

absl::StatusOr<ContainerRecord> ContainerStore::Get(const std::string& id_or_name) {
  absl::StatusOr<std::vector<ContainerRecord>> containers = List();
  if (!containers.ok()) return containers.status();
  const ContainerRecord* by_prefix = nullptr;
  int matches = 0;
  for (const ContainerRecord& c : *containers) {
    if (c.id == id_or_name || c.layer == id_or_name) return c;
    if (std::find(c.names.begin(), c.names.end(), id_or_name) != c.names.end()) return c;
    if (!id_or_name.empty() && c.id.starts_with(id_or_name)) {
      by_prefix = &c;
      ++matches;
    }
  }
  if (matches == 1) return *by_prefix;
  if (matches > 1)
    return absl::InvalidArgumentError(StrCat("container id prefix ", id_or_name, " is ambiguous"));
  return absl::NotFoundError(StrCat("container ", id_or_name, " does not exist"));
}

absl::Status ContainerStore::Delete(const std::string& id) {
  ExclusiveLock lock(*lock_);
  absl::StatusOr<std::vector<ContainerRecord>> containers = LoadLocked();
  if (!containers.ok()) return containers.status();
  size_t before = containers->size();
  std::erase_if(*containers, [&](const ContainerRecord& c) { return c.id == id; });
  if (containers->size() == before)
    return absl::NotFoundError(StrCat("container ", id, " does not exist"));
  std::error_code ec;
  std::filesystem::remove_all(dir_ / id, ec);
  std::filesystem::remove_all(run_dir_ / id, ec);
  return SaveLocked(*containers);
}

absl::StatusOr<std::filesystem::path> ContainerStore::Directory(const std::string& id) {
  return UserData(dir_, id);
}

absl::StatusOr<std::filesystem::path> ContainerStore::RunDirectory(const std::string& id) {
  return UserData(run_dir_, id);
}

}  // namespace crio::storage
