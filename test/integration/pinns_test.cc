// pinns against the real kernel: namespaces pinned as nsfs bind mounts, sysctls landing in the new
// namespaces and nowhere else, user namespace maps and ownership, and all-or-nothing failures.
// Then the pause binary (signals, version, reaping as a PID namespace's init) and its OCI image
// fixture. Root only: every test mounts.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/nsfs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crio/common/unique_fd.h"
#include "nlohmann/json.hpp"
#include "process.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

namespace crio::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct MountEntry {
  std::string point;
  std::string fstype;
  std::string root;  // for nsfs, "net:[4026532177]"
};

std::vector<MountEntry> Mounts() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<MountEntry> entries;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, field;
    MountEntry entry;
    fields >> id >> parent >> dev >> entry.root >> entry.point;
    while (fields >> field && field != "-") {
    }
    fields >> entry.fstype;
    entries.push_back(entry);
  }
  return entries;
}

int CountNsfsMounts() {
  auto entries = Mounts();
  return static_cast<int>(std::count_if(entries.begin(), entries.end(),
                                        [](const MountEntry& e) { return e.fstype == "nsfs"; }));
}

std::vector<MountEntry> MountsAt(const fs::path& point) {
  std::vector<MountEntry> found;
  for (const MountEntry& entry : Mounts()) {
    if (entry.point == point.string()) found.push_back(entry);
  }
  return found;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// "0     100000      65536\n" -> "0 100000 65536"
std::string SquashSpaces(const std::string& text) {
  std::istringstream words(text);
  std::string word, out;
  while (words >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

std::string HostValue(const std::string& proc_sys_path) { return Trim(ReadAll(proc_sys_path)); }

// A value for an integer sysctl that differs from the host's, so the check below proves where
// the write went.
std::string OtherValue(const std::string& host_value, int preferred, int fallback) {
  return std::to_string(host_value == std::to_string(preferred) ? fallback : preferred);
}

// Directory entries below `dir`, recursively, relative to it.
std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class PinnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "pinns needs root";
    nsfs_before_ = CountNsfsMounts();
    dir_ = tmp_.path() / "ns";
  }

  void TearDown() override {
    if (::geteuid() != 0) return;
    UnmountAllBelow(tmp_.path());
    EXPECT_EQ(CountNsfsMounts(), nsfs_before_) << "an nsfs mount outlived the test";
  }

  RunResult Pinns(std::vector<std::string> args) {
    args.insert(args.begin(), PINNS_BINARY);
    return crio::testing::Run(args);
  }

  fs::path Pinned(const std::string& type, const std::string& name = "pod") const {
    return dir_ / (type + "ns") / name;
  }

  // The file is a bind mount of the nsfs inode of a namespace other than ours.
  void ExpectPinnedNamespace(const std::string& type, const std::string& name = "pod") {
    SCOPED_TRACE(type);
    fs::path file = Pinned(type, name);
    std::vector<MountEntry> at = MountsAt(file);
    ASSERT_EQ(at.size(), 1u) << file;
    EXPECT_EQ(at[0].fstype, "nsfs");
    EXPECT_THAT(at[0].root, HasSubstr(type + ":["));
    struct statfs fs_info {};
    ASSERT_EQ(::statfs(file.c_str(), &fs_info), 0);
    EXPECT_EQ(static_cast<unsigned long>(fs_info.f_type), static_cast<unsigned long>(NSFS_MAGIC));
    struct stat pinned {
    }, ours{};
    ASSERT_EQ(::stat(file.c_str(), &pinned), 0);
    ASSERT_EQ(::stat(("/proc/self/ns/" + type).c_str(), &ours), 0);
    EXPECT_FALSE(pinned.st_dev == ours.st_dev && pinned.st_ino == ours.st_ino)
        << "pinned the test's own " << type << " namespace";
    struct stat dir {};
    ASSERT_EQ(::stat(file.parent_path().c_str(), &dir), 0);
    EXPECT_EQ(dir.st_mode & 07777, 0755u);
  }

  TempDir tmp_;
  fs::path dir_;
  int nsfs_before_ = 0;
};

TEST_F(PinnsTest, PinsNetIpcUtsAsNsfsBindMounts) {
  RunResult result = Pinns({"-d", dir_, "-f", "pod", "--net", "--ipc", "--uts"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, IsEmpty());
  ExpectPinnedNamespace("net");
  ExpectPinnedNamespace("ipc");
  ExpectPinnedNamespace("uts");
  EXPECT_FALSE(fs::exists(dir_ / "userns"));
  EXPECT_FALSE(fs::exists(dir_ / "cgroupns"));
  EXPECT_EQ(CountNsfsMounts(), nsfs_before_ + 3);
}

TEST_F(PinnsTest, LongAndShortFormsAndCgroup) {
  RunResult result = Pinns({"--dir", dir_, "--filename", "pod", "-n", "-c"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ExpectPinnedNamespace("net");
  ExpectPinnedNamespace("cgroup");
}

TEST_F(PinnsTest, TwoPodsGetDistinctNamespaces) {
  ASSERT_EQ(Pinns({"-d", dir_, "-f", "a", "-n"}).exit_code, 0);
  ASSERT_EQ(Pinns({"-d", dir_, "-f", "b", "-n"}).exit_code, 0);
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(Pinned("net", "a").c_str(), &a), 0);
  ASSERT_EQ(::stat(Pinned("net", "b").c_str(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);
}

TEST_F(PinnsTest, SysctlsAreAppliedInsideTheNewNamespacesOnly) {
  const std::string port_path = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
  const std::string shmmni_path = "/proc/sys/kernel/shmmni";
  const std::string host_port = HostValue(port_path);
  const std::string host_shmmni = HostValue(shmmni_path);
  const std::string host_hostname = Trim(crio::testing::Run({"hostname"}).output);
  const std::string port = OtherValue(host_port, 0, 1);
  const std::string shmmni = OtherValue(host_shmmni, 1234, 1235);

  RunResult result =
      Pinns({"-d", dir_, "-f", "pod", "-n", "-i", "-u", "-s",
             "net.ipv4.ip_unprivileged_port_start=" + port + "+kernel.hostname=pinns-test-pod",
             "--sysctl", "kernel.shmmni=" + shmmni});
  ASSERT_EQ(result.exit_code, 0) << result.output;

  RunResult in_net =
      crio::testing::Run({"nsenter", "--net=" + Pinned("net").string(), "cat", port_path});
  ASSERT_EQ(in_net.exit_code, 0) << in_net.output;
  EXPECT_EQ(Trim(in_net.output), port);
  RunResult in_ipc =
      crio::testing::Run({"nsenter", "--ipc=" + Pinned("ipc").string(), "cat", shmmni_path});
  ASSERT_EQ(in_ipc.exit_code, 0) << in_ipc.output;
  EXPECT_EQ(Trim(in_ipc.output), shmmni);
  RunResult in_uts = crio::testing::Run({"nsenter", "--uts=" + Pinned("uts").string(), "hostname"});
  ASSERT_EQ(in_uts.exit_code, 0) << in_uts.output;
  EXPECT_EQ(Trim(in_uts.output), "pinns-test-pod");

  EXPECT_EQ(HostValue(port_path), host_port);
  EXPECT_EQ(HostValue(shmmni_path), host_shmmni);
  EXPECT_EQ(Trim(crio::testing::Run({"hostname"}).output), host_hostname);
}

TEST_F(PinnsTest, SlashFormKeysAndMqueueSysctl) {
  RunResult result = Pinns({"-d", dir_, "-f", "pod", "-i", "-s", "fs/mqueue/msg_max=17"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  RunResult in_ipc = crio::testing::Run(
      {"nsenter", "--ipc=" + Pinned("ipc").string(), "cat", "/proc/sys/fs/mqueue/msg_max"});
  EXPECT_EQ(Trim(in_ipc.output), "17");
  EXPECT_NE(HostValue("/proc/sys/fs/mqueue/msg_max"), "17");
}

TEST_F(PinnsTest, SlashInADottedKeyIsALiteralDot) {
  // What the daemon passes for "net/ipv4/conf/eth0.100/forwarding" (sysctl(8)'s swap); the new
  // namespace has no such interface, so the error shows which file was meant.
  RunResult result =
      Pinns({"-d", dir_, "-f", "pod", "-n", "-s", "net.ipv4.conf.eth0/100.forwarding=1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("/proc/sys/net/ipv4/conf/eth0.100/forwarding"));
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(PinnsTest, UnknownSysctlFailsAndLeavesNothing) {
  RunResult result = Pinns({"-d", dir_, "-f", "pod", "-n", "-i", "-u", "-s",
                            "net.ipv4.ip_unprivileged_port_start=0+net.ipv4.no_such_sysctl=1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("net.ipv4.no_such_sysctl"));
  EXPECT_THAT(result.output, HasSubstr("No such file or directory"));
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(fs::exists(dir_));
  EXPECT_EQ(CountNsfsMounts(), nsfs_before_);
}

TEST_F(PinnsTest, BadSysctlValueFailsNamingIt) {
  RunResult result =
      Pinns({"-d", dir_, "-f", "pod", "-n", "-s", "net.ipv4.ip_unprivileged_port_start=abc"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("net.ipv4.ip_unprivileged_port_start=abc"));
  EXPECT_THAT(result.output, HasSubstr("Invalid argument"));
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(PinnsTest, RefusesSysctlsThatWouldChangeTheHost) {
  const std::string swappiness = HostValue("/proc/sys/vm/swappiness");
  RunResult global = Pinns({"-d", dir_, "-f", "pod", "-n", "-s", "vm.swappiness=1"});
  EXPECT_EQ(global.exit_code, 1);
  EXPECT_THAT(global.output, HasSubstr("vm.swappiness is not namespaced"));
  EXPECT_EQ(HostValue("/proc/sys/vm/swappiness"), swappiness);

  // A net sysctl without a new network namespace would land in the host's.
  RunResult no_netns =
      Pinns({"-d", dir_, "-f", "pod", "-u", "-s", "net.ipv4.ip_unprivileged_port_start=0"});
  EXPECT_EQ(no_netns.exit_code, 1);
  EXPECT_THAT(no_netns.output, HasSubstr("-n/--net"));

  RunResult escape = Pinns({"-d", dir_, "-f", "pod", "-n", "-s", "net/../vm/swappiness=1"});
  EXPECT_EQ(escape.exit_code, 1);
  EXPECT_THAT(escape.output, HasSubstr("not a valid sysctl name"));
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(PinnsTest, FailureAfterAPinUndoesItAndKeepsForeignFiles) {
  // Another pod's file where the ipc pin would go: the net pin made before it must be undone,
  // and the foreign file left alone.
  fs::create_directories(dir_ / "ipcns");
  std::ofstream(Pinned("ipc")) << "not ours";
  RunResult result = Pinns({"-d", dir_, "-f", "pod", "-n", "-i", "-u"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr(Pinned("ipc").string()));
  EXPECT_THAT(result.output, HasSubstr("File exists"));
  EXPECT_THAT(Entries(dir_), ::testing::ElementsAre("ipcns", "ipcns/pod"));
  EXPECT_EQ(ReadAll(Pinned("ipc")), "not ours");
  EXPECT_EQ(CountNsfsMounts(), nsfs_before_);
}

TEST_F(PinnsTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"-d", dir_, "-n"}, "-f/--filename is required"},
      {{"-f", "pod", "-n"}, "-d/--dir is required"},
      {{"-d", dir_, "-f", "pod"}, "no namespace requested"},
      {{"-d", dir_, "-f", "pod", "-n", "--bogus"}, "unknown option --bogus"},
      {{"-d", dir_, "-f", "pod", "-n", "-x"}, "unknown option -x"},
      {{"-d", dir_, "-f", "pod", "-n", "-s"}, "needs a value"},
      {{"-d", dir_, "-f", "a/b", "-n"}, "plain file name"},
      {{"-d", dir_, "-f", "pod", "-n", "-s", "net.ipv4.ip_forward"}, "is not KEY=VALUE"},
      {{"-d", dir_, "-f", "pod", "-U", "-n"}, "needs --uid-mapping and --gid-mapping"},
      {{"-d", dir_, "-f", "pod", "-n", "--uid-mapping", "0:100000:65536"}, "need -U/--user"},
      {{"-d", dir_, "-f", "pod", "-U", "--uid-mapping", "0:x:1", "--gid-mapping", "0:1:1"},
       "is not CONTAINERID:HOSTID:SIZE"},
      {{"-d", dir_, "-f", "pod", "-n", "--log-level", "loud"}, "unknown log level"},
      {{"-d", dir_, "-f", "pod", "-n", "extra"}, "unexpected argument"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    RunResult result = Pinns(c.args);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.output, HasSubstr(c.message));
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  }
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(PinnsTest, LogLevelIsAcceptedAndQuietOnSuccess) {
  RunResult result = Pinns({"-d", dir_, "-f", "pod", "-u", "--log-level", "info"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, IsEmpty());
  ExpectPinnedNamespace("uts");
}

// The inode of the user namespace that owns the namespace pinned at `path`.
ino_t OwningUserNamespace(const fs::path& path) {
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) return 0;
  UniqueFd owner(::ioctl(ns.get(), NS_GET_USERNS));
  struct stat st {};
  if (!owner.valid() || ::fstat(owner.get(), &st) != 0) return 0;
  return st.st_ino;
}

TEST_F(PinnsTest, UserNamespaceHasTheMapsAndOwnsTheOthers) {
  RunResult result =
      Pinns({"-d", dir_, "-f", "pod", "-U", "-n", "-i", "-u", "--uid-mapping", "0:100000:65536",
             "--gid-mapping", "0:200000:65536", "-s", "net.ipv4.ip_unprivileged_port_start=0", "-s",
             "kernel.msgmax=4321", "-s", "kernel.hostname=userns-pod"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ExpectPinnedNamespace("user");
  ExpectPinnedNamespace("net");

  const std::string user = "--user=" + Pinned("user").string();
  RunResult uid_map =
      crio::testing::Run({"nsenter", user, "--preserve-credentials", "cat", "/proc/self/uid_map"});
  ASSERT_EQ(uid_map.exit_code, 0) << uid_map.output;
  EXPECT_EQ(SquashSpaces(uid_map.output), "0 100000 65536");
  RunResult gid_map =
      crio::testing::Run({"nsenter", user, "--preserve-credentials", "cat", "/proc/self/gid_map"});
  EXPECT_EQ(SquashSpaces(gid_map.output), "0 200000 65536");
  // Left "allow", so the pod's processes can still set their supplementary groups.
  RunResult setgroups = crio::testing::Run(
      {"nsenter", user, "--preserve-credentials", "cat", "/proc/self/setgroups"});
  EXPECT_EQ(Trim(setgroups.output), "allow");

  struct stat userns {};
  ASSERT_EQ(::stat(Pinned("user").c_str(), &userns), 0);
  for (const char* type : {"net", "ipc", "uts"}) {
    EXPECT_EQ(OwningUserNamespace(Pinned(type)), userns.st_ino) << type;
  }

  // The sysctls reached the namespaces owned by the new user namespace.
  EXPECT_EQ(Trim(crio::testing::Run({"nsenter", "--net=" + Pinned("net").string(), "cat",
                                     "/proc/sys/net/ipv4/ip_unprivileged_port_start"})
                     .output),
            "0");
  EXPECT_EQ(Trim(crio::testing::Run({"nsenter", "--ipc=" + Pinned("ipc").string(), "cat",
                                     "/proc/sys/kernel/msgmax"})
                     .output),
            "4321");
  EXPECT_EQ(
      Trim(crio::testing::Run({"nsenter", "--uts=" + Pinned("uts").string(), "hostname"}).output),
      "userns-pod");
}

TEST_F(PinnsTest, UserNamespaceMustMapRoot) {
  RunResult result = Pinns({"-d", dir_, "-f", "pod", "-U", "-n", "--uid-mapping", "1:100000:65536",
                            "--gid-mapping", "0:100000:65536"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("container id 0"));
  EXPECT_FALSE(fs::exists(dir_));
}

// ------------------------------------------------------------------ pause

// Whether `pid` has a handler installed for `signo` (SigCgt in /proc/<pid>/status): until then a
// signal would take its default action and the test would race the program's startup.
bool Catches(pid_t pid, int signo) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) == 0) {
      uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask >> (signo - 1)) & 1;
    }
  }
  return false;
}

// Children of `parent` (running or zombie), from /proc/<pid>/stat.
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadAll(entry.path() / "stat");
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));
    std::string state;
    pid_t ppid = 0;
    fields >> state >> ppid;
    if (ppid == parent) children.push_back(std::stoi(name));
  }
  return children;
}

class PauseTest : public ::testing::Test {
 protected:
  TempDir tmp_;
};

TEST_F(PauseTest, VersionExitsZero) {
  RunResult result = crio::testing::Run({PAUSE_BINARY, "-v"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, ::testing::MatchesRegex("pause \\(crio-cpp\\) [0-9.]+\n"));
}

TEST_F(PauseTest, IsStatic) {
  // A static binary has no PT_INTERP program header, so it runs in an image that holds nothing
  // else.
  std::ifstream file(PAUSE_BINARY, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_GT(elf.size(), 64u);
  ASSERT_EQ(elf.substr(0, 4),
            "\x7f"
            "ELF");
  auto read = [&](size_t offset, size_t size) {
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) {
      value |= static_cast<uint64_t>(static_cast<unsigned char>(elf[offset + i])) << (8 * i);
    }
    return value;
  };
  uint64_t phoff = read(0x20, 8);
  uint64_t phentsize = read(0x36, 2);
  uint64_t phnum = read(0x38, 2);
  ASSERT_LE(phoff + phentsize * phnum, elf.size());
  for (uint64_t i = 0; i < phnum; ++i) {
    EXPECT_NE(read(phoff + i * phentsize, 4), 3u) << "PT_INTERP: dynamically linked";
  }
}

TEST_F(PauseTest, SigtermAndSigintEndItWithStatusZero) {
  for (int signo : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(signo);
    Process pause({PAUSE_BINARY}, tmp_.path() / "out");
    ASSERT_TRUE(Eventually([&] { return Catches(pause.pid(), signo); }));
    EXPECT_EQ(pause.Wait(std::chrono::milliseconds(200)), std::nullopt) << "pause did not block";
    pause.Signal(signo);
    EXPECT_EQ(pause.Wait(std::chrono::seconds(2)), 0);
  }
}

TEST_F(PauseTest, ReapsOrphansAsPidNamespaceInit) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a PID namespace";
  Process unshare({"unshare", "--pid", "--fork", "--kill-child", PAUSE_BINARY},
                  tmp_.path() / "out");
  pid_t pause = 0;
  ASSERT_TRUE(Eventually([&] {
    std::vector<pid_t> children = ChildrenOf(unshare.pid());
    if (children.size() != 1) return false;
    pause = children[0];
    return Catches(pause, SIGCHLD) && Catches(pause, SIGTERM);
  })) << unshare.Output();

  // A shell in pause's PID namespace starts a short sleep and exits at once: the sleep is
  // reparented to pause, the namespace's init, which must collect it once it ends.
  RunResult orphan = crio::testing::Run({"nsenter", "--target", std::to_string(pause), "--pid",
                                         "--", "/bin/sh", "-c", "sleep 0.5 & exit 0"});
  ASSERT_EQ(orphan.exit_code, 0) << orphan.output;
  EXPECT_EQ(ChildrenOf(pause).size(), 1u) << "the orphan was not reparented to pause";
  EXPECT_TRUE(Eventually([&] { return ChildrenOf(pause).empty(); }, std::chrono::seconds(5)))
      << "the orphan stayed a zombie";

  ::kill(pause, SIGTERM);
  EXPECT_EQ(unshare.Wait(std::chrono::seconds(5)), 0) << unshare.Output();
}

// ------------------------------------------------------------------ the pause image fixture

TEST(PauseImageTest, LayoutHoldsOnlyThePauseBinary) {
  const fs::path layout = PAUSE_OCI;
  auto blob = [&](const std::string& digest) {
    return layout / "blobs" / "sha256" / digest.substr(digest.find(':') + 1);
  };
  EXPECT_EQ(ReadAll(layout / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  auto index = nlohmann::json::parse(ReadAll(layout / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  auto manifest = nlohmann::json::parse(ReadAll(blob(index["manifests"][0]["digest"])));
  ASSERT_EQ(manifest["layers"].size(), 1u);
  EXPECT_EQ(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  auto config = nlohmann::json::parse(ReadAll(blob(manifest["config"]["digest"])));
  EXPECT_EQ(config["architecture"], "amd64");
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(config["config"]["Entrypoint"], nlohmann::json::array({"/pause"}));
  EXPECT_EQ(config["config"]["User"], "65535:65535");

  const std::string layer = blob(manifest["layers"][0]["digest"]).string();
  RunResult listing = crio::testing::Run({"tar", "--numeric-owner", "-tvzf", layer});
  ASSERT_EQ(listing.exit_code, 0) << listing.output;
  EXPECT_THAT(listing.output, ::testing::MatchesRegex("-rwxr-xr-x 0/0 +[0-9]+ [-0-9: ]+ pause\n"));
  RunResult diff_id = crio::testing::Run({"sh", "-c", "gzip -dc \"$0\" | sha256sum", layer});
  ASSERT_EQ(diff_id.exit_code, 0);
  EXPECT_EQ("sha256:" + diff_id.output.substr(0, 64), config["rootfs"]["diff_ids"][0]);

  TempDir extract;
  ASSERT_EQ(crio::testing::Run({"tar", "-xzf", layer, "-C", extract.path().string()}).exit_code, 0);
  EXPECT_EQ(ReadAll(extract.path() / "pause"), ReadAll(PAUSE_BINARY));
}

}  // namespace
}  // namespace crio::testing
