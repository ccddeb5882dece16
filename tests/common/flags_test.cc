#include "common/flags.h"

#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

ABSL_FLAG(int32_t, flags_test_count, 1, "test flag");
ABSL_FLAG(std::string, flags_test_name, "default", "test flag");

namespace exosphere {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

EnvGetter FakeEnv(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<char*> Argv(std::vector<std::string>& storage) {
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

TEST(FlagsTest, DashesInFlagNamesBecomeUnderscoresButValuesAreKept) {
  std::vector<std::string> input = {"prog", "--api-key-file=/a-b/c-d", "-x-y", "--", "--keep-me"};
  std::vector<char*> argv = Argv(input);
  std::vector<std::string> storage;
  std::vector<char*> normalized =
      NormalizeFlagNames(static_cast<int>(input.size()), argv.data(), storage);
  ASSERT_EQ(normalized.size(), input.size() + 1);
  EXPECT_STREQ(normalized[1], "--api_key_file=/a-b/c-d");
  EXPECT_STREQ(normalized[2], "-x_y");
  EXPECT_STREQ(normalized[4], "--keep-me");
  EXPECT_EQ(normalized.back(), nullptr);
}

TEST(FlagsTest, EnvironmentFillsFlagsNotGivenOnTheCommandLine) {
  std::vector<std::string> input = {"prog", "--flags_test_name=cli"};
  std::vector<char*> argv = Argv(input);
  absl::SetFlag(&FLAGS_flags_test_name, "cli");
  ASSERT_THAT(
      ApplyEnvironmentFallbacks({{"flags_test_count", "COUNT"}, {"flags_test_name", "NAME"}},
                                FakeEnv({{"COUNT", "7"}, {"NAME", "env"}}), argv),
      IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_flags_test_count), 7);
  EXPECT_EQ(absl::GetFlag(FLAGS_flags_test_name), "cli");
}

TEST(FlagsTest, AnUnparsableVariableIsNamedInTheError) {
  std::vector<std::string> input = {"prog"};
  std::vector<char*> argv = Argv(input);
  EXPECT_THAT(ApplyEnvironmentFallbacks({{"flags_test_count", "COUNT"}},
                                        FakeEnv({{"COUNT", "many"}}), argv),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("COUNT")));
  EXPECT_THAT(ApplyEnvironmentFallbacks({{"no_such_flag", "X"}}, FakeEnv({}), argv),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no_such_flag")));
}

}  // namespace
}  // namespace exosphere
