#include <sys/statfs.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <set>

#include "absl/time/clock.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/network/cni.h"
#include "crio/network/cni_cache.h"
#include "crio/network/cni_config.h"
#include "crio/network/cni_plugin.h"
#include "crio/network/cni_result.h"
#include "crio/network/dir_watcher.h"

namespace crio::network {
namespace {

constexpr std::string_view kNotReadyReason = "NetworkPluginNotReady";
constexpr std::string_view kNotReadyPrefix = "Network plugin returns error: ";
constexpr int64_t kNsfsMagic = 0x6e736673;  // NSFS_MAGIC
// A failing DEL is tried this many times in all: plugins that lost a race for a lock (iptables,
// IPAM stores) usually succeed on a second try, and a DEL that never succeeds leaks addresses.
constexpr int kDelAttempts = 3;
constexpr absl::Duration kDelRetryDelay = absl::Milliseconds(500);

// The namespace path to hand to plugins: "" once it is gone (deleted, or unmounted leaving the
// bind-mount target file behind), since a plugin asked to enter it would fail the whole DEL.
std::string LiveNetns(const std::string& path) {
  if (path.empty()) return "";
  struct statfs fs;
  if (::statfs(path.c_str(), &fs) != 0) return "";
  // Both a pinned namespace and /proc/<pid>/ns/net (statfs follows the link) report nsfs.
  if (static_cast<int64_t>(fs.f_type) != kNsfsMagic) return "";
  return path;
}

std::string PodDescription(const PodNetwork& pod) {
  if (pod.name.empty()) return StrCat("pod ", pod.pod_id);
  return StrCat("pod ", pod.namespace_name, "/", pod.name, " (", pod.pod_id, ")");
}

absl::Status WithContext(const absl::Status& status, std::string_view context) {
  return absl::Status(status.code(), StrCat(context, ": ", status.message()));
}

absl::Status DelWithRetry(const NetworkConfigList& network, const Attachment& attachment,
                          const nlohmann::json* prev_result, const ExecOptions& exec) {
  absl::Status status;
  for (int attempt = 1; attempt <= kDelAttempts; ++attempt) {
    status = DelNetwork(network, attachment, prev_result, exec);
    // A plugin that hangs once will hang again; do not triple the wait.
    if (status.ok() || absl::IsDeadlineExceeded(status)) break;
    if (attempt < kDelAttempts) {
      spdlog::warn("CNI DEL of {} on network {} failed (attempt {} of {}), retrying: {}",
                   attachment.container_id, network.name, attempt, kDelAttempts, status.message());
      absl::SleepFor(kDelRetryDelay * attempt);
    }
  }
  return status;
}

// The pieces of a cache entry a DEL or CHECK works from.
struct CachedAttachment {
  NetworkConfigList network;
  Attachment attachment;
};

absl::StatusOr<CachedAttachment> FromCache(const CacheEntry& entry, std::string netns) {
  absl::StatusOr<NetworkConfigList> network = ParseConfigList(
      entry.config_bytes, StrCat("the configuration cached in ", entry.file.string()));
  if (!network.ok()) return network.status();
  return CachedAttachment{*std::move(network),
                          Attachment{entry.container_id, entry.ifname, std::move(netns),
                                     entry.cni_args, entry.capability_args}};
}

AttachResult ToAttachResult(const CacheEntry& entry, std::vector<PodIp> ips) {
  return AttachResult{entry.network_name, std::move(ips),
                      entry.result ? entry.result->dump() : std::string()};
}

// Among a pod's cached attachments, the one on `preferred` if any.
const CacheEntry* Pick(const std::vector<CacheEntry>& entries, std::string_view preferred) {
  if (entries.empty()) return nullptr;
  for (const auto& entry : entries) {
    if (entry.network_name == preferred) return &entry;
  }
  return &entries.front();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CniManager>> CniManager::Create(CniOptions options) {
  std::unique_ptr<CniManager> manager(new CniManager(std::move(options)));
  if (manager->options_.watch) {
    // Watch first, then load: a change in between is then seen by the watcher.
    absl::StatusOr<std::unique_ptr<DirWatcher>> watcher =
        DirWatcher::Start(manager->options_.network_dir, [raw = manager.get()] { raw->Reload(); });
    if (!watcher.ok()) {
      return WithContext(watcher.status(),
                         StrCat("watching ", manager->options_.network_dir.string()));
    }
    manager->Reload();
    manager->watcher_ = *std::move(watcher);
  } else {
    manager->Reload();
  }
  return manager;
}

CniManager::CniManager(CniOptions options) : options_(std::move(options)) {}

CniManager::~CniManager() { watcher_.reset(); }

void CniManager::Reload() {
  absl::MutexLock reload_lock(&reload_mu_);
  NetworkDirScan scan = ScanNetworkDir(options_.network_dir, options_.plugin_dirs);
  // Each reason is logged when it first appears, not again on every change to the directory.
  std::set<std::string> reasons;
  for (const auto& skipped : scan.skipped) {
    if (!skip_reasons_.count(skipped.reason)) {
      spdlog::warn("Skipping CNI configuration: {}", skipped.reason);
    }
    reasons.insert(skipped.reason);
  }
  skip_reasons_ = std::move(reasons);
  std::shared_ptr<const NetworkConfigList> network;
  std::string problem;
  absl::StatusOr<size_t> index =
      SelectDefaultNetwork(scan, options_.default_network, options_.network_dir);
  if (index.ok()) {
    network = std::make_shared<const NetworkConfigList>(std::move(scan.networks[*index]));
  } else {
    problem = std::string(index.status().message());
  }

  absl::MutexLock lock(&mu_);
  bool changed =
      (network == nullptr) != (network_ == nullptr) ||
      (network && (network->name != network_->name || network->bytes != network_->bytes));
  if (changed || problem != problem_) {
    if (network) {
      spdlog::info("CNI default network: {} (cniVersion {}, {}, plugins: {})", network->name,
                   network->cni_version, network->source.string(), [&] {
                     std::vector<std::string> types;
                     for (const auto& plugin : network->plugins) types.push_back(plugin.type);
                     return StrJoin(types, ", ");
                   }());
    } else {
      spdlog::warn("No CNI default network: {}", problem);
    }
  }
  network_ = std::move(network);
  problem_ = std::move(problem);
}

CniManager::Snapshot CniManager::Current() const {
  absl::MutexLock lock(&mu_);
  return Snapshot{network_, problem_};
}

std::string CniManager::DefaultNetworkName() const {
  absl::MutexLock lock(&mu_);
  return network_ ? network_->name : "";
}

Readiness CniManager::Status() const {
  Snapshot current = Current();
  if (!current.network) {
    return Readiness{false, std::string(kNotReadyReason), StrCat(kNotReadyPrefix, current.problem)};
  }
  absl::Status status =
      NetworkStatus(*current.network, ExecOptions{options_.plugin_dirs, options_.plugin_timeout});
  if (!status.ok()) {
    return Readiness{false, std::string(kNotReadyReason),
                     StrCat(kNotReadyPrefix, status.message())};
  }
  return Readiness{true, "", ""};
}

absl::Mutex& CniManager::AttachmentLock(const std::string& pod_id, const std::string& ifname) {
  size_t hash = std::hash<std::string>()(StrCat(pod_id, "/", ifname));
  return attachment_locks_[hash % attachment_locks_.size()];
}

absl::StatusOr<AttachResult> CniManager::Attach(const PodNetwork& pod) {
  if (absl::Status ids = ValidateAttachmentIds(pod.pod_id, pod.ifname); !ids.ok()) return ids;
  Snapshot current = Current();
  std::string context = StrCat("attaching ", PodDescription(pod), " to the CNI network");
  if (!current.network)
    return absl::FailedPreconditionError(StrCat(context, ": ", current.problem));
  const NetworkConfigList& network = *current.network;
  StrAppend(&context, " \"", network.name, "\"");
  ExecOptions exec{options_.plugin_dirs, options_.plugin_timeout};
  Attachment attachment = PodAttachment(pod);

  absl::MutexLock lock(&AttachmentLock(pod.pod_id, pod.ifname));
  // Undoes a half-made attachment: the caller may never call Detach for a pod that failed to
  // start, and addresses would leak.
  auto undo = [&](const absl::Status& why) {
    absl::Status undone = DelNetwork(network, attachment, nullptr, exec);
    if (!undone.ok()) {
      spdlog::warn("Cleaning up after a failed CNI ADD of {}: {}", pod.pod_id, undone.message());
    }
    return WithContext(why, context);
  };
  absl::StatusOr<nlohmann::json> result = AddNetwork(network, attachment, exec);
  if (!result.ok()) return undo(result.status());
  absl::StatusOr<std::vector<PodIp>> ips = PodIpsFromResult(*result, pod.ifname);
  if (!ips.ok()) return undo(ips.status());

  CacheEntry entry;
  entry.container_id = pod.pod_id;
  entry.ifname = pod.ifname;
  entry.network_name = network.name;
  entry.netns = pod.netns.string();
  entry.config_bytes = network.bytes;
  entry.cni_args = attachment.cni_args;
  entry.capability_args = attachment.capability_args;
  entry.result = *result;
  // Without the cache entry a later DEL could not pass the result, and a changed configuration
  // would be torn down instead of this one: not worth a half-tracked pod.
  if (absl::Status cached = WriteCacheEntry(options_.cache_dir, entry); !cached.ok()) {
    return undo(cached);
  }
  spdlog::info("Attached {} to CNI network {}: {}", PodDescription(pod), network.name, [&] {
    std::vector<std::string> addresses;
    for (const auto& ip : *ips) addresses.push_back(StrCat(ip.address, "/", ip.prefix_length));
    return StrJoin(addresses, ", ");
  }());
  return AttachResult{network.name, *std::move(ips), result->dump()};
}

absl::Status CniManager::Check(const PodNetwork& pod) {
  if (absl::Status ids = ValidateAttachmentIds(pod.pod_id, pod.ifname); !ids.ok()) return ids;
  std::string context = StrCat("checking the network of ", PodDescription(pod));
  absl::MutexLock lock(&AttachmentLock(pod.pod_id, pod.ifname));
  CacheLookup lookup = FindCacheEntries(options_.cache_dir, pod.pod_id, pod.ifname);
  const CacheEntry* entry = Pick(lookup.entries, DefaultNetworkName());
  if (entry == nullptr || !entry->result) {
    return absl::FailedPreconditionError(
        StrCat(context, ": it is not attached to a CNI network (no cached result)"));
  }
  absl::StatusOr<CachedAttachment> cached = FromCache(*entry, pod.netns.string());
  if (!cached.ok()) return WithContext(cached.status(), context);
  absl::Status status = CheckNetwork(cached->network, cached->attachment, *entry->result,
                                     ExecOptions{options_.plugin_dirs, options_.plugin_timeout});
  return status.ok() ? status : WithContext(status, context);
}

absl::Status CniManager::Detach(const PodNetwork& pod) {
  if (absl::Status ids = ValidateAttachmentIds(pod.pod_id, pod.ifname); !ids.ok()) return ids;
  std::string context = StrCat("detaching ", PodDescription(pod), " from the CNI network");
  ExecOptions exec{options_.plugin_dirs, options_.plugin_timeout};
  std::string netns = LiveNetns(pod.netns.string());
  if (netns.empty() && !pod.netns.empty()) {
    spdlog::debug("Network namespace {} of {} is gone; DEL runs without it", pod.netns.string(),
                  pod.pod_id);
  }

  absl::MutexLock lock(&AttachmentLock(pod.pod_id, pod.ifname));
  CacheLookup lookup = FindCacheEntries(options_.cache_dir, pod.pod_id, pod.ifname);
  Snapshot current = Current();
  std::vector<std::string> failures;
  size_t usable = 0;
  for (const auto& entry : lookup.entries) {
    // A caller that no longer knows the namespace gets the one recorded at ADD, if it lives.
    absl::StatusOr<CachedAttachment> cached =
        FromCache(entry, pod.netns.empty() ? LiveNetns(entry.netns) : netns);
    if (!cached.ok()) {
      // A cache we cannot read still says the pod was attached: fall through to the default.
      spdlog::warn("{}: {}", context, cached.status().message());
      lookup.unreadable.push_back(entry.file);
      continue;
    }
    ++usable;
    const nlohmann::json* previous = entry.result ? &*entry.result : nullptr;
    absl::Status status = DelWithRetry(cached->network, cached->attachment, previous, exec);
    if (status.ok()) status = RemoveCacheFile(entry.file);
    if (!status.ok()) {
      failures.push_back(StrCat("\"", entry.network_name, "\": ", status.message()));
    } else {
      spdlog::info("Detached {} from CNI network {}", PodDescription(pod), entry.network_name);
    }
  }
  if (usable == 0 && current.network) {
    Attachment attachment = PodAttachment(pod);
    attachment.netns = netns;
    absl::Status status = DelWithRetry(*current.network, attachment, nullptr, exec);
    if (!status.ok()) {
      failures.push_back(StrCat("\"", current.network->name, "\": ", status.message()));
    } else {
      for (const auto& file : lookup.unreadable) {
        if (absl::Status removed = RemoveCacheFile(file); !removed.ok()) {
          failures.emplace_back(removed.message());
        }
      }
    }
  }
  if (!failures.empty()) {
    return absl::InternalError(StrCat(context, ": ", StrJoin(failures, "; ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<AttachResult>> CniManager::CachedResult(const std::string& pod_id,
                                                                     const std::string& ifname) {
  if (absl::Status ids = ValidateAttachmentIds(pod_id, ifname); !ids.ok()) return ids;
  CacheLookup lookup = FindCacheEntries(options_.cache_dir, pod_id, ifname);
  const CacheEntry* entry = Pick(lookup.entries, DefaultNetworkName());
  if (entry == nullptr) return std::optional<AttachResult>();
  std::vector<PodIp> ips;
  if (entry->result) {
    absl::StatusOr<std::vector<PodIp>> parsed = PodIpsFromResult(*entry->result, ifname);
    if (!parsed.ok()) return WithContext(parsed.status(), entry->file.string());
    ips = *std::move(parsed);
  }
  return std::optional<AttachResult>(ToAttachResult(*entry, std::move(ips)));
}

absl::Status CniManager::GarbageCollect(const std::vector<std::string>& valid_pod_ids) {
  std::set<std::string> valid(valid_pod_ids.begin(), valid_pod_ids.end());
  ExecOptions exec{options_.plugin_dirs, options_.plugin_timeout};
  std::vector<std::string> failures;
  CacheLookup lookup = ListCacheEntries(options_.cache_dir);
  std::vector<std::pair<std::string, std::string>> survivors;
  Snapshot current = Current();
  for (const auto& entry : lookup.entries) {
    if (valid.count(entry.container_id)) {
      if (current.network && entry.network_name == current.network->name) {
        survivors.emplace_back(entry.container_id, entry.ifname);
      }
      continue;
    }
    absl::MutexLock lock(&AttachmentLock(entry.container_id, entry.ifname));
    absl::StatusOr<CachedAttachment> cached = FromCache(entry, LiveNetns(entry.netns));
    absl::Status status = cached.status();
    if (cached.ok()) {
      const nlohmann::json* previous = entry.result ? &*entry.result : nullptr;
      status = DelWithRetry(cached->network, cached->attachment, previous, exec);
    }
    if (status.ok()) status = RemoveCacheFile(entry.file);
    if (status.ok()) {
      spdlog::info("Garbage-collected the CNI attachment of {} on network {}", entry.container_id,
                   entry.network_name);
    } else {
      failures.push_back(StrCat(entry.container_id, ": ", status.message()));
    }
  }
  if (current.network) {
    absl::Status status = GcNetwork(*current.network, survivors, exec);
    if (!status.ok()) failures.emplace_back(status.message());
  }
  if (!failures.empty()) {
    return absl::InternalError(StrCat("CNI garbage collection: ", StrJoin(failures, "; ")));
  }
  return absl::OkStatus();
}

}  // namespace crio::network
