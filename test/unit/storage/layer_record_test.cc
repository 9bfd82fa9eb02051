#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crio/storage/layer_record.h"

namespace crio::storage {
namespace {

TEST(PulledLayerIdTest, FollowsContainersImage) {
  std::string a(64, 'a'), b(64, 'b');
  EXPECT_EQ(PulledLayerId("", "sha256:" + a), a);
  // sha256("aaa…a+bbb…b"): the parent layer id, "+", the DiffID's hex.
  EXPECT_EQ(PulledLayerId(a, "sha256:" + b),
            "76f79efda453922cda1cecb6ec9e7cf9d86ea968c6dd199d4030dd00078a1686");
}

TEST(RandomIdTest, IsHexAndNeverNumericInShortForm) {
  for (int i = 0; i < 200; ++i) {
    std::string id = RandomId();
    ASSERT_EQ(id.size(), 64u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(id.substr(0, 12).find_first_not_of("0123456789"), std::string::npos);
  }
  EXPECT_NE(RandomId(), RandomId());
}

TEST(RandomLinkIdTest, Uses26Base32Characters) {
  std::string id = RandomLinkId();
  ASSERT_EQ(id.size(), 26u);
  EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos);
}

TEST(LayersJsonTest, ParsesWhatContainersStorageWrites) {
  std::string json =
      R"([{"id":"1e8f","created":"2023-06-01T10:15:30.123456789Z","compressed-diff-digest":"sha256:8a49","compressed-size":3397879,"diff-digest":"sha256:1e8f","diff-size":7629824,"compression":2,"uidset":[0],"gidset":[0,42],"toc-digest":"sha256:future"},)"
      R"({"id":"9c3a","names":["ctr-layer"],"parent":"1e8f","mountlabel":"label","created":"2023-06-01T10:20:00.5Z","flags":{"incomplete":true}}])";
  absl::StatusOr<std::vector<LayerRecord>> layers = ParseLayers(json);
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), 2u);
  const LayerRecord& base = (*layers)[0];
  EXPECT_EQ(base.compressed_size, 3397879);
  EXPECT_EQ(base.uncompressed_digest, "sha256:1e8f");
  EXPECT_EQ(base.compression, Compression::kGzip);
  EXPECT_EQ(base.gids, (std::vector<uint32_t>{0, 42}));
  EXPECT_FALSE(base.incomplete());
  EXPECT_EQ(base.unknown["toc-digest"], "sha256:future");
  const LayerRecord& top = (*layers)[1];
  EXPECT_EQ(top.parent, "1e8f");
  EXPECT_EQ(top.names, std::vector<std::string>{"ctr-layer"});
  EXPECT_TRUE(top.incomplete());
  // Written back byte for byte: same field order, omitted empties, unknown keys kept.
  EXPECT_EQ(SerializeLayers(*layers), json);
}

TEST(LayersJsonTest, EmptyAndBrokenDocuments) {
  EXPECT_TRUE(ParseLayers("")->empty());
  EXPECT_TRUE(ParseLayers("[]")->empty());
  EXPECT_EQ(SerializeLayers({}), "[]");
  EXPECT_TRUE(absl::IsDataLoss(ParseLayers("{").status()));
  EXPECT_TRUE(absl::IsDataLoss(ParseLayers(R"([{"names":["x"]}])").status()));
  EXPECT_TRUE(absl::IsDataLoss(ParseLayers(R"([{"id":"x","compressed-size":"big"}])").status()));
}

TEST(CreatedNowTest, IsRfc3339InUtc) {
  std::string now = CreatedNow();
  EXPECT_THAT(now, ::testing::MatchesRegex(
                       R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z)"));
}

}  // namespace
}  // namespace crio::storage
