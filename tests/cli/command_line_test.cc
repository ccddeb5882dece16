#include "cli/command_line.h"

#include "tests/support/status_matchers.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<FlagSpec> kFlags = {
    {"file", 'f', "FILE", "a file"},
    {"input", 0, "KEY=VALUE", "repeatable", true},
    {"wait", 0, "", "a switch"},
};

TEST(CommandLineTest, ParsesLongShortInlineAndRepeatedFlags) {
  ASSERT_OK_AND_ASSIGN(ParsedArgs args, ParseArgs({"run", "-f", "a.yaml", "--input=x=1", "--input",
                                                   "y=2", "--wait", "--", "--not-a-flag"},
                                                  kFlags));
  EXPECT_EQ(args.Get("file"), "a.yaml");
  EXPECT_THAT(args.GetAll("input"), ElementsAre("x=1", "y=2"));
  EXPECT_TRUE(args.Has("wait"));
  EXPECT_THAT(args.positionals(), ElementsAre("run", "--not-a-flag"));
}

TEST(CommandLineTest, ShortFlagWithEquals) {
  ASSERT_OK_AND_ASSIGN(ParsedArgs args, ParseArgs({"-f=b.json"}, kFlags));
  EXPECT_EQ(args.Get("file"), "b.json");
}

TEST(CommandLineTest, RefusesUnknownMissingValueSwitchValueAndTwice) {
  EXPECT_THAT(ParseArgs({"--nope=1"}, kFlags).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --nope")));
  EXPECT_THAT(ParseArgs({"-f"}, kFlags).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--file needs a value")));
  EXPECT_THAT(ParseArgs({"--wait=yes"}, kFlags).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("takes no value")));
  EXPECT_THAT(ParseArgs({"-f", "a", "-f", "b"}, kFlags).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
}

TEST(CommandLineTest, DurationsAndIntegers) {
  ASSERT_OK_AND_ASSIGN(ParsedArgs args, ParseArgs({"--file", "1m30s", "--input", "x"}, kFlags));
  ASSERT_OK_AND_ASSIGN(absl::Duration given, args.GetDuration("file", absl::ZeroDuration()));
  EXPECT_EQ(given, absl::Seconds(90));
  ASSERT_OK_AND_ASSIGN(absl::Duration fallback, args.GetDuration("wait", absl::Seconds(7)));
  EXPECT_EQ(fallback, absl::Seconds(7));
  EXPECT_THAT(args.GetDuration("input", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--input=x: not a duration")));
  EXPECT_THAT(args.GetInt("input", 1).status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                                         HasSubstr("not a non-negative integer")));
}

TEST(CommandLineTest, KeyValues) {
  ASSERT_OK_AND_ASSIGN(auto pairs, ParseKeyValues({"text=a=b", "empty="}, "input"));
  EXPECT_EQ(pairs["text"], "a=b");
  EXPECT_EQ(pairs["empty"], "");
  EXPECT_THAT(ParseKeyValues({"novalue"}, "store").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--store novalue: expected KEY=VALUE")));
}

}  // namespace
}  // namespace exosphere::cli
