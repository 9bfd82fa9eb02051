#pragma once

// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "runtime/v1/api.pb.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace crio::oci {

// An SELinux context, user:role:type[:level]. The level is "s0" or "s0:c1,c2" (it may hold
// colons itself).
struct SelinuxContext {
  std::string user;
  std::string role;
  std::string type;
  std::string level;

  // InvalidArgument unless `label` has the three or four parts, each made of the characters
  // policies use (so a label can never break out of a mount option's quotes).
  static absl::StatusOr<SelinuxContext> Parse(std::string_view label);
  std::string ToString() const;
};

// The labels a pod or container runs with. Both empty: no SELinux labeling at all. An empty
// process label with a mount label: the process keeps the runtime's domain (privileged) while
// its files still get a label.
struct SelinuxLabels {
  std::string process;  // process.selinuxLabel
  std::string mount;    // linux.mountLabel, the context= of the rootfs and shm, relabeled volumes

  bool empty() const { return process.empty() && mount.empty(); }
  bool operator==(const SelinuxLabels&) const = default;
};

// The policy's labels for container processes and their files: lxc_contexts' "process" and
// "file" entries, each with the level "s0".
struct ContainerPolicyLabels {
  std::string process;  // system_u:system_r:container_t:s0 under the targeted policy
  std::string file;     // system_u:object_r:container_file_t:s0
};

// Reads SELINUXTYPE from <root>/etc/selinux/config and the container labels from
// <root>/etc/selinux/<type>/contexts/lxc_contexts. NotFound when the policy names none (a
// policy without container support): containers then run unlabeled, as with go-selinux.
absl::StatusOr<ContainerPolicyLabels> LoadContainerPolicyLabels(
    const std::filesystem::path& root = "/");

// The MCS levels pods hold, "s0:cX,cY" with X < Y below 1024. Counted: pods may ask for the
// same level (Kubernetes does, to share volumes) and it stays held until the last lets go.
class McsLevels {
 public:
  // `random` picks categories; the default is a seeded std::mt19937.
  explicit McsLevels(std::function<uint32_t()> random = {});

  // A level no pod holds, now held once.
  std::string Allocate();
  void Hold(std::string_view level);
  void Release(std::string_view level);
  int HoldCount(std::string_view level) const;

 private:
  std::function<uint32_t()> random_;
  mutable absl::Mutex mu_;
  std::map<std::string, int, std::less<>> held_ ABSL_GUARDED_BY(mu_);
};

// Why a pod runs without SELinux separation of its processes.
enum class PodSelinuxMode {
  kSeparated,       // the policy's container label with a level of its own
  kPrivileged,      // no process label; files get the policy's file label at s0
  kHostNamespaces,  // host PID or IPC namespace: no labels at all, as in CRI-O
  kHostNetwork,     // host network with hostnetwork_disable_selinux: no process label
};

// Hands out pod labels under one policy. One per daemon, and only when labeling is on (the host
// has SELinux and crio.conf's selinux asks for it).
class SelinuxLabeler {
 public:
  explicit SelinuxLabeler(ContainerPolicyLabels policy, std::function<uint32_t()> random = {});

  // The labels of a new pod: the policy's, then the pod's own options on top. A level of its
  // own is allocated unless the options name one; either way the level is held until Release.
  absl::StatusOr<SelinuxLabels> ForPod(const runtime::v1::SELinuxOption& options,
                                       PodSelinuxMode mode);
  // A pod recovered at startup keeps its level.
  void Hold(const SelinuxLabels& pod);
  void Release(const SelinuxLabels& pod);

  const ContainerPolicyLabels& policy() const { return policy_; }
  const McsLevels& levels() const { return levels_; }

 private:
  ContainerPolicyLabels policy_;
  McsLevels levels_;
};

// What the daemon labels with: a labeler when crio.conf's selinux is on, the host has SELinux
// and the policy (below `root`) has container labels; otherwise none, and `message` says why.
struct SelinuxSetup {
  std::unique_ptr<SelinuxLabeler> labeler;
  std::string message;  // for the startup log
};
SelinuxSetup SetUpSelinuxLabeling(bool configured, bool host_has_selinux,
                                  const std::filesystem::path& root = "/");

// A container's labels: its pod's, with the container's own options on top (user, role and type
// for the process; user and level for files too). Privileged containers get no process label
// but keep the pod's mount label, so what the pod relabeled stays theirs. A pod without a
// process label gives its containers none.
absl::StatusOr<SelinuxLabels> ContainerSelinuxLabels(const SelinuxLabels& pod,
                                                     const runtime::v1::SELinuxOption& options,
                                                     bool privileged);

// `label` as a mount(2) option: context="<label>" (quoted: levels hold commas).
std::string SelinuxMountContext(std::string_view label);

// Gives `path` and everything below it (symlinks themselves, never their targets) the file
// label `label`, as `chcon -R` does; "shared" lowers the level to s0 so that every container may
// use the files. System directories (/, /usr, /etc, $HOME, ...) are refused with
// InvalidArgument, as go-selinux refuses them. A filesystem that cannot store labels (ENOTSUP)
// is left as it is.
absl::Status RelabelPath(const std::filesystem::path& path, std::string_view label, bool shared);

// The label `path` carries (its security.selinux attribute), "" when none.
std::string FileSelinuxLabel(const std::filesystem::path& path);

}  // namespace crio::oci
