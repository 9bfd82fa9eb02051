#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/network/bandwidth.h"

namespace crio::network {
namespace {

using ::testing::HasSubstr;

uint64_t Quantity(std::string_view text) {
  absl::StatusOr<uint64_t> value = ParseQuantity(text);
  EXPECT_TRUE(value.ok()) << text << ": " << value.status();
  return value.value_or(0);
}

TEST(QuantityTest, DecimalAndBinarySuffixes) {
  EXPECT_EQ(Quantity("0"), 0u);
  EXPECT_EQ(Quantity("1500"), 1500u);
  EXPECT_EQ(Quantity("10k"), 10000u);
  EXPECT_EQ(Quantity("10M"), 10000000u);
  EXPECT_EQ(Quantity("1G"), 1000000000u);
  EXPECT_EQ(Quantity("2T"), 2000000000000u);
  EXPECT_EQ(Quantity("1P"), 1000000000000000u);
  EXPECT_EQ(Quantity("1E"), 1000000000000000000u);
  EXPECT_EQ(Quantity("1Ki"), 1024u);
  EXPECT_EQ(Quantity("10Mi"), 10u * 1024 * 1024);
  EXPECT_EQ(Quantity("1Gi"), 1024u * 1024 * 1024);
  EXPECT_EQ(Quantity("+3k"), 3000u);
}

TEST(QuantityTest, FractionsExponentsAndRoundingUp) {
  EXPECT_EQ(Quantity("1.5k"), 1500u);
  EXPECT_EQ(Quantity("0.5Gi"), 512u * 1024 * 1024);
  EXPECT_EQ(Quantity(".5M"), 500000u);
  EXPECT_EQ(Quantity("2e6"), 2000000u);
  EXPECT_EQ(Quantity("2E3"), 2000u);
  EXPECT_EQ(Quantity("1500m"), 2u);  // 1.5 rounds up, like Quantity.Value()
  EXPECT_EQ(Quantity("1n"), 1u);
  EXPECT_EQ(Quantity("1.0001k"), 1001u);
}

TEST(QuantityTest, RejectsMalformed) {
  for (std::string_view text : {"", "k", "10X", "1.2.3", "10 M", "1e", "1KiB", "abc", "1mi"}) {
    EXPECT_FALSE(ParseQuantity(text).ok()) << text;
  }
  EXPECT_THAT(std::string(ParseQuantity("-1M").status().message()), HasSubstr("negative"));
  EXPECT_THAT(std::string(ParseQuantity("100E").status().message()), HasSubstr("too large"));
}

TEST(BandwidthAnnotationsTest, NoneWithoutTheAnnotations) {
  auto bandwidth = BandwidthFromAnnotations({{"other", "1M"}});
  ASSERT_TRUE(bandwidth.ok());
  EXPECT_FALSE(bandwidth->has_value());
}

TEST(BandwidthAnnotationsTest, RatesInBitsWithUnboundedBurst) {
  auto bandwidth = BandwidthFromAnnotations(
      {{"kubernetes.io/ingress-bandwidth", "10M"}, {"kubernetes.io/egress-bandwidth", "1Gi"}});
  ASSERT_TRUE(bandwidth.ok()) << bandwidth.status();
  ASSERT_TRUE(bandwidth->has_value());
  EXPECT_EQ((*bandwidth)->ingress_rate, 10000000u);
  EXPECT_EQ((*bandwidth)->egress_rate, 1073741824u);
  EXPECT_EQ((*bandwidth)->ingress_burst, 4294967295u);
  EXPECT_EQ((*bandwidth)->egress_burst, 4294967295u);

  auto ingress_only = BandwidthFromAnnotations({{"kubernetes.io/ingress-bandwidth", "1k"}});
  ASSERT_TRUE(ingress_only.ok());
  EXPECT_EQ((*ingress_only)->ingress_rate, 1000u);
  EXPECT_EQ((*ingress_only)->egress_rate, 0u);
  EXPECT_EQ((*ingress_only)->egress_burst, 0u);
}

TEST(BandwidthAnnotationsTest, RejectsBadAndUnreasonableValues) {
  auto bad = BandwidthFromAnnotations({{"kubernetes.io/egress-bandwidth", "fast"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("kubernetes.io/egress-bandwidth: \"fast\" is not a quantity"));
  auto small = BandwidthFromAnnotations({{"kubernetes.io/ingress-bandwidth", "999"}});
  ASSERT_FALSE(small.ok());
  EXPECT_THAT(std::string(small.status().message()), HasSubstr("unreasonably small (< 1kbit)"));
  auto large = BandwidthFromAnnotations({{"kubernetes.io/ingress-bandwidth", "2P"}});
  ASSERT_FALSE(large.ok());
  EXPECT_THAT(std::string(large.status().message()), HasSubstr("unreasonably large (> 1Pbit)"));
}

}  // namespace
}  // namespace crio::network
