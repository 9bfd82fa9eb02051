#pragma once

// The CNI layer: which network pods join (from network_dir, reloaded on change), and attaching
// pods to it and detaching them through the plugin chain, with libcni-compatible result caching
// so that a DEL always undoes exactly what the ADD did.

#include <array>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crio/network/bandwidth.h"
#include "crio/network/cni_types.h"
#include "crio/network/readiness.h"

namespace crio::network {

struct NetworkConfigList;
class DirWatcher;

class CniManager {
 public:
  // Loads network_dir and, with options.watch, starts watching it (the directory may appear
  // later). Fails only when the watcher cannot be set up; a missing or empty network_dir is a
  // not-ready state, not an error.
  static absl::StatusOr<std::unique_ptr<CniManager>> Create(CniOptions options);
  ~CniManager();  // stops the watcher thread
  CniManager(const CniManager&) = delete;
  CniManager& operator=(const CniManager&) = delete;

  // Ready when a valid default network exists and, for a cniVersion 1.1.0 network, every plugin
  // answers STATUS successfully (each call runs the plugins' STATUS afresh). Otherwise reason
  // "NetworkPluginNotReady" and CRI-O's "Network plugin returns error: ..." message.
  Readiness Status() const;
  // "" when there is none.
  std::string DefaultNetworkName() const;

  // ADD through the default network's whole chain; the result is cached for DEL and CHECK. On a
  // failure the chain is DELeted again (best effort) so that nothing allocated stays behind.
  absl::StatusOr<AttachResult> Attach(const PodNetwork& pod);
  // CHECK with the cached configuration and result. OK without calling any plugin when the
  // network's cniVersion predates CHECK (< 0.4.0) or sets disableCheck; FailedPrecondition when
  // the pod has no cached attachment.
  absl::Status Check(const PodNetwork& pod);
  // DEL, in reverse order, with the configuration, arguments and result cached by Attach even if
  // network_dir changed since; without a cache entry, with the current default network (nothing
  // to do when there is none). A netns that no longer exists is not passed (CNI_NETNS unset), so
  // plugins still release what lives outside it (IP allocations, host veths, iptables rules).
  // A failing DEL is retried twice; the cache entry goes once DEL succeeds. Idempotent.
  absl::Status Detach(const PodNetwork& pod);
  // What Attach returned for this pod, from the cache; nullopt when it is not attached.
  absl::StatusOr<std::optional<AttachResult>> CachedResult(const std::string& pod_id,
                                                           const std::string& ifname = "eth0");
  // Detaches every cached attachment whose pod id is not in `valid_pod_ids` (using the cached
  // netns when it still exists), then, for a cniVersion 1.1.0 default network without
  // disableGC, sends GC to its plugins with the remaining attachments as the valid ones.
  // `valid_pod_ids` must include pods being set up at the time, or their fresh attachment goes.
  absl::Status GarbageCollect(const std::vector<std::string>& valid_pod_ids);

  // Rescans network_dir now (the watcher calls this on every change).
  void Reload();

 private:
  explicit CniManager(CniOptions options);

  struct Snapshot {
    std::shared_ptr<const NetworkConfigList> network;  // null when not ready
    std::string problem;                               // why not, when null
  };
  Snapshot Current() const;
  absl::Mutex& AttachmentLock(const std::string& pod_id, const std::string& ifname);

  const CniOptions options_;
  absl::Mutex reload_mu_;  // one rescan at a time, so an older scan never replaces a newer one
  std::set<std::string> skip_reasons_ ABSL_GUARDED_BY(reload_mu_);  // as last logged
  mutable absl::Mutex mu_;
  std::shared_ptr<const NetworkConfigList> network_ ABSL_GUARDED_BY(mu_);
  std::string problem_ ABSL_GUARDED_BY(mu_);
  // The spec forbids parallel operations on one container; operations on different pods run in
  // parallel. Striped so that no per-pod lock needs cleaning up.
  std::array<absl::Mutex, 64> attachment_locks_;
  std::unique_ptr<DirWatcher> watcher_;  // last: it stops (and stops calling Reload) first
};

}  // namespace crio::network
