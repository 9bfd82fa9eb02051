#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include "crio/common/reaper.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"

namespace crio {
namespace {

using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesBothStreamsAndTheExitCode) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_EQ(result->out, "out\n");
  EXPECT_EQ(result->err, "err\n");
}

TEST(RunCommandTest, FeedsStdin) {
  std::string big(1 << 20, 'x');  // larger than a pipe buffer
  absl::StatusOr<CommandResult> result = RunCommand({"wc", "-c"}, big);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "1048576\n");
}

TEST(RunCommandTest, ReportsDeathBySignalAs128PlusN) {
  absl::StatusOr<CommandResult> result = RunCommand({"/bin/sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + SIGTERM);
}

TEST(RunCommandTest, KillsACommandPastItsTimeout) {
  absl::Time start = absl::Now();
  absl::StatusOr<CommandResult> result = RunCommand({"sleep", "30"}, {}, absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(RunCommandTest, UsesTheGivenEnvironmentOnly) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/usr/bin/env"}, {}, absl::Seconds(10), std::vector<std::string>{"ONLY=1"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "ONLY=1\n");
}

TEST(SpawnTest, ExecFailureIsAnErrorNotAnExitCode) {
  SpawnOptions options;
  options.argv = {"/no/such/program"};
  absl::StatusOr<pid_t> pid = Spawn(options);
  ASSERT_FALSE(pid.ok());
  EXPECT_THAT(std::string(pid.status().message()), HasSubstr("No such file or directory"));
}

TEST(SpawnTest, ChildStartsWithDefaultSignalsWhateverWeBlock) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  signal(SIGPIPE, SIG_IGN);
  // SigBlk and SigIgn of the child, in hex.
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGPIPE, SIG_DFL);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->out, HasSubstr("SigBlk:\t0000000000000000"));
}

TEST(SpawnTest, ExtraFdsArriveAsThreeAndFour) {
  int pair_a[2], pair_b[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_a), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_b), 0);
  UniqueFd a0(pair_a[0]), a1(pair_a[1]), b0(pair_b[0]), b1(pair_b[1]);
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "echo three >&3; echo four >&4"};
  // Deliberately swapped numbers, to exercise the two-pass move.
  options.extra_fds = {a1.get(), b1.get()};
  absl::StatusOr<pid_t> pid = Spawn(options);
  ASSERT_TRUE(pid.ok()) << pid.status();
  a1.Reset();
  b1.Reset();
  EXPECT_EQ(Reaper::Get().Wait(*pid, absl::Seconds(10)), 0);
  char buffer[16] = {};
  ASSERT_GT(::read(a0.get(), buffer, sizeof(buffer)), 0);
  EXPECT_STREQ(buffer, "three\n");
  char buffer2[16] = {};
  ASSERT_GT(::read(b0.get(), buffer2, sizeof(buffer2)), 0);
  EXPECT_STREQ(buffer2, "four\n");
}

TEST(ReaperTest, ReapsOrphansOfASubreaper) {
  ASSERT_TRUE(Reaper::Get().BecomeSubreaper().ok());
  // The shell exits at once, leaving its background sleep to be reparented to us.
  absl::StatusOr<CommandResult> result = RunCommand({"/bin/sh", "-c", "sleep 0.2 & echo $!"});
  ASSERT_TRUE(result.ok());
  pid_t orphan = std::stoi(result->out);
  // It is our child now, and no zombie is left once it ends.
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    gone = ::kill(orphan, 0) != 0;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(gone) << "orphan " << orphan << " was not reaped";
}

}  // namespace
}  // namespace crio
