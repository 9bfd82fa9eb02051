// Before any system header: see the note on the Signal enum in proto/runtime/v1/api.proto.
#include "crio/oci/spec.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crio/oci/seccomp.h"

#include "scratch_dir.h"

namespace crio::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using seccomp_internal::ConvertProfile;
using seccomp_internal::DefaultProfile;
using seccomp_internal::Target;
using seccomp_internal::TargetFor;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSubsetOf;
using ::testing::Not;

const Target kX86 = TargetFor("SCMP_ARCH_X86_64", {6, 1});
const Target kArm = TargetFor("SCMP_ARCH_AARCH64", {6, 1});

json Default(const std::vector<std::string>& caps, const Target& target = kX86) {
  absl::StatusOr<json> profile = DefaultProfile(caps, target);
  EXPECT_TRUE(profile.ok()) << profile.status();
  return profile.ok() ? *profile : json::object();
}

// The action (with errno) of the one rule without arguments naming `name`; "" when none does.
std::string UnconditionalAction(const json& profile, const std::string& name) {
  std::string found;
  for (const json& rule : profile["syscalls"]) {
    if (rule.contains("args")) continue;
    const auto& names = rule["names"];
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    EXPECT_EQ(found, "") << name << " is in two unconditional rules";
    found = rule["action"].get<std::string>();
    if (rule.contains("errnoRet")) found += "(" + std::to_string(rule["errnoRet"].get<int>()) + ")";
  }
  return found;
}

std::vector<json> ArgumentRules(const json& profile, const std::string& name) {
  std::vector<json> out;
  for (const json& rule : profile["syscalls"]) {
    if (rule.contains("args") && rule["names"] == json::array({name})) out.push_back(rule);
  }
  return out;
}

std::set<std::string> AllNames(const json& profile) {
  std::set<std::string> names;
  for (const json& rule : profile["syscalls"]) {
    for (const json& name : rule["names"]) names.insert(name.get<std::string>());
  }
  return names;
}

// --- the filter as runc builds it from linux.seccomp, with libseccomp -------------------------

uint32_t ScmpArch(const std::string& name) {
  static const std::map<std::string, uint32_t> arches = {{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
                                                         {"SCMP_ARCH_X86", SCMP_ARCH_X86},
                                                         {"SCMP_ARCH_X32", SCMP_ARCH_X32},
                                                         {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
                                                         {"SCMP_ARCH_ARM", SCMP_ARCH_ARM}};
  return arches.at(name);
}

uint32_t ScmpAction(const std::string& action, const json& errno_ret) {
  uint16_t error = errno_ret.is_null() ? EPERM : errno_ret.get<uint16_t>();
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(error);
  if (action == "SCMP_ACT_KILL") return SCMP_ACT_KILL;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  ADD_FAILURE() << "action " << action << " not handled by the test";
  return SCMP_ACT_KILL;
}

scmp_compare ScmpOp(const std::string& op) {
  static const std::map<std::string, scmp_compare> ops = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  return ops.at(op);
}

// Mirrors runc's libcontainer/seccomp: rules repeating the default action are skipped, names are
// resolved for the native architecture, and arguments on the same index become separate rules.
// Returns the context, or nullptr with the failures in `errors`.
scmp_filter_ctx BuildFilter(const json& seccomp, std::vector<std::string>& errors) {
  uint32_t default_action =
      ScmpAction(seccomp["defaultAction"], seccomp.value("defaultErrnoRet", json()));
  scmp_filter_ctx ctx = seccomp_init(default_action);
  for (const json& arch : seccomp.value("architectures", json::array())) {
    uint32_t token = ScmpArch(arch);
    if (seccomp_arch_exist(ctx, token) == 0) continue;
    if (int rc = seccomp_arch_add(ctx, token); rc != 0) errors.push_back("arch " + arch.dump());
  }
  for (const json& rule : seccomp["syscalls"]) {
    uint32_t action = ScmpAction(rule["action"], rule.value("errnoRet", json()));
    if (action == default_action) continue;
    std::vector<scmp_arg_cmp> conditions;
    std::set<unsigned> indexes;
    for (const json& arg : rule.value("args", json::array())) {
      conditions.push_back({arg["index"].get<unsigned>(), ScmpOp(arg["op"]),
                            arg["value"].get<uint64_t>(), arg["valueTwo"].get<uint64_t>()});
      indexes.insert(arg["index"].get<unsigned>());
    }
    for (const json& name : rule["names"]) {
      int number = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
      if (number == __NR_SCMP_ERROR) {
        errors.push_back("unresolvable " + name.dump());
        continue;
      }
      int rc = 0;
      if (conditions.empty() || indexes.size() == conditions.size()) {
        rc = seccomp_rule_add_array(ctx, action, number, conditions.size(),
                                    conditions.empty() ? nullptr : conditions.data());
      } else {
        for (const scmp_arg_cmp& condition : conditions) {
          if (rc == 0) rc = seccomp_rule_add_array(ctx, action, number, 1, &condition);
        }
      }
      if (rc != 0) errors.push_back(rule.dump() + " for " + name.dump() + ": " + strerror(-rc));
    }
  }
  if (!errors.empty()) {
    seccomp_release(ctx);
    return nullptr;
  }
  return ctx;
}

// --- the built-in profile ---------------------------------------------------------------------

TEST(DefaultSeccompProfileTest, ShapeAndDefaultErrno) {
  json profile = Default({});
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["defaultErrnoRet"], ENOSYS);
  EXPECT_EQ(profile["defaultErrnoRet"], 38);
  EXPECT_EQ(profile["architectures"],
            json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(Default({}, kArm)["architectures"],
            json::array({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  for (const char* name :
       {"read",       "write",      "openat",      "close",      "mmap",         "munmap",
        "futex",      "epoll_wait", "epoll_pwait", "epoll_ctl",  "execve",       "exit_group",
        "connect",    "accept4",    "sendmsg",     "recvfrom",   "rt_sigaction", "getrandom",
        "statx",      "openat2",    "close_range", "faccessat2", "pidfd_open",   "rseq",
        "arch_prctl", "wait4",      "prctl",       "capset",     "setuid",       "setgroups"}) {
    EXPECT_EQ(UnconditionalAction(profile, name), "SCMP_ACT_ALLOW") << name;
  }
  std::set<std::string> names = AllNames(profile);
  EXPECT_GE(names.size(), 340u);
  // Left to the ENOSYS default on purpose (see seccomp_default.cc).
  for (const char* name :
       {"io_uring_setup", "io_uring_enter", "io_uring_register", "clone3", "lsm_get_self_attr"}) {
    EXPECT_THAT(names, Not(Contains(name))) << name;
  }
}

TEST(DefaultSeccompProfileTest, EveryNameOnceInTheTable) {
  std::vector<std::string> names = seccomp_internal::BuiltinSyscallNames();
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  EXPECT_GE(names.size(), 380u);
}

TEST(DefaultSeccompProfileTest, DangerousSyscallsAnswerEperm) {
  json profile = Default({"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  for (const char* name : {"keyctl",
                           "add_key",
                           "request_key",
                           "unshare",
                           "mount",
                           "umount2",
                           "pivot_root",
                           "kexec_load",
                           "kexec_file_load",
                           "init_module",
                           "finit_module",
                           "delete_module",
                           "bpf",
                           "perf_event_open",
                           "ptrace",
                           "reboot",
                           "swapon",
                           "swapoff",
                           "setns",
                           "userfaultfd",
                           "open_by_handle_at",
                           "syslog",
                           "chroot",
                           "acct",
                           "settimeofday",
                           "clock_settime",
                           "iopl",
                           "ioperm",
                           "vhangup",
                           "mbind",
                           "process_vm_readv",
                           "fsopen",
                           "move_mount",
                           "quotactl"}) {
    EXPECT_EQ(UnconditionalAction(profile, name), "SCMP_ACT_ERRNO(1)") << name;
  }
}

TEST(DefaultSeccompProfileTest, CapabilitiesUnlockTheirSyscalls) {
  struct Case {
    std::string cap;
    std::vector<std::string> unlocked;
  };
  std::vector<Case> cases = {
      {"CAP_SYS_ADMIN",
       {"mount", "umount2", "unshare", "setns", "pivot_root", "fsopen", "sethostname", "syslog",
        "bpf", "perf_event_open"}},
      {"CAP_SYS_PTRACE",
       {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"}},
      {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYS_TIME", {"settimeofday", "clock_settime"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_SYS_NICE", {"mbind", "set_mempolicy", "get_mempolicy", "move_pages"}},
      {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_SYS_CHROOT", {"chroot"}},
      {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
  };
  json without = Default({});
  for (const Case& c : cases) {
    json with = Default({c.cap});
    for (const std::string& name : c.unlocked) {
      EXPECT_EQ(UnconditionalAction(without, name), "SCMP_ACT_ERRNO(1)") << name;
      EXPECT_EQ(UnconditionalAction(with, name), "SCMP_ACT_ALLOW") << c.cap << " " << name;
    }
  }
  // A capability unlocks only its own group.
  json ptrace = Default({"CAP_SYS_PTRACE"});
  EXPECT_EQ(UnconditionalAction(ptrace, "mount"), "SCMP_ACT_ERRNO(1)");
  EXPECT_EQ(UnconditionalAction(Default({"CAP_BPF"}), "perf_event_open"), "SCMP_ACT_ERRNO(1)");
  // Spelled as in crio.conf or in any case.
  EXPECT_EQ(UnconditionalAction(Default({"sys_time"}), "settimeofday"), "SCMP_ACT_ALLOW");
  // The keyring stays closed even to CAP_SYS_ADMIN.
  EXPECT_EQ(UnconditionalAction(Default({"CAP_SYS_ADMIN"}), "keyctl"), "SCMP_ACT_ERRNO(1)");
}

TEST(DefaultSeccompProfileTest, CloneRefusesNamespacesWithoutSysAdmin) {
  json profile = Default({"CAP_CHOWN"});
  EXPECT_EQ(UnconditionalAction(profile, "clone"), "");
  EXPECT_EQ(UnconditionalAction(profile, "clone3"), "");
  std::vector<json> rules = ArgumentRules(profile, "clone");
  ASSERT_EQ(rules.size(), 8u);
  EXPECT_EQ(rules[0], json::parse(R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})"));
  uint64_t refused = 0;
  for (size_t i = 1; i < rules.size(); ++i) {
    EXPECT_EQ(rules[i]["action"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(rules[i]["errnoRet"], EPERM);
    const json& arg = rules[i]["args"][0];
    EXPECT_EQ(arg["op"], "SCMP_CMP_MASKED_EQ");
    EXPECT_EQ(arg["value"], arg["valueTwo"]);
    refused |= arg["value"].get<uint64_t>();
  }
  EXPECT_EQ(refused, 0x7E020000u);

  json admin = Default({"CAP_SYS_ADMIN"});
  EXPECT_EQ(UnconditionalAction(admin, "clone"), "SCMP_ACT_ALLOW");
  EXPECT_EQ(UnconditionalAction(admin, "clone3"), "SCMP_ACT_ALLOW");
  EXPECT_THAT(ArgumentRules(admin, "clone"), IsEmpty());
}

TEST(DefaultSeccompProfileTest, PersonalityAndSocketRules) {
  json profile = Default({});
  std::vector<uint64_t> personalities;
  for (const json& rule : ArgumentRules(profile, "personality")) {
    EXPECT_EQ(rule["action"], "SCMP_ACT_ALLOW");
    EXPECT_EQ(rule["args"][0]["op"], "SCMP_CMP_EQ");
    personalities.push_back(rule["args"][0]["value"]);
  }
  EXPECT_THAT(personalities, ElementsAre(0x0, 0x8, 0x20000, 0x20008, 0xffffffff));
  std::vector<json> socket = ArgumentRules(profile, "socket");
  ASSERT_EQ(socket.size(), 1u);
  EXPECT_EQ(socket[0]["args"][0], json::parse(R"({"index": 0, "value": 40, "valueTwo": 0,
                                                  "op": "SCMP_CMP_NE"})"));
}

TEST(DefaultSeccompProfileTest, NamesAreValidatedAgainstLibseccomp) {
  // Names that no x86 architecture has (ARM's private calls, and calls newer than an older
  // libseccomp) are the only ones left out on x86_64; everything else resolves.
  const std::set<std::string> explained = {"arm_fadvise64_64", "arm_sync_file_range", "breakpoint",
                                           "cacheflush", "set_tls", "pciconfig_iobase",
                                           "pciconfig_read", "pciconfig_write",
                                           // newer than libseccomp 2.5.4 (kernel 6.7 and 6.10)
                                           "futex_wait", "futex_requeue", "mseal"};
  std::vector<std::string> unknown;
  absl::StatusOr<json> profile = DefaultProfile({}, kX86, &unknown);
  ASSERT_TRUE(profile.ok());
  EXPECT_THAT(unknown, IsSubsetOf(explained));
  EXPECT_LE(unknown.size(), explained.size());
  std::vector<std::string> table = seccomp_internal::BuiltinSyscallNames();
  std::set<std::string> in_profile = AllNames(*profile);
  // clone3 is known but left to the default action.
  EXPECT_EQ(in_profile.size(), table.size() - unknown.size() - 1);
  for (const std::string& name : table) {
    bool known = seccomp_internal::SyscallKnown(name, kX86.architectures);
    EXPECT_EQ(known, !std::count(unknown.begin(), unknown.end(), name)) << name;
    if (name != "clone3") EXPECT_EQ(in_profile.count(name), known ? 1u : 0u) << name;
  }

  // The other family's names go the other way.
  std::set<std::string> arm = AllNames(Default({}, kArm));
  EXPECT_THAT(arm, Contains("set_tls"));
  EXPECT_THAT(arm, Contains("cacheflush"));
  EXPECT_THAT(arm, Not(Contains("arch_prctl")));
  EXPECT_THAT(arm, Not(Contains("modify_ldt")));
  EXPECT_THAT(AllNames(*profile), Not(Contains("set_tls")));
}

TEST(DefaultSeccompProfileTest, SyscallKnownUnderstandsLibseccompPseudoNumbers) {
  EXPECT_TRUE(seccomp_internal::SyscallKnown("read", {"SCMP_ARCH_X86_64"}));
  EXPECT_FALSE(seccomp_internal::SyscallKnown("no_such_syscall", kX86.architectures));
  // socket is multiplexed through socketcall on x86: libseccomp gives a pseudo number.
  EXPECT_TRUE(seccomp_internal::SyscallKnown("socket", {"SCMP_ARCH_X86"}));
  // mmap2 exists on 32-bit x86 only.
  EXPECT_FALSE(seccomp_internal::SyscallKnown("mmap2", {"SCMP_ARCH_X86_64"}));
  EXPECT_TRUE(seccomp_internal::SyscallKnown("mmap2", kX86.architectures));
}

TEST(DefaultSeccompProfileTest, LibseccompBuildsEveryVariantAsRuncWould) {
  std::vector<std::string> all;
  for (const char* cap :
       {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYS_TIME",
        "CAP_SYSLOG", "CAP_SYS_NICE", "CAP_SYS_RAWIO", "CAP_SYS_PACCT", "CAP_SYS_CHROOT",
        "CAP_SYS_TTY_CONFIG", "CAP_BPF", "CAP_PERFMON", "CAP_DAC_READ_SEARCH"}) {
    all.push_back(cap);
  }
  Target native = seccomp_internal::NativeTarget();
  for (const auto& caps : std::vector<std::vector<std::string>>{{}, {"CAP_SYS_PTRACE"}, all}) {
    std::vector<std::string> errors;
    scmp_filter_ctx ctx = BuildFilter(Default(caps, native), errors);
    ASSERT_NE(ctx, nullptr) << ::testing::PrintToString(errors);
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    EXPECT_EQ(seccomp_export_bpf(ctx, null_fd), 0);
    ::close(null_fd);
    seccomp_release(ctx);
  }
}

// The filter loaded for real, in a child process: what a container process would see.
TEST(DefaultSeccompProfileTest, LoadedFilterAnswersAsDocumented) {
  std::vector<std::string> errors;
  scmp_filter_ctx ctx =
      BuildFilter(Default({"CAP_CHOWN", "CAP_KILL"}, seccomp_internal::NativeTarget()), errors);
  ASSERT_NE(ctx, nullptr) << ::testing::PrintToString(errors);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto report = [&](const char* what) {
      std::string line = std::string(what) + ": errno " + std::to_string(errno) + "\n";
      (void)!::write(fds[1], line.data(), line.size());
    };
    if (seccomp_load(ctx) != 0) {
      report("seccomp_load");
      ::_exit(1);
    }
    auto expect_errno = [&](long result, int wanted, const char* what) {
      if (result != -1 || errno != wanted) report(what);
    };
    errno = 0;
    expect_errno(::syscall(SYS_unshare, CLONE_NEWUSER), EPERM, "unshare(CLONE_NEWUSER)");
    expect_errno(::syscall(SYS_setns, -1, 0), EPERM, "setns");
    expect_errno(::syscall(SYS_umount2, "/no/such/mount", 0), EPERM, "umount2");
    expect_errno(::syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM, "keyctl");
    expect_errno(::syscall(SYS_ptrace, -1, 0, 0, 0), EPERM, "ptrace");
    expect_errno(::syscall(SYS_io_uring_setup, 1, nullptr), ENOSYS, "io_uring_setup");
    expect_errno(::syscall(SYS_clone3, nullptr, 0), ENOSYS, "clone3");
    expect_errno(::syscall(999), ENOSYS, "unknown syscall 999");
    expect_errno(::socket(AF_VSOCK, SOCK_STREAM, 0), ENOSYS, "socket(AF_VSOCK)");
    expect_errno(::personality(ADDR_NO_RANDOMIZE), ENOSYS, "personality(ADDR_NO_RANDOMIZE)");
    long cloned = ::syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
    if (cloned == 0) ::_exit(0);
    expect_errno(cloned, EPERM, "clone(CLONE_NEWNET)");
    // What ordinary programs do still works.
    int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0) report("socket(AF_UNIX)");
    if (::personality(0xffffffff) < 0) report("personality(query)");
    pid_t child = ::fork();
    if (child == 0) ::_exit(7);
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child || WEXITSTATUS(status) != 7)
      report("fork/waitpid");
    if (::getpid() <= 0) report("getpid");
    ::_exit(0);
  }
  ::close(fds[1]);
  seccomp_release(ctx);
  std::string output;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(output, "");
}

TEST(DefaultSeccompProfileTest, PublicEntryPointUsesThisMachine) {
  absl::StatusOr<json> profile = DefaultSeccompProfile({"CAP_SYS_ADMIN"});
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_EQ(*profile, Default({"CAP_SYS_ADMIN"}, seccomp_internal::NativeTarget()));
}

// --- profile files ----------------------------------------------------------------------------

json Convert(const std::string& text, const std::vector<std::string>& caps = {},
             const Target& target = kX86, std::vector<std::string>* unknown = nullptr) {
  absl::StatusOr<json> out = ConvertProfile(json::parse(text), caps, target, unknown);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : json::object();
}

absl::Status ConvertError(const std::string& text) {
  return ConvertProfile(json::parse(text), {}, kX86).status();
}

TEST(SeccompProfileFileTest, OciFormatPassesThrough) {
  json out = Convert(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_EQ(out, json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]})"));
}

TEST(SeccompProfileFileTest, DockerFormatIsConverted) {
  const std::string docker = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64",
       "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["read", "write", "not_a_syscall"], "action": "SCMP_ACT_ALLOW",
       "comment": "the basics"},
      {"name": "getpid", "action": "SCMP_ACT_ALLOW", "args": null},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
       "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
      {"names": ["kcmp"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["uname"], "action": "SCMP_ACT_LOG", "excludes": {"arches": ["amd64"]}}]})";
  std::vector<std::string> unknown;
  json plain = Convert(docker, {}, kX86, &unknown);
  EXPECT_THAT(unknown, ElementsAre("not_a_syscall"));
  EXPECT_EQ(plain, json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW"}]})"));

  json admin = Convert(docker, {"CAP_SYS_ADMIN"});
  EXPECT_EQ(admin["syscalls"][2],
            json::parse(R"({"names": ["mount"], "action": "SCMP_ACT_ALLOW"})"));
  EXPECT_EQ(admin["syscalls"].size(), 5u);

  json arm = Convert(docker, {}, kArm);
  EXPECT_EQ(arm["architectures"], json::array({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  std::set<std::string> names = AllNames(arm);
  EXPECT_THAT(names, Contains("set_tls"));
  EXPECT_THAT(names, Contains("uname"));
  EXPECT_THAT(names, Not(Contains("arch_prctl")));

  // No entry for this machine: the filter covers its own architecture only.
  json other = Convert(docker, {}, TargetFor("SCMP_ARCH_S390X"));
  EXPECT_FALSE(other.contains("architectures"));

  // And what comes out is something libseccomp builds.
  std::vector<std::string> errors;
  scmp_filter_ctx ctx = BuildFilter(plain, errors);
  EXPECT_NE(ctx, nullptr) << ::testing::PrintToString(errors);
  if (ctx != nullptr) seccomp_release(ctx);
}

TEST(SeccompProfileFileTest, InvalidProfilesSayWhatIsWrong) {
  struct Case {
    std::string profile;
    std::string message;
  };
  std::vector<Case> cases = {
      {R"([])", "not a JSON object"},
      {R"({"syscalls": []})", "defaultAction: is missing"},
      {R"({"defaultAction": "SCMP_ACT_MAYBE"})", "unknown action \"SCMP_ACT_MAYBE\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})", "defaultErrnoRet"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000})", "above 4095"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})",
       "unknown architecture \"SCMP_ARCH_Z80\""},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
           "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})",
       "architectures and archMap are both given"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})", "syscalls: is not a list"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]})",
       "syscalls[0]: names no syscall"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]})",
       "syscalls[0].action: is missing"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
           "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].index: 6 is above 5"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
           "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ISH"}]}]})",
       "unknown operator \"SCMP_CMP_ISH\""},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
           "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]})",
       "syscalls[0].includes.minKernel: \"new\" is not a kernel version"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
           "action": "SCMP_ACT_NOTIFY"}]})",
       "SCMP_ACT_NOTIFY needs a listenerPath"},
  };
  for (const Case& c : cases) {
    absl::Status status = ConvertError(c.profile);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.profile;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.profile;
  }
}

class SeccompFileTest : public ::testing::Test {
 protected:
  fs::path Write(const std::string& name, const std::string& content) {
    fs::path path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }

  ::crio::testing::ScratchDir scratch_{"crio-seccomp-test"};
  const fs::path dir_ = scratch_.path();
};

TEST_F(SeccompFileTest, LoadReadsAndConverts) {
  fs::path path = Write("profile.json", R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                   {"names": ["acct"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"caps": ["CAP_SYS_PACCT"]}}]})");
  absl::StatusOr<json> profile = LoadSeccompProfile(path);
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_EQ((*profile)["syscalls"].size(), 1u);
  profile = LoadSeccompProfile(path, {"CAP_SYS_PACCT"});
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_EQ((*profile)["syscalls"].size(), 2u);
}

TEST_F(SeccompFileTest, TheBuiltInProfileAsAFileLoadsToItself) {
  json builtin = Default({}, seccomp_internal::NativeTarget());
  absl::StatusOr<json> loaded = LoadSeccompProfile(Write("default.json", builtin.dump(2)));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, builtin);
}

TEST_F(SeccompFileTest, ErrorsNameTheFile) {
  fs::path missing = dir_ / "missing.json";
  absl::Status status = LoadSeccompProfile(missing).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr(missing.string()));

  fs::path garbage = Write("garbage.json", "{not json");
  status = LoadSeccompProfile(garbage).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(garbage.string()));
  EXPECT_THAT(std::string(status.message()), HasSubstr("not valid JSON"));

  fs::path bad = Write("bad.json", R"({"defaultAction": "SCMP_ACT_NOPE"})");
  status = LoadSeccompProfile(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "seccomp profile " + bad.string() +
                                  ": defaultAction: unknown action \"SCMP_ACT_NOPE\"");

  status = LoadSeccompProfile(dir_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(dir_.string()));
}

// --- in the container spec ----------------------------------------------------------------------

class SeccompSpecTest : public SeccompFileTest {
 protected:
  void SetUp() override {
    SeccompFileTest::SetUp();
    rootfs_ = dir_ / "rootfs";
    fs::create_directories(rootfs_ / "etc");
    std::ofstream(rootfs_ / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    std::ofstream(rootfs_ / "etc/group") << "root:x:0:\n";
    config_.mutable_metadata()->set_name("app");
    config_.add_command("/bin/app");
    sc()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
    pod_config_.mutable_metadata()->set_name("web");
    in_.container_id = "c0ffee";
    in_.container_name = "k8s_app_web_default_uid1_0";
    in_.config = &config_;
    in_.pod_config = &pod_config_;
    in_.pod.pod_id = "pod1";
    in_.pod.cgroup_parent = "/kubepods/pod1";
    in_.pod.net_ns = "/var/run/netns/pod1";
    in_.pod.ipc_ns = "/var/run/ipcns/pod1";
    in_.pod.uts_ns = "/var/run/utsns/pod1";
    in_.pod.shm_path = "/run/pods/pod1/shm";
    in_.rootfs = rootfs_;
    in_.default_capabilities = {"CHOWN", "KILL"};
    in_.lsm_probe = [] { return HostLsm{}; };
  }

  runtime::v1::LinuxContainerSecurityContext* sc() {
    return config_.mutable_linux()->mutable_security_context();
  }

  json Seccomp() {
    absl::StatusOr<GeneratedSpec> spec = GenerateContainerSpec(in_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (!spec.ok()) return nullptr;
    json linux_section = json::parse(spec->json)["linux"];
    return linux_section.contains("seccomp") ? linux_section["seccomp"] : json();
  }

  absl::Status Error() { return GenerateContainerSpec(in_).status(); }

  void Select(runtime::v1::SecurityProfile::ProfileType type, const std::string& ref = "") {
    sc()->mutable_seccomp()->set_profile_type(type);
    sc()->mutable_seccomp()->set_localhost_ref(ref);
  }

  void SelectLegacy(const std::string& value) {
    sc()->clear_seccomp();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    sc()->set_seccomp_profile_path(value);
#pragma GCC diagnostic pop
  }

  fs::path rootfs_;
  runtime::v1::ContainerConfig config_;
  runtime::v1::PodSandboxConfig pod_config_;
  SpecInputs in_;
};

TEST_F(SeccompSpecTest, UnsetAndUnconfinedHaveNoFilter) {
  EXPECT_TRUE(Seccomp().is_null());
  Select(runtime::v1::SecurityProfile::Unconfined);
  EXPECT_TRUE(Seccomp().is_null());
  SelectLegacy("unconfined");
  EXPECT_TRUE(Seccomp().is_null());
}

TEST_F(SeccompSpecTest, RuntimeDefaultIsTheBuiltInProfileForTheContainersCapabilities) {
  Select(runtime::v1::SecurityProfile::RuntimeDefault);
  json filter = Seccomp();
  EXPECT_EQ(filter, *DefaultSeccompProfile({"CAP_CHOWN", "CAP_KILL"}));
  EXPECT_EQ(filter["defaultErrnoRet"], ENOSYS);
  EXPECT_EQ(UnconditionalAction(filter, "mount"), "SCMP_ACT_ERRNO(1)");

  sc()->mutable_capabilities()->add_add_capabilities("SYS_ADMIN");
  EXPECT_EQ(UnconditionalAction(Seccomp(), "mount"), "SCMP_ACT_ALLOW");

  for (const char* legacy : {"runtime/default", "docker/default"}) {
    sc()->clear_capabilities();
    SelectLegacy(legacy);
    EXPECT_EQ(Seccomp(), filter) << legacy;
  }
  SelectLegacy("bogus");
  EXPECT_EQ(Error().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SeccompSpecTest, RuntimeDefaultUsesTheConfiguredFileWhenSet) {
  in_.seccomp_profile_path = Write("site.json", R"({"defaultAction": "SCMP_ACT_LOG"})").string();
  Select(runtime::v1::SecurityProfile::RuntimeDefault);
  EXPECT_EQ(Seccomp(), json::parse(R"({"defaultAction": "SCMP_ACT_LOG", "syscalls": []})"));

  in_.seccomp_profile_path = (dir_ / "gone.json").string();
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("seccomp_profile"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(in_.seccomp_profile_path));
}

TEST_F(SeccompSpecTest, LocalhostLoadsTheNamedFile) {
  fs::path path = Write("no-mkdir.json", R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  json expected = *LoadSeccompProfile(path);
  Select(runtime::v1::SecurityProfile::Localhost, path.string());
  EXPECT_EQ(Seccomp(), expected);
  // What older kubelets send.
  SelectLegacy("localhost/" + path.string());
  EXPECT_EQ(Seccomp(), expected);
}

TEST_F(SeccompSpecTest, LocalhostErrorsNameTheFileAndLeaveTheRootfsAlone) {
  config_.set_working_dir("/not/yet");
  fs::path missing = dir_ / "missing.json";
  Select(runtime::v1::SecurityProfile::Localhost, missing.string());
  absl::Status status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr(missing.string()));
  EXPECT_FALSE(fs::exists(rootfs_ / "not"));

  Select(runtime::v1::SecurityProfile::Localhost, Write("bad.json", "[1]").string());
  status = Error();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("bad.json"));

  Select(runtime::v1::SecurityProfile::Localhost, "");
  EXPECT_EQ(Error().message(), "seccomp profile Localhost names no file");
  Select(runtime::v1::SecurityProfile::Localhost, "profiles/x.json");
  EXPECT_THAT(std::string(Error().message()), HasSubstr("not an absolute path"));
}

TEST_F(SeccompSpecTest, PrivilegedIsUnconfinedUnlessItNamesAFile) {
  sc()->set_privileged(true);
  Select(runtime::v1::SecurityProfile::RuntimeDefault);
  EXPECT_TRUE(Seccomp().is_null());
  in_.seccomp_profile_path = Write("site.json", R"({"defaultAction": "SCMP_ACT_LOG"})").string();
  EXPECT_TRUE(Seccomp().is_null());
  fs::path path = Write("mine.json", R"({"defaultAction": "SCMP_ACT_LOG"})");
  Select(runtime::v1::SecurityProfile::Localhost, path.string());
  EXPECT_EQ(Seccomp()["defaultAction"], "SCMP_ACT_LOG");
}

}  // namespace
}  // namespace crio::oci
