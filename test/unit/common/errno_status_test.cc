#include "crio/common/errno_status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace crio {
namespace {

TEST(ErrnoErrorTest, NamesWhatFailedAndTheErrnoItFailedWith) {
  errno = ENOENT;
  absl::Status status = ErrnoError("open /nowhere");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), "open /nowhere: No such file or directory");
}

}  // namespace
}  // namespace crio
