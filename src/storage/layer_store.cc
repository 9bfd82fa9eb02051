#include "crio/storage/layer_store.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "crio/common/atomic_file.h"
#include "crio/common/log.h"
#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "crio/storage/idmapped_mount.h"
#include "tar_split.h"

namespace crio::storage {
namespace {

// containers/storage refuses deeper layer chains: 128 lowers still fit one page of mount options.
constexpr size_t kMaxDepth = 128;

absl::Status ErrnoStatus(std::string_view what, const std::filesystem::path& path) {
  return absl::InternalError(StrCat(what, " ", path.string(), ": ", std::strerror(errno)));
}

absl::Status MakeDir(const std::filesystem::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
  // mkdir applies the umask; the modes are part of the format.
  if (::chmod(path.c_str(), mode) != 0) return ErrnoStatus("chmod", path);
  return absl::OkStatus();
}

std::string ReadSmallFile(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? *text : std::string();
}

Compression CompressionCode(const std::string& name) {
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  return Compression::kNone;
}

// Whether `path` is the root of a mount in this mount namespace's current view. (A line in
// /proc/self/mountinfo is not enough: a mount shadowed by a later bind mount is still listed.)
// Nor is comparing devices with the parent: a bind mount of a directory on itself keeps its device.
bool IsMountPoint(const std::filesystem::path& path) {
  struct statx info {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &info) != 0) {
    return false;
  }
  return (info.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (info.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// containers/storage's overlay driver makes its home a private bind mount of itself, so layer
// mounts below it do not propagate to other mount namespaces. Every tool sharing the store does
// this unless the home already is a mount point, so whoever comes first must do it: otherwise a
// later bind would hide the mounts made before it.
absl::Status MakePrivateMount(const std::filesystem::path& home) {
  if (!IsMountPoint(home)) {
    if (::mount(home.c_str(), home.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return ErrnoStatus("bind mount", home);
    }
  }
  if (::mount(nullptr, home.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    return ErrnoStatus("make private", home);
  }
  return absl::OkStatus();
}

struct MountEntry {
  std::string id;
  std::string path;
  int count = 0;
};

std::vector<MountEntry> ParseMounts(const std::string& text) {
  std::vector<MountEntry> mounts;
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) return mounts;
  for (const auto& item : json) {
    if (!item.is_object()) continue;
    mounts.push_back({item.value("id", ""), item.value("path", ""), item.value("count", 0)});
  }
  return mounts;
}

std::string SerializeMounts(const std::vector<MountEntry>& mounts) {
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  for (const MountEntry& mount : mounts) {
    if (mount.count <= 0) continue;
    json.push_back({{"id", mount.id}, {"path", mount.path}, {"count", mount.count}});
  }
  return json.dump();
}

// Splits overlay.mountopt into mount(2) flags and the data string.
unsigned long SplitMountOptions(const std::vector<std::string>& options, std::string& data) {
  unsigned long flags = 0;
  for (const std::string& option : options) {
    if (option == "nodev")
      flags |= MS_NODEV;
    else if (option == "nosuid")
      flags |= MS_NOSUID;
    else if (option == "noexec")
      flags |= MS_NOEXEC;
    else if (option == "ro")
      flags |= MS_RDONLY;
    else if (!option.empty())
      data += "," + option;
  }
  return flags;
}

// mount(2) from inside `dir`, in a child, so the option string can use paths relative to it:
// what keeps 128 lowers within the one page the kernel accepts.
absl::Status MountFrom(const std::filesystem::path& dir, const std::string& target,
                       unsigned long flags, const std::string& data) {
  std::string dir_text = dir.string();
  absl::StatusOr<pid_t> pid = Reaper::Get().Launch([&]() -> absl::StatusOr<pid_t> {
    pid_t child = ::fork();
    if (child < 0) return absl::InternalError(StrCat("fork: ", std::strerror(errno)));
    if (child == 0) {
      if (::chdir(dir_text.c_str()) != 0) ::_exit(errno);
      ::_exit(::mount("overlay", target.c_str(), "overlay", flags, data.c_str()) == 0 ? 0 : errno);
    }
    return child;
  });
  if (!pid.ok()) return pid.status();
  std::optional<int> code = Reaper::Get().Wait(*pid, absl::Seconds(60));
  if (!code || *code != 0) {
    return absl::InternalError(StrCat("mount overlay on ", target, " (from ", dir_text,
                                      "): ", code ? std::strerror(*code) : "timed out"));
  }
  return absl::OkStatus();
}

}  // namespace

LayerStore::LayerStore(OpenTag, StoreOptions options)
    : options_(std::move(options)),
      home_(options_.root / "overlay"),
      layers_json_(options_.root / "overlay-layers" / "layers.json"),
      mounts_json_(options_.runroot / "overlay-layers" / "mountpoints.json") {}

absl::StatusOr<std::unique_ptr<LayerStore>> LayerStore::Open(const StoreOptions& options) {
  // containers/storage 1.45 and later may keep some records in volatile-*.json files, which we
  // do not read yet: refuse such a store rather than act on half of it.
  for (const auto& volatile_file :
       {options.root / "overlay-layers" / "volatile-layers.json",
        options.root / "overlay-containers" / "volatile-containers.json",
        options.runroot / "overlay-layers" / "volatile-layers.json",
        options.runroot / "overlay-containers" / "volatile-containers.json"}) {
    std::error_code exists_ec;
    if (std::filesystem::exists(volatile_file, exists_ec)) {
      return absl::FailedPreconditionError(
          StrCat(volatile_file.string(),
                 ": this store was written by containers/storage 1.45 or later with volatile "
                 "records, which are not supported yet"));
    }
  }
  auto store = std::make_unique<LayerStore>(OpenTag{}, options);
  std::error_code ec;
  for (const auto& dir : {options.root, options.runroot}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::InternalError(StrCat("create ", dir.string(), ": ", ec.message()));
  }
  // A home that user-namespaced pods made searchable (MountIdmappedOverlay) stays so: taking
  // the bit away at every start would only have the next such pod put it back.
  mode_t home_mode = 0700;
  if (struct stat home_st{}; ::stat(store->home_.c_str(), &home_st) == 0) {
    home_mode |= home_st.st_mode & 0011;
  }
  for (const auto& [dir, mode] : std::vector<std::pair<std::filesystem::path, mode_t>>{
           {store->home_, home_mode},
           {store->home_ / "l", 0755},
           {options.root / "overlay-layers", 0700},
           {options.runroot / "overlay-layers", 0700}}) {
    if (auto status = MakeDir(dir, mode); !status.ok()) return status;
  }
  absl::StatusOr<std::unique_ptr<LockFile>> layers_lock =
      LockFile::Open(options.root / "overlay-layers" / "layers.lock");
  if (!layers_lock.ok()) return layers_lock.status();
  absl::StatusOr<std::unique_ptr<LockFile>> mounts_lock =
      LockFile::Open(options.runroot / "overlay-layers" / "mountpoints.lock");
  if (!mounts_lock.ok()) return mounts_lock.status();
  store->layers_lock_ = std::move(*layers_lock);
  store->mounts_lock_ = std::move(*mounts_lock);
  store->layers_cache_ =
      std::make_unique<RecordCache<LayerRecord>>(*store->layers_lock_, store->layers_json_);
  {
    ExclusiveLock lock(*store->mounts_lock_);
    if (auto status = MakePrivateMount(store->home_); !status.ok()) return status;
  }

  // Like containers/storage opening for writing: layers left incomplete by a crash go away.
  ExclusiveLock lock(*store->layers_lock_);
  absl::StatusOr<std::vector<LayerRecord>> layers = store->LoadLocked();
  if (!layers.ok()) return layers.status();
  if (auto status = store->RemoveIncompleteLocked(*layers); !status.ok()) return status;
  return store;
}

absl::StatusOr<std::vector<LayerRecord>> LayerStore::LoadLocked() {
  return layers_cache_->Load(
      [&](std::string_view text) -> absl::StatusOr<std::vector<LayerRecord>> {
        absl::StatusOr<std::vector<LayerRecord>> layers = ParseLayers(text);
        if (!layers.ok()) {
          return absl::DataLossError(
              StrCat(layers_json_.string(), ": ", View(layers.status().message())));
        }
        return layers;
      });
}

absl::Status LayerStore::SaveLocked(const std::vector<LayerRecord>& layers) {
  return layers_cache_->Save(layers, SerializeLayers(layers));
}

absl::Status LayerStore::RemoveIncompleteLocked(std::vector<LayerRecord>& layers) {
  bool removed = false;
  for (auto it = layers.begin(); it != layers.end();) {
    if (!it->incomplete()) {
      ++it;
      continue;
    }
    spdlog::warn("Removing incomplete layer {} (an interrupted write)", it->id);
    if (auto status = RemoveLayerFiles(it->id); !status.ok()) return status;
    it = layers.erase(it);
    removed = true;
  }
  return removed ? SaveLocked(layers) : absl::OkStatus();
}

absl::Status LayerStore::RemoveLayerFiles(const std::string& id) {
  std::error_code ec;
  std::string link = ReadSmallFile(home_ / id / "link");
  if (!link.empty() && link.find('/') == std::string::npos)
    std::filesystem::remove(home_ / "l" / link, ec);
  std::filesystem::remove_all(home_ / id, ec);
  if (ec) return absl::InternalError(StrCat("remove layer ", id, ": ", ec.message()));
  std::filesystem::remove(options_.root / "overlay-layers" / (id + ".tar-split.gz"), ec);
  std::filesystem::remove_all(options_.root / "overlay-layers" / id, ec);
  return absl::OkStatus();
}

absl::StatusOr<LayerRecord> LayerStore::CreateLocked(std::vector<LayerRecord>& layers,
                                                     LayerRecord record, ByteSource* source,
                                                     const ApplyOptions& options) {
  for (const LayerRecord& existing : layers) {
    if (existing.id == record.id) return existing;
  }
  std::string parent_lower;
  std::string parent_link;
  mode_t diff_mode = 0555;
  if (!record.parent.empty()) {
    auto parent = std::find_if(layers.begin(), layers.end(),
                               [&](const LayerRecord& l) { return l.id == record.parent; });
    if (parent == layers.end()) {
      return absl::NotFoundError(StrCat("parent layer ", record.parent, " does not exist"));
    }
    parent_link = ReadSmallFile(home_ / record.parent / "link");
    parent_lower = ReadSmallFile(home_ / record.parent / "lower");
    size_t depth =
        1 +
        (parent_lower.empty() ? 0 : std::count(parent_lower.begin(), parent_lower.end(), ':') + 1);
    if (depth >= kMaxDepth)
      return absl::FailedPreconditionError("max depth of 128 layers exceeded");
    struct stat st {};
    if (::stat((home_ / record.parent / "diff").c_str(), &st) == 0) diff_mode = st.st_mode & 07777;
  }
  // A name belongs to one layer: taking it takes it away from the others.
  for (LayerRecord& other : layers) {
    std::erase_if(other.names, [&](const std::string& name) {
      return std::find(record.names.begin(), record.names.end(), name) != record.names.end();
    });
  }
  record.created = CreatedNow();
  // A layer with content to unpack is recorded as incomplete first, so that a crash while it
  // unpacks leaves a record saying so. An empty layer (a container's) is recorded once, complete,
  // after its directories exist, as containers/storage does: one fsync less per container.
  const bool staged = source != nullptr;
  if (staged) {
    record.flags["incomplete"] = true;
    layers.push_back(record);
    if (auto status = SaveLocked(layers); !status.ok()) return status;
  }

  auto fail = [&](absl::Status status) -> absl::StatusOr<LayerRecord> {
    (void)RemoveLayerFiles(record.id);
    std::erase_if(layers, [&](const LayerRecord& l) { return l.id == record.id; });
    if (staged) (void)SaveLocked(layers);
    return status;
  };
  std::filesystem::path dir = home_ / record.id;
  std::string link = RandomLinkId();
  for (const auto& [path, mode] : std::vector<std::pair<std::filesystem::path, mode_t>>{
           {dir, 0700}, {dir / "diff", diff_mode}, {dir / "work", 0700}, {dir / "merged", 0700}}) {
    if (auto status = MakeDir(path, mode); !status.ok()) return fail(status);
  }
  if (::symlink(StrCat("../", record.id, "/diff").c_str(), (home_ / "l" / link).c_str()) != 0) {
    return fail(ErrnoStatus("symlink", home_ / "l" / link));
  }
  // link and lower are not synced, as containers/storage does not: the directories beside them
  // (and the unpacked diff) are not either, so a synced link alone would not make the layer
  // survive a crash of the machine.
  if (auto status = WriteFileAtomically(dir / "link", link, 0644, Durability::kVolatile);
      !status.ok())
    return fail(status);
  if (record.parent.empty()) {
    if (auto status = MakeDir(dir / "empty", 0700); !status.ok()) return fail(status);
  } else {
    std::string lower = StrCat("l/", parent_link, parent_lower.empty() ? "" : ":", parent_lower);
    if (auto status = WriteFileAtomically(dir / "lower", lower, 0666, Durability::kVolatile);
        !status.ok())
      return fail(status);
  }

  if (source != nullptr) {
    TarSplitWriter tar_split;
    ApplyOptions apply_options = options;
    apply_options.on_tar_bytes = [&tar_split](std::string_view bytes) { tar_split.Feed(bytes); };
    absl::StatusOr<AppliedLayer> applied = ApplyLayer(*source, dir / "diff", apply_options);
    if (!applied.ok()) return fail(applied.status());
    // What lets podman and skopeo rebuild the exact tar, and so the same DiffID, from our files.
    if (auto status =
            WriteFileAtomically(options_.root / "overlay-layers" / (record.id + ".tar-split.gz"),
                                tar_split.Finish(), 0600);
        !status.ok()) {
      return fail(status);
    }
    // ApplyLayer leaves the diff directory's own mode to us; it is part of the format.
    ::chmod((dir / "diff").c_str(), diff_mode);
    record.compressed_digest = applied->compressed_digest;
    record.compressed_size = static_cast<int64_t>(applied->compressed_size);
    record.uncompressed_digest = applied->diff_id;
    record.uncompressed_size = static_cast<int64_t>(applied->uncompressed_size);
    record.compression = CompressionCode(applied->compression);
    record.uids = applied->uids;
    record.gids = applied->gids;
  }
  record.flags.erase("incomplete");
  if (staged) {
    for (LayerRecord& layer : layers) {
      if (layer.id == record.id) layer = record;
    }
  } else {
    layers.push_back(record);
  }
  if (auto status = SaveLocked(layers); !status.ok()) return fail(status);
  return record;
}

absl::StatusOr<LayerRecord> LayerStore::CreateFromStream(const std::string& id,
                                                         const std::string& parent,
                                                         ByteSource& source,
                                                         const ApplyOptions& options) {
  ExclusiveLock lock(*layers_lock_);
  absl::StatusOr<std::vector<LayerRecord>> layers = LoadLocked();
  if (!layers.ok()) return layers.status();
  LayerRecord record;
  record.id = id;
  record.parent = parent;
  return CreateLocked(*layers, std::move(record), &source, options);
}

absl::StatusOr<LayerRecord> LayerStore::CreateEmpty(const std::string& parent,
                                                    const std::vector<std::string>& names,
                                                    const std::string& mount_label) {
  ExclusiveLock lock(*layers_lock_);
  absl::StatusOr<std::vector<LayerRecord>> layers = LoadLocked();
  if (!layers.ok()) return layers.status();
  LayerRecord record;
  record.id = RandomId();
  record.parent = parent;
  record.names = names;
  record.mount_label = mount_label;
  return CreateLocked(*layers, std::move(record), nullptr, {});
}

absl::StatusOr<std::vector<LayerRecord>> LayerStore::List() {
  SharedLock lock(*layers_lock_);
  return LoadLocked();
}

absl::StatusOr<LayerRecord> LayerStore::Get(const std::string& id_or_name) {
  absl::StatusOr<std::vector<LayerRecord>> layers = List();
  if (!layers.ok()) return layers.status();
  const LayerRecord* by_prefix = nullptr;
  int prefix_matches = 0;
  for (const LayerRecord& layer : *layers) {
    if (layer.id == id_or_name) return layer;
    if (std::find(layer.names.begin(), layer.names.end(), id_or_name) != layer.names.end())
      return layer;
    if (!id_or_name.empty() && layer.id.starts_with(id_or_name)) {
      by_prefix = &layer;
      ++prefix_matches;
    }
  }
  if (prefix_matches == 1) return *by_prefix;
  if (prefix_matches > 1) {
    return absl::InvalidArgumentError(StrCat("layer id prefix ", id_or_name, " is ambiguous"));
  }
  return absl::NotFoundError(StrCat("layer ", id_or_name, " does not exist"));
}

absl::Status LayerStore::Delete(const std::string& id) {
  ExclusiveLock lock(*layers_lock_);
  absl::StatusOr<std::vector<LayerRecord>> layers = LoadLocked();
  if (!layers.ok()) return layers.status();
  auto it = std::find_if(layers->begin(), layers->end(),
                         [&](const LayerRecord& l) { return l.id == id; });
  if (it == layers->end()) return absl::NotFoundError(StrCat("layer ", id, " does not exist"));
  for (const LayerRecord& other : *layers) {
    if (other.parent == id) {
      return absl::FailedPreconditionError(
          StrCat("layer ", id, " is in use: layer ", other.id, " is built on it"));
    }
  }
  {
    ExclusiveLock mounts(*mounts_lock_);
    for (const MountEntry& mount : ParseMounts(ReadSmallFile(mounts_json_))) {
      if (mount.id == id && mount.count > 0) {
        return absl::FailedPreconditionError(StrCat("layer ", id, " is mounted at ", mount.path));
      }
    }
  }
  // Marked first, so a crash halfway leaves a record the next opener cleans up.
  it->flags["incomplete"] = true;
  if (auto status = SaveLocked(*layers); !status.ok()) return status;
  if (auto status = RemoveLayerFiles(id); !status.ok()) return status;
  std::erase_if(*layers, [&](const LayerRecord& l) { return l.id == id; });
  return SaveLocked(*layers);
}

absl::StatusOr<std::filesystem::path> LayerStore::Mount(const std::string& id,
                                                        const UsernsMount* userns) {
  return MountLayer(id, /*read_only=*/false, userns);
}

absl::StatusOr<std::filesystem::path> LayerStore::MountReadOnly(const std::string& id) {
  return MountLayer(id, /*read_only=*/true);
}

absl::StatusOr<int> LayerStore::MountCount(const std::string& id) {
  ExclusiveLock mounts_lock(*mounts_lock_);
  for (const MountEntry& mount : ParseMounts(ReadSmallFile(mounts_json_))) {
    if (mount.id == id) return std::max(mount.count, 0);
  }
  return 0;
}

absl::StatusOr<std::filesystem::path> LayerStore::MountLayer(const std::string& id, bool read_only,
                                                             const UsernsMount* userns) {
  ExclusiveLock lock(*layers_lock_);
  absl::StatusOr<std::vector<LayerRecord>> layers = LoadLocked();
  if (!layers.ok()) return layers.status();
  auto record = std::find_if(layers->begin(), layers->end(),
                             [&](const LayerRecord& l) { return l.id == id; });
  if (record == layers->end()) return absl::NotFoundError(StrCat("layer ", id, " does not exist"));
  // A container's SELinux file label, given to every file of the mount (quoted: it holds commas).
  std::string context =
      record->mount_label.empty() ? "" : StrCat(",context=\"", record->mount_label, "\"");
  ExclusiveLock mounts_lock(*mounts_lock_);
  std::vector<MountEntry> mounts = ParseMounts(ReadSmallFile(mounts_json_));
  std::filesystem::path merged = home_ / id / "merged";
  auto entry =
      std::find_if(mounts.begin(), mounts.end(), [&](const MountEntry& m) { return m.id == id; });
  if (entry != mounts.end() && entry->count > 0 && IsMountPoint(merged)) {
    ++entry->count;
  } else {
    if (auto status = MakeDir(merged, 0700); !status.ok()) return status;
    std::string lower = ReadSmallFile(home_ / id / "lower");
    std::vector<std::string_view> links;
    if (!lower.empty()) links = StrSplit(lower, ':', /*skip_empty=*/true);
    std::string extra;
    unsigned long flags = SplitMountOptions(options_.mount_options, extra);
    if (read_only) flags |= MS_RDONLY;
    // Read-only, the layer's own diff becomes the top lower. overlayfs wants two lowers when there
    // is no upper, so a base layer gets its "empty" directory below it, as containers/storage does.
    std::string own_link = read_only ? ReadSmallFile(home_ / id / "link") : std::string();
    auto build = [&](bool relative) {
      std::string base = relative ? "" : StrCat(home_.string(), "/");
      std::vector<std::string> lowers;
      if (read_only) {
        bool usable = !own_link.empty() && own_link.find('/') == std::string::npos;
        lowers.push_back(usable ? StrCat(base, "l/", own_link) : StrCat(base, id, "/diff"));
      }
      for (std::string_view link : links) lowers.push_back(StrCat(base, link));
      if (lowers.size() < (read_only ? 2u : 1u)) lowers.push_back(StrCat(base, id, "/empty"));
      if (read_only) return StrCat("lowerdir=", StrJoin(lowers, ":"), extra, context);
      return StrCat("lowerdir=", StrJoin(lowers, ":"), ",upperdir=", base, id,
                    "/diff,workdir=", base, id, "/work", extra, context);
    };
    std::string data = build(false);
    if (userns != nullptr) {
      if (auto status = MountIdmappedOverlay(id, links, flags, extra + context, *userns);
          !status.ok()) {
        return status;
      }
    } else if (data.size() < static_cast<size_t>(::getpagesize())) {
      if (::mount("overlay", merged.c_str(), "overlay", flags, data.c_str()) != 0) {
        return ErrnoStatus("mount overlay on", merged);
      }
    } else if (auto status = MountFrom(home_, StrCat(id, "/merged"), flags, build(true));
               !status.ok()) {
      return status;
    }
    if (entry == mounts.end()) {
      mounts.push_back({id, merged.string(), 1});
    } else {
      entry->path = merged.string();
      entry->count = 1;
    }
  }
  if (auto status = mounts_lock_->Touch(); !status.ok()) return status;
  if (auto status =
          WriteFileAtomically(mounts_json_, SerializeMounts(mounts), 0600, Durability::kVolatile);
      !status.ok()) {
    return status;
  }
  return merged;
}

absl::Status LayerStore::MountIdmappedOverlay(const std::string& id,
                                              const std::vector<std::string_view>& links,
                                              unsigned long flags, const std::string& extra,
                                              const UsernsMount& userns) {
  UniqueFd userns_fd(::open(userns.ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns_fd.valid()) return ErrnoStatus("opening the user namespace", userns.ns);
  // The runtime enters the user namespace before it mounts the rootfs, as that namespace's
  // root: every directory on the way to it must let others through (search, not read).
  for (std::filesystem::path dir = home_ / id; !dir.empty() && dir != dir.root_path();
       dir = dir.parent_path()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus("stat", dir);
    if ((st.st_mode & S_IXOTH) != 0) continue;
    if (::chmod(dir.c_str(), (st.st_mode & 07777) | 0111) != 0) return ErrnoStatus("chmod", dir);
    spdlog::info("Made {} searchable by others, for containers in user namespaces", dir.string());
  }
  // The writable layer belongs to the namespace's root, as containers/storage makes it: overlay
  // writes there with the mounter's credentials, which an idmapped upper would not map.
  for (const char* part : {"diff", "work"}) {
    std::filesystem::path dir = home_ / id / part;
    if (::chown(dir.c_str(), userns.root_uid, userns.root_gid) != 0) {
      return ErrnoStatus("chown", dir);
    }
  }
  // Idmapped clones of every lower, attached below <id>/idmap only for as long as the overlay
  // mount takes: it keeps them alive after.
  std::filesystem::path staging = home_ / id / "idmap";
  std::vector<std::filesystem::path> attached;
  auto detach_all = [&] {
    for (const auto& path : attached) ::umount2(path.c_str(), MNT_DETACH);
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
  };
  std::vector<std::pair<std::filesystem::path, std::string>> clones;  // source, staging name
  for (size_t i = 0; i < links.size(); ++i) {
    clones.emplace_back(home_ / std::string(links[i]), std::to_string(i));
  }
  if (links.empty()) clones.emplace_back(home_ / id / "empty", "0");
  std::vector<std::string> lowers;
  if (auto status = MakeDir(staging, 0700); !status.ok()) return status;
  for (const auto& [source, name] : clones) {
    std::filesystem::path target = staging / name;
    if (auto status = MakeDir(target, 0700); !status.ok()) {
      detach_all();
      return status;
    }
    if (auto status = AttachIdmappedClone(source, target, userns_fd.get()); !status.ok()) {
      detach_all();
      return status;
    }
    attached.push_back(target);
    lowers.push_back(StrCat(id, "/idmap/", name));
  }
  std::string data = StrCat("lowerdir=", StrJoin(lowers, ":"), ",upperdir=", id,
                            "/diff,workdir=", id, "/work", extra);
  absl::Status mounted = MountFrom(home_, StrCat(id, "/merged"), flags, data);
  detach_all();
  return mounted;
}

absl::Status LayerStore::Shutdown() {
  ExclusiveLock lock(*layers_lock_);
  ExclusiveLock mounts_lock(*mounts_lock_);
  for (const MountEntry& mount : ParseMounts(ReadSmallFile(mounts_json_))) {
    if (mount.count > 0) {
      return absl::FailedPreconditionError(
          StrCat("layer ", mount.id, " is still mounted at ", mount.path));
    }
  }
  if (IsMountPoint(home_) && ::umount2(home_.c_str(), MNT_DETACH) != 0) {
    return ErrnoStatus("unmount", home_);
  }
  return absl::OkStatus();
}

absl::Status LayerStore::Unmount(const std::string& id, bool force) {
  ExclusiveLock lock(*layers_lock_);
  ExclusiveLock mounts_lock(*mounts_lock_);
  std::vector<MountEntry> mounts = ParseMounts(ReadSmallFile(mounts_json_));
  auto entry =
      std::find_if(mounts.begin(), mounts.end(), [&](const MountEntry& m) { return m.id == id; });
  std::filesystem::path merged = home_ / id / "merged";
  if (entry != mounts.end() && !force && entry->count > 1) {
    --entry->count;
  } else {
    if (IsMountPoint(merged) && ::umount2(merged.c_str(), MNT_DETACH) != 0) {
      return ErrnoStatus("unmount", merged);
    }
    ::rmdir(merged.c_str());
    if (entry != mounts.end()) entry->count = 0;
  }
  if (auto status = mounts_lock_->Touch(); !status.ok()) return status;
  return WriteFileAtomically(mounts_json_, SerializeMounts(mounts), 0600, Durability::kVolatile);
}

}  // namespace crio::storage
