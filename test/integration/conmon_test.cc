// The monitor's own protocol, checked the same way against our conmon and Debian's: log format
// with partial lines, attach socket, terminal and resize through the ctl FIFO, log reopen, the
// exit and pid files.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fstream>
#include <random>
#include <sstream>

#include "bundle.h"
#include "crio/common/reaper.h"
#include "crio/common/unique_fd.h"
#include "crio/oci/cri_log.h"
#include "crio/oci/exit_watcher.h"
#include "crio/oci/runtime.h"
#include "process.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class ConmonTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(Reaper::Get().BecomeSubreaper().ok()); }

  void SetUp() override {
    oci::RuntimeSettings settings;
    settings.handler_name = "runc";
    settings.runtime_binary = "/usr/sbin/runc";
    settings.runtime_root = dir_.path() / "runc";
    settings.monitor_binary = GetParam() == "ours" ? CONMON_BINARY : "/usr/bin/conmon";
    settings.monitor_env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    settings.exits_dir = dir_.path() / "exits";
    settings.attach_socket_dir = dir_.path() / "attach";
    settings.create_timeout = absl::Seconds(30);
    runtime_ = std::make_unique<oci::Runtime>(settings);
    exits_ = std::move(*oci::ExitWatcher::Start(settings.exits_dir));
  }

  void TearDown() override {
    for (const std::string& id : created_) {
      (void)runtime_->Kill(id, SIGKILL, /*all=*/true);
      exits_->Wait(id, absl::Seconds(10));
      EXPECT_TRUE(runtime_->Delete(id).ok());
    }
    exits_.reset();
  }

  struct Created {
    std::string id;
    std::filesystem::path bundle;
    std::filesystem::path log;
    pid_t pid = 0;
  };

  Created Create(const BundleOptions& bundle_options, bool stdin = false, bool stdin_once = false) {
    Created c;
    c.id = RandomHexId();
    c.bundle = dir_.path() / "bundles" / c.id.substr(0, 12);
    c.log = dir_.path() / "logs" / (c.id.substr(0, 12) + ".log");
    WriteBundle(c.bundle, bundle_options);
    oci::CreateOptions options{.id = c.id,
                               .name = "test",
                               .bundle = c.bundle,
                               .log_path = c.log,
                               .persist_dir = c.bundle,
                               .terminal = bundle_options.terminal,
                               .stdin = stdin,
                               .stdin_once = stdin_once};
    absl::StatusOr<pid_t> pid = runtime_->Create(options);
    EXPECT_TRUE(pid.ok()) << pid.status();
    if (pid.ok()) {
      c.pid = *pid;
      created_.push_back(c.id);
    }
    return c;
  }

  int RunToExit(const Created& c) {
    EXPECT_TRUE(runtime_->Start(c.id).ok());
    std::optional<oci::ExitInfo> exit = exits_->Wait(c.id, absl::Seconds(20));
    EXPECT_TRUE(exit.has_value());
    return exit ? exit->exit_code : -1;
  }

  UniqueFd Attach(const Created& c) {
    std::filesystem::path path = dir_.path() / "attach" / c.id / "attach";
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << path << ": " << std::strerror(errno);
    return fd;
  }

  // Reads attach packets until `want` has arrived on `stream` (2 stdout, 3 stderr).
  std::string ReadAttached(int fd, char stream, std::string_view want) {
    std::string got;
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (got.find(want) == std::string::npos && absl::Now() < deadline) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 100) <= 0) continue;
      char packet[32768];
      ssize_t n = ::recv(fd, packet, sizeof(packet), 0);
      if (n <= 0) break;
      if (packet[0] == stream) got.append(packet + 1, static_cast<size_t>(n - 1));
    }
    return got;
  }

  void WriteCtl(const Created& c, const std::string& message) {
    UniqueFd ctl(::open((c.bundle / "ctl").c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(ctl.valid()) << std::strerror(errno);
    ASSERT_EQ(::write(ctl.get(), message.data(), message.size()),
              static_cast<ssize_t>(message.size()));
  }

  TempDir dir_;
  std::unique_ptr<oci::Runtime> runtime_;
  std::unique_ptr<oci::ExitWatcher> exits_;
  std::vector<std::string> created_;
};

TEST_P(ConmonTest, LogEntriesHaveTheCriFormat) {
  Created c = Create({.args = {"sh", "-c", "echo hello world; echo oops >&2"}});
  EXPECT_EQ(RunToExit(c), 0);
  std::string log = ReadAll(c.log);
  // RFC 3339 with nanoseconds and the local offset, stream, tag, content.
  EXPECT_THAT(
      log,
      MatchesRegex(
          R"(([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[-+][0-9]{2}:[0-9]{2} (stdout|stderr) F [a-z ]+
)+)"));
  oci::SplitOutput split = oci::SplitCriLog(log);
  EXPECT_EQ(split.out, "hello world\n");
  EXPECT_EQ(split.err, "oops\n");
}

TEST_P(ConmonTest, LongLinesAndUnterminatedOutputArePartialEntries) {
  Created c =
      Create({.args = {"sh", "-c", "head -c 20000 /dev/zero | tr '\\0' a; echo; printf tail"}});
  EXPECT_EQ(RunToExit(c), 0);
  std::string log = ReadAll(c.log);
  EXPECT_THAT(log, HasSubstr(" stdout P a"));
  EXPECT_THAT(log, HasSubstr(" stdout P tail\n"));
  oci::SplitOutput split = oci::SplitCriLog(log);
  EXPECT_EQ(split.out, std::string(20000, 'a') + "\ntail");
}

TEST_P(ConmonTest, ExitAndPidFiles) {
  Created c = Create({.args = {"sh", "-c", "exit 5"}});
  std::ifstream pidfile(c.bundle / "pidfile");
  pid_t pid = 0;
  pidfile >> pid;
  EXPECT_EQ(pid, c.pid);
  std::ifstream monitor_pidfile(c.bundle / "conmon-pidfile");
  pid_t monitor = 0;
  monitor_pidfile >> monitor;
  EXPECT_GT(monitor, 0);
  EXPECT_EQ(::kill(monitor, 0), 0);
  EXPECT_EQ(RunToExit(c), 5);
  EXPECT_EQ(ReadAll(dir_.path() / "exits" / c.id), "5");
  EXPECT_EQ(ReadAll(c.bundle / "exit"), "5");
  // The monitor leaves once the container is gone, and is reaped.
  EXPECT_TRUE(Eventually([&] { return ::kill(monitor, 0) != 0; }));
}

TEST_P(ConmonTest, AttachEchoesStdinThroughCat) {
  Created c = Create({.args = {"cat"}}, /*stdin=*/true, /*stdin_once=*/true);
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  UniqueFd attach = Attach(c);
  ASSERT_EQ(::send(attach.get(), "hello\n", 6, 0), 6);
  EXPECT_EQ(ReadAttached(attach.get(), 2, "hello\n"), "hello\n");
  // Closing our side ends stdin for a stdin_once container: cat exits.
  ::shutdown(attach.get(), SHUT_WR);
  std::optional<oci::ExitInfo> exit = exits_->Wait(c.id, absl::Seconds(10));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_THAT(ReadAll(c.log), HasSubstr(" stdout F hello\n"));
}

TEST_P(ConmonTest, TerminalModeAndResizeThroughTheCtlFifo) {
  Created c = Create({.args = {"sh", "-c", "tty; sleep 1; stty size"}, .terminal = true});
  WriteCtl(c, "1 40 100\n");
  EXPECT_EQ(RunToExit(c), 0);
  std::string log = ReadAll(c.log);
  EXPECT_THAT(log, HasSubstr("/dev/pts/0"));
  EXPECT_THAT(log, HasSubstr("40 100"));
}

TEST_P(ConmonTest, ReopensTheLogAfterRotation) {
  Created c = Create(
      {.args = {"sh", "-c", "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done"}});
  ASSERT_TRUE(runtime_->Start(c.id).ok());
  ASSERT_TRUE(Eventually([&] { return ReadAll(c.log).find("line3") != std::string::npos; }));
  std::filesystem::rename(c.log, c.log.string() + ".1");
  WriteCtl(c, "2 0 0\n");
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(c.log); }));
  EXPECT_TRUE(
      Eventually([&] { return ReadAll(c.log).find(" stdout F line") != std::string::npos; }));
  EXPECT_THAT(ReadAll(c.log.string() + ".1"), HasSubstr(" stdout F line0\n"));
}

INSTANTIATE_TEST_SUITE_P(Monitors, ConmonTest, ::testing::Values("ours", "debian"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace crio::testing
