#include "crio/common/yaml_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crio {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(YamlJsonTest, TypesPlainScalarsAsYaml11AndKeepsQuotedOnesText) {
  absl::StatusOr<json> doc = ParseYamlAsJson(R"(
octal: 0640
quoted: "0640"
single: '12'
decimal: 12
negative: -3
hex: 0x1F
float: 1.5
yes_bool: yes
off_bool: off
true_bool: true
tilde: ~
empty:
text: hello world
version: 0.6.0
list: [a, 1, "2"]
nested:
  - name: x
    n: 7
)");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["octal"], 0640);
  EXPECT_EQ((*doc)["quoted"], "0640");
  EXPECT_EQ((*doc)["single"], "12");
  EXPECT_EQ((*doc)["decimal"], 12);
  EXPECT_EQ((*doc)["negative"], -3);
  EXPECT_EQ((*doc)["hex"], 31);
  EXPECT_EQ((*doc)["float"], 1.5);
  EXPECT_EQ((*doc)["yes_bool"], true);
  EXPECT_EQ((*doc)["off_bool"], false);
  EXPECT_EQ((*doc)["true_bool"], true);
  EXPECT_TRUE((*doc)["tilde"].is_null());
  EXPECT_TRUE((*doc)["empty"].is_null());
  EXPECT_EQ((*doc)["text"], "hello world");
  EXPECT_EQ((*doc)["version"], "0.6.0");
  EXPECT_EQ((*doc)["list"], json({"a", 1, "2"}));
  EXPECT_EQ((*doc)["nested"][0]["n"], 7);
}

TEST(YamlJsonTest, JsonIsYamlToo) {
  absl::StatusOr<json> doc = ParseYamlAsJson(R"({"a": [1, 2], "b": {"c": "d"}, "e": false})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(*doc, json::parse(R"({"a": [1, 2], "b": {"c": "d"}, "e": false})"));
}

TEST(YamlJsonTest, ASyntaxErrorSaysWhere) {
  absl::StatusOr<json> doc = ParseYamlAsJson("a: 1\nb: [2,\n");
  ASSERT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(), HasSubstr("line "));
  EXPECT_FALSE(ParseYamlAsJson("? [a, b]\n: c\n").ok());  // a key JSON cannot have
}

}  // namespace
}  // namespace crio
