#include "crio/oci/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scratch_dir.h"

namespace crio::oci {
namespace {

using ::testing::HasSubstr;

TEST(CheckpointSupportTest, WithoutCriuSaysSo) {
  absl::Status status = CheckpointSupport({});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no criu binary was found in PATH"));
}

TEST(CheckpointSupportTest, ACriuThatCannotRunIsNamed) {
  testing::ScratchDir dir;
  absl::Status status = CheckpointSupport(dir.path() / "no-such-criu");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()), HasSubstr("could not run"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("no-such-criu"));
}

}  // namespace
}  // namespace crio::oci
