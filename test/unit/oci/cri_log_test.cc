#include <gtest/gtest.h>

#include "crio/oci/cri_log.h"

namespace crio::oci {
namespace {

TEST(SplitCriLogTest, RebuildsBothStreams) {
  SplitOutput output = SplitCriLog(
      "2026-01-01T00:00:00.000000000+00:00 stdout F hello\n"
      "2026-01-01T00:00:00.000000001+00:00 stderr F oops\n"
      "2026-01-01T00:00:00.000000002+00:00 stdout P part\n"
      "2026-01-01T00:00:00.000000003+00:00 stdout F ial\n"
      "2026-01-01T00:00:00.000000004+00:00 stdout P no newline at the end\n");
  EXPECT_EQ(output.out, "hello\npartial\nno newline at the end");
  EXPECT_EQ(output.err, "oops\n");
}

TEST(SplitCriLogTest, KeepsSpacesInContentAndSkipsMalformedLines) {
  SplitOutput output = SplitCriLog(
      "garbage\n"
      "2026-01-01T00:00:00Z stdin F what\n"
      "2026-01-01T00:00:00Z stdout F  two  spaces \n"
      "2026-01-01T00:00:00Z stdout F \n");
  EXPECT_EQ(output.out, " two  spaces \n\n");
  EXPECT_EQ(output.err, "");
}

}  // namespace
}  // namespace crio::oci
