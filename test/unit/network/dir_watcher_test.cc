#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"
#include "crio/network/dir_watcher.h"
#include "test_util.h"

namespace crio::network {
namespace {

using testing::ScratchDir;

bool WaitFor(const std::atomic<int>& counter, int at_least) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (counter.load() < at_least && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(10));
  return counter.load() >= at_least;
}

TEST(DirWatcherTest, ReportsChangesAndCoalescesBursts) {
  ScratchDir dir;
  std::atomic<int> calls = 0;
  auto watcher = DirWatcher::Start(dir.path(), [&] { ++calls; });
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(calls.load(), 0);  // nothing happened yet

  for (int i = 0; i < 5; ++i) dir.Write("f" + std::to_string(i), "x");
  ASSERT_TRUE(WaitFor(calls, 1));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LE(calls.load(), 2);  // one burst, not ten events

  int before = calls.load();
  std::filesystem::rename(dir.path() / "f0", dir.path() / "g0");
  EXPECT_TRUE(WaitFor(calls, before + 1));
  before = calls.load();
  std::filesystem::remove(dir.path() / "g0");
  EXPECT_TRUE(WaitFor(calls, before + 1));
}

TEST(DirWatcherTest, WaitsForTheDirectoryToAppear) {
  ScratchDir root;
  std::filesystem::path dir = root.path() / "a" / "net.d";
  std::atomic<int> calls = 0;
  auto watcher = DirWatcher::Start(
      dir, [&] { ++calls; }, absl::Milliseconds(50));
  ASSERT_TRUE(watcher.ok());
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WaitFor(calls, 1));
  int before = calls.load();
  root.Write("a/net.d/x.conflist", "{}");
  ASSERT_TRUE(WaitFor(calls, before + 1));

  // Removed and created again: still watched.
  before = calls.load();
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WaitFor(calls, before + 1));
  std::filesystem::create_directories(dir);
  before = calls.load();
  root.Write("a/net.d/y.conflist", "{}");
  EXPECT_TRUE(WaitFor(calls, before + 1));
}

TEST(DirWatcherTest, StopsPromptly) {
  ScratchDir root;
  absl::Time start = absl::Now();
  {
    auto watcher = DirWatcher::Start(
        root.path() / "missing", [] {}, absl::Seconds(30));
    ASSERT_TRUE(watcher.ok());
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace crio::network
