// The built-in RuntimeDefault seccomp profile: what a container may call when the pod asks for
// the runtime's default filter. It follows the profile that podman and CRI-O ship, so that
// workloads moved from CRI-O behave the same; where we chose differently it says so below.
//
// Answers:
// - A syscall the table does not name fails with ENOSYS, not EPERM. Syscalls newer than this
//   table then look like a kernel that lacks them, which is the case libc and language runtimes
//   already handle by falling back (statx to fstatat, openat2 to openat, clone3 to clone...);
//   EPERM would read as a policy refusal and make them give up instead.
// - A syscall that exists but that containers must not use (or use only with a capability) fails
//   with EPERM, which is what the same call answers on a host to a process lacking the privilege:
//   programs report "Operation not permitted" instead of believing the kernel is old.
//
// Choices, with the reasons:
// - clone3 without CAP_SYS_ADMIN: ENOSYS. Its flags live in a struct in memory, which a filter
//   cannot read, so namespace creation could not be refused selectively; glibc (2.34+) and others
//   retry with clone on ENOSYS, whose flags argument the filter can read.
// - clone without CAP_SYS_ADMIN: allowed unless it asks for a new namespace (any CLONE_NEW* bit),
//   which answers EPERM. With CAP_SYS_ADMIN clone and clone3 are allowed whole.
// - unshare, setns, mount and friends: only with CAP_SYS_ADMIN. Notably this refuses
//   `unshare -U`, unprivileged user namespaces, which the kernel itself would allow: they open
//   most of the kernel's CAP_SYS_ADMIN-guarded code to an unprivileged attacker.
// - io_uring_setup/enter/register: not allowed (ENOSYS). io_uring has been the largest source of
//   kernel privilege escalations of recent years and bypasses this filter for the operations it
//   submits; every io_uring user we know of (liburing callers, libuv, tokio, QEMU) treats ENOSYS as
//   "no io_uring" and falls back to epoll and threads.
// - socket(AF_VSOCK): not allowed (ENOSYS; a filter cannot answer EAFNOSUPPORT for one family and
//   allow the rest). vsock is not network-namespaced: from a VM node it reaches the hypervisor's
//   host services around the pod network and its policies. On 32-bit x86 the socketcall
//   multiplexer hides the family from the filter, so it is allowed whole there.
// - personality: only the values programs use to query or to ask for 32-bit or uname26 behaviour;
//   others (ADDR_NO_RANDOMIZE and the like weaken the container's own hardening) get ENOSYS.
// - ptrace, process_vm_readv/writev, kcmp, pidfd_getfd, process_madvise: only with
//   CAP_SYS_PTRACE. They read and rewrite other processes of the container (a compromised
//   sidecar could take over the main process), and before 4.8 a tracer could step around the
//   filter. Docker allows ptrace on newer kernels; debugging here means adding SYS_PTRACE.
// - adjtimex and clock_adjtime stay allowed: with a zero mode they are read-only queries used by
//   ntp_gettime() and monitoring agents, and the kernel demands CAP_SYS_TIME for any change.
//   settimeofday, stime and clock_settime have no read-only use and need CAP_SYS_TIME here.
// - keyctl, add_key, request_key: EPERM whatever the capabilities. The kernel keyring is not
//   namespaced, so keys would leak between containers of the same uid.
// - kexec_*, swapon/swapoff, userfaultfd, the obsolete module and sysctl calls, vm86, ustat,
//   uselib, nfsservctl, bdflush, pciconfig_*: EPERM always; a container has no business with
//   them (userfaultfd is an exploitation primitive; CRIU-style users run privileged).
// - Capability-gated groups follow the capability the kernel itself checks: CAP_SYS_MODULE
//   (module loading), CAP_SYS_BOOT (reboot), CAP_SYS_RAWIO (iopl, ioperm), CAP_SYS_PACCT (acct),
//   CAP_SYS_CHROOT (chroot), CAP_SYS_TTY_CONFIG (vhangup), CAP_SYS_NICE (NUMA memory policy and
//   page migration), CAP_DAC_READ_SEARCH (open_by_handle_at, which escapes bind mounts without
//   it), CAP_SYSLOG or CAP_SYS_ADMIN (syslog), CAP_BPF or CAP_SYS_ADMIN (bpf), CAP_PERFMON or
//   CAP_SYS_ADMIN (perf_event_open).
//
// The table lists names for both supported families (x86_64 with x86 and x32; aarch64 with arm);
// names that libseccomp has no number for on any of the profile's architectures (the other
// family's, or syscalls newer than the installed libseccomp) are left out when the profile is
// built, so the runtime never sees a name it cannot resolve.

#include <sched.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crio/common/strings.h"
#include "crio/oci/seccomp.h"

namespace crio::oci {
namespace seccomp_internal {
namespace {

using nlohmann::json;

// clang-format off
constexpr std::string_view kAllowed[] = {
    "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl",
    "arm_fadvise64_64", "arm_sync_file_range", "bind", "breakpoint", "brk", "cacheflush",
    "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
    "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
    "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
    "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
    "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
    "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
    "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
    "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
    "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioctl",
    "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
    "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
    "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
    "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause",
    "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
    "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
    "set_thread_area", "set_tid_address", "set_tls", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid",
    "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
    "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice",
    "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
    "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
    "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64",
    "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
};

constexpr std::string_view kDenied[] = {
    "_sysctl", "add_key", "bdflush", "create_module", "get_kernel_syms", "kexec_file_load",
    "kexec_load", "keyctl", "nfsservctl", "pciconfig_iobase", "pciconfig_read",
    "pciconfig_write", "query_module", "request_key", "swapoff", "swapon", "sysfs", "uselib",
    "userfaultfd", "ustat", "vm86", "vm86old",
};
// clang-format on

struct CapGroup {
  std::vector<std::string_view> caps;  // any one of them unlocks the group
  std::vector<std::string_view> names;
};

const std::vector<CapGroup>& CapGroups() {
  static const auto* groups = new std::vector<CapGroup>{
      {{"CAP_SYS_ADMIN"},
       {"fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
        "mount_setattr", "move_mount", "open_tree", "pivot_root", "quotactl", "quotactl_fd",
        "setdomainname", "sethostname", "setns", "umount", "umount2", "unshare"}},
      {{"CAP_SYS_ADMIN", "CAP_SYSLOG"}, {"syslog"}},
      {{"CAP_SYS_ADMIN", "CAP_BPF"}, {"bpf"}},
      {{"CAP_SYS_ADMIN", "CAP_PERFMON"}, {"perf_event_open"}},
      {{"CAP_DAC_READ_SEARCH"}, {"open_by_handle_at"}},
      {{"CAP_SYS_BOOT"}, {"reboot"}},
      {{"CAP_SYS_CHROOT"}, {"chroot"}},
      {{"CAP_SYS_MODULE"}, {"delete_module", "finit_module", "init_module"}},
      {{"CAP_SYS_NICE"},
       {"get_mempolicy", "mbind", "migrate_pages", "move_pages", "set_mempolicy",
        "set_mempolicy_home_node"}},
      {{"CAP_SYS_PACCT"}, {"acct"}},
      {{"CAP_SYS_PTRACE"},
       {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
        "ptrace"}},
      {{"CAP_SYS_RAWIO"}, {"ioperm", "iopl"}},
      {{"CAP_SYS_TIME"}, {"clock_settime", "clock_settime64", "settimeofday", "stime"}},
      {{"CAP_SYS_TTY_CONFIG"}, {"vhangup"}},
  };
  return *groups;
}

// Syscalls whose rules look at arguments, handled one by one in DefaultProfile.
constexpr std::string_view kArgumentRuled[] = {"clone", "clone3", "personality", "socket"};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                        CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET};

// PER_LINUX, PER_LINUX32, UNAME26 alone and with PER_LINUX32, and the query value.
constexpr uint64_t kPersonalities[] = {PER_LINUX, PER_LINUX32, UNAME26,
                                       uint64_t{UNAME26} | PER_LINUX32, 0xffffffff};

// The table with the names libseccomp cannot resolve taken out, for one list of architectures.
// Resolving ~400 names per architecture is too slow to repeat for every container.
struct Resolved {
  std::vector<std::string> allowed;
  std::vector<std::string> denied;
  std::vector<std::vector<std::string>> groups;  // parallel to CapGroups()
  std::vector<std::string> argument_ruled;       // the known ones of kArgumentRuled
  std::vector<std::string> unknown;
};

template <class Names>
std::vector<std::string> Strings(const Names& names) {
  return std::vector<std::string>(std::begin(names), std::end(names));
}

const Resolved& ResolvedFor(const std::vector<std::string>& architectures) {
  static std::mutex mu;
  static auto* cache = new std::map<std::vector<std::string>, std::unique_ptr<Resolved>>();
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Resolved>& slot = (*cache)[architectures];
  if (slot) return *slot;
  auto resolved = std::make_unique<Resolved>();
  resolved->allowed = KnownSyscalls(Strings(kAllowed), architectures, &resolved->unknown);
  resolved->denied = KnownSyscalls(Strings(kDenied), architectures, &resolved->unknown);
  for (const CapGroup& group : CapGroups()) {
    resolved->groups.push_back(
        KnownSyscalls(Strings(group.names), architectures, &resolved->unknown));
  }
  resolved->argument_ruled =
      KnownSyscalls(Strings(kArgumentRuled), architectures, &resolved->unknown);
  slot = std::move(resolved);
  return *slot;
}

json Rule(std::vector<std::string> names, std::string_view action) {
  std::sort(names.begin(), names.end());
  return {{"names", std::move(names)}, {"action", action}};
}

json Errno(std::vector<std::string> names, int error) {
  json rule = Rule(std::move(names), "SCMP_ACT_ERRNO");
  rule["errnoRet"] = error;
  return rule;
}

json Arg(uint64_t value, uint64_t value_two, std::string_view op) {
  return {{"index", 0}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

}  // namespace

std::vector<std::string> BuiltinSyscallNames() {
  std::vector<std::string> names = Strings(kAllowed);
  names.insert(names.end(), std::begin(kDenied), std::end(kDenied));
  for (const CapGroup& group : CapGroups())
    names.insert(names.end(), group.names.begin(), group.names.end());
  names.insert(names.end(), std::begin(kArgumentRuled), std::end(kArgumentRuled));
  return names;
}

absl::StatusOr<json> DefaultProfile(const std::vector<std::string>& capabilities,
                                    const Target& target, std::vector<std::string>* unknown) {
  const Resolved& resolved = ResolvedFor(target.architectures);
  if (unknown != nullptr) *unknown = resolved.unknown;
  auto known = [&](std::string_view name) {
    return std::find(resolved.argument_ruled.begin(), resolved.argument_ruled.end(), name) !=
           resolved.argument_ruled.end();
  };
  auto has_any = [&](const std::vector<std::string_view>& caps) {
    return std::any_of(caps.begin(), caps.end(),
                       [&](std::string_view cap) { return HasCapability(capabilities, cap); });
  };

  std::vector<std::string> allowed = resolved.allowed;
  std::vector<std::string> denied = resolved.denied;
  for (size_t i = 0; i < CapGroups().size(); ++i) {
    std::vector<std::string>& into = has_any(CapGroups()[i].caps) ? allowed : denied;
    into.insert(into.end(), resolved.groups[i].begin(), resolved.groups[i].end());
  }

  json rules = json::array();
  bool sys_admin = HasCapability(capabilities, "CAP_SYS_ADMIN");
  if (sys_admin) {
    for (std::string_view name : {"clone", "clone3"}) {
      if (known(name)) allowed.emplace_back(name);
    }
  }
  rules.push_back(Rule(allowed, "SCMP_ACT_ALLOW"));

  if (known("personality")) {
    for (uint64_t value : kPersonalities) {
      json rule = Rule({"personality"}, "SCMP_ACT_ALLOW");
      rule["args"] = json::array({Arg(value, 0, "SCMP_CMP_EQ")});
      rules.push_back(std::move(rule));
    }
  }
  if (known("socket")) {
    json rule = Rule({"socket"}, "SCMP_ACT_ALLOW");
    rule["args"] = json::array({Arg(AF_VSOCK, 0, "SCMP_CMP_NE")});
    rules.push_back(std::move(rule));
  }
  if (!sys_admin && known("clone")) {
    uint64_t all = 0;
    for (uint64_t flag : kNamespaceFlags) all |= flag;
    json rule = Rule({"clone"}, "SCMP_ACT_ALLOW");
    rule["args"] = json::array({Arg(all, 0, "SCMP_CMP_MASKED_EQ")});
    rules.push_back(std::move(rule));
    // One rule per flag: a filter can test "these bits are all clear" but not "some bit is set".
    for (uint64_t flag : kNamespaceFlags) {
      json refused = Errno({"clone"}, EPERM);
      refused["args"] = json::array({Arg(flag, flag, "SCMP_CMP_MASKED_EQ")});
      rules.push_back(std::move(refused));
    }
    // clone3 is left to the default action (ENOSYS): a rule repeating the default is refused by
    // libseccomp (runc drops it, other runtimes may not).
  }
  if (!denied.empty()) rules.push_back(Errno(denied, EPERM));

  json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                  {"defaultErrnoRet", ENOSYS},
                  {"syscalls", std::move(rules)}};
  if (!target.architectures.empty()) profile["architectures"] = target.architectures;
  return profile;
}

}  // namespace seccomp_internal

absl::StatusOr<nlohmann::json> DefaultSeccompProfile(
    const std::vector<std::string>& effective_capabilities) {
  static std::once_flag logged;
  std::vector<std::string> unknown;
  absl::StatusOr<nlohmann::json> profile = seccomp_internal::DefaultProfile(
      effective_capabilities, seccomp_internal::NativeTarget(), &unknown);
  std::call_once(logged, [&] { seccomp_internal::LogUnknown("default seccomp profile", unknown); });
  return profile;
}

}  // namespace crio::oci
