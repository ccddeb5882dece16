#include "devserver/naive_time.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere {
namespace {

using ::exosphere::testing::StatusIs;

TEST(NaiveTimeTest, FormatsLikePythonIsoformat) {
  const absl::Time t = absl::FromUnixMillis(1735787045123);  // 2025-01-02T03:04:05.123Z
  EXPECT_EQ(FormatNaiveTime(t), "2025-01-02T03:04:05.123000");
  EXPECT_EQ(FormatNaiveTime(absl::FromUnixSeconds(1735787045)), "2025-01-02T03:04:05");
}

TEST(NaiveTimeTest, ParsesBothFormsAndRoundTrips) {
  const absl::Time t = absl::FromUnixMillis(1735787045123);
  EXPECT_EQ(*ParseNaiveTime("2025-01-02T03:04:05.123000"), t);
  EXPECT_EQ(*ParseNaiveTime("2025-01-02T03:04:05.123"), t);
  EXPECT_EQ(*ParseNaiveTime("2025-01-02T03:04:05"), absl::FromUnixSeconds(1735787045));
  EXPECT_EQ(*ParseNaiveTime(FormatNaiveTime(t)), t);
  EXPECT_THAT(ParseNaiveTime("yesterday"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("yesterday")));
}

}  // namespace
}  // namespace exosphere
