#include <gtest/gtest.h>

#include "crio/config/options.h"

namespace crio::config {
namespace {

TEST(ParseDurationTest, AcceptsGoSyntax) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("0s"), 0);
  EXPECT_EQ(*ParseDuration("300ms"), 300'000'000);
  EXPECT_EQ(*ParseDuration("1m30s"), 90'000'000'000);
  EXPECT_EQ(*ParseDuration("2h"), 7'200'000'000'000);
  EXPECT_EQ(*ParseDuration("1.5s"), 1'500'000'000);
  EXPECT_EQ(*ParseDuration("10us"), 10'000);
  EXPECT_EQ(*ParseDuration("7ns"), 7);
  EXPECT_EQ(*ParseDuration("-5s"), -5'000'000'000);
}

TEST(ParseDurationTest, RejectsOtherText) {
  for (const char* text : {"", "5", "s", "5 s", "5x", "1.2.3s", ".s", "4h-3m", "m5"}) {
    EXPECT_FALSE(ParseDuration(text).ok()) << text;
  }
}

TEST(ParseMemorySizeTest, EveryUnitIsAPowerOf1024AsInGoUnits) {
  EXPECT_EQ(*ParseMemorySize("12MiB"), 12 * 1024 * 1024);
  EXPECT_EQ(*ParseMemorySize("12MB"), 12 * 1024 * 1024);
  EXPECT_EQ(*ParseMemorySize("12m"), 12 * 1024 * 1024);
  EXPECT_EQ(*ParseMemorySize("12 M"), 12 * 1024 * 1024);
  EXPECT_EQ(*ParseMemorySize("1.5k"), 1536);
  EXPECT_EQ(*ParseMemorySize("2g"), int64_t{2} << 30);
  EXPECT_EQ(*ParseMemorySize("4096"), 4096);
  EXPECT_EQ(*ParseMemorySize("64b"), 64);
}

TEST(ParseMemorySizeTest, RejectsOtherText) {
  for (const char* text : {"", "MiB", "-1m", "12x", "12mm", "1.k", ".5m", "12  ", "12Mi B"}) {
    EXPECT_FALSE(ParseMemorySize(text).ok()) << text;
  }
}

TEST(ContainerMinMemoryTest, TheHandlersValueElseCrioDefaultForItsRuntime) {
  RuntimeHandler handler = DefaultRuntimeHandler();
  EXPECT_EQ(*ContainerMinMemory(handler, "runc"), 12 * 1024 * 1024);
  EXPECT_EQ(*ContainerMinMemory(handler, "crun"), 500 * 1024);  // named crun, found in $PATH
  handler.runtime_path = "/usr/local/bin/crun";
  EXPECT_EQ(*ContainerMinMemory(handler, "fast"), 500 * 1024);
  handler.container_min_memory = "64m";
  EXPECT_EQ(*ContainerMinMemory(handler, "fast"), 64 * 1024 * 1024);
  handler.container_min_memory = "lots";
  EXPECT_FALSE(ContainerMinMemory(handler, "fast").ok());
}

TEST(FormatTomlTest, QuotesAndEscapes) {
  EXPECT_EQ(FormatToml(Value(std::string("a\"b\\c\nd"))), R"("a\"b\\c\nd")");
  EXPECT_EQ(FormatToml(Value(true)), "true");
  EXPECT_EQ(FormatToml(Value(int64_t{-7})), "-7");
  EXPECT_EQ(FormatToml(Value(std::vector<std::string>{"x", "y"})), R"(["x", "y"])");
  EXPECT_EQ(FormatToml(Value(std::vector<std::string>{})), "[]");
  EXPECT_EQ(FormatToml(Value(std::string("\x01"))), R"("\u0001")");
}

TEST(SetTest, RefusesAValueOfAnotherType) {
  std::string field;
  EXPECT_FALSE(Set(FieldRef(&field), Value(true)).ok());
  EXPECT_TRUE(Set(FieldRef(&field), Value(std::string("ok"))).ok());
  EXPECT_EQ(field, "ok");
}

TEST(ParseFlagValueTest, FollowsTheFieldType) {
  EXPECT_EQ(*ParseFlagValue(Value(false), {"true"}), Value(true));
  EXPECT_EQ(*ParseFlagValue(Value(int64_t{0}), {"-1"}), Value(int64_t{-1}));
  EXPECT_FALSE(ParseFlagValue(Value(int64_t{0}), {"1x"}).ok());
  EXPECT_FALSE(ParseFlagValue(Value(std::string()), {"a", "b"}).ok());
  EXPECT_EQ(*ParseFlagValue(Value(std::vector<std::string>{}), {"a,b", "c"}),
            Value(std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace crio::config
