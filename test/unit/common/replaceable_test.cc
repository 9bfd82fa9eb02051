#include "crio/common/replaceable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace crio {
namespace {

TEST(ReplaceableTest, ASnapshotKeepsItsValueAcrossReplacements) {
  Replaceable<std::vector<std::string>> value({"a", "b"});
  std::shared_ptr<const std::vector<std::string>> before = value.Snapshot();
  value.Replace({"c"});
  EXPECT_EQ(*before, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*value.Snapshot(), (std::vector<std::string>{"c"}));
}

TEST(ReplaceableTest, TheOldValueGoesWithItsLastSnapshot) {
  Replaceable<std::string> value("old");
  std::weak_ptr<const std::string> old;
  {
    std::shared_ptr<const std::string> snapshot = value.Snapshot();
    old = snapshot;
    value.Replace("new");
    EXPECT_FALSE(old.expired());  // still in use
  }
  EXPECT_TRUE(old.expired());
}

// Readers racing a writer only ever see whole values: both halves of a pair written together.
TEST(ReplaceableTest, ReadersNeverSeeAPartialValue) {
  struct Pair {
    std::string first;
    std::string second;
  };
  Replaceable<Pair> value(Pair{"0", "0"});
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        std::shared_ptr<const Pair> snapshot = value.Snapshot();
        if (snapshot->first != snapshot->second) ++torn;
      }
    });
  }
  for (int i = 1; i <= 20000; ++i) {
    std::string n = std::to_string(i);
    value.Replace(Pair{n, n});
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(value.Snapshot()->first, "20000");
}

}  // namespace
}  // namespace crio
