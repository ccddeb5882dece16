#include "devserver/cron_expression.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

absl::Time Utc(int year, int month, int day, int hour, int minute, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

absl::Time Next(const std::string& expression, absl::Time after) {
  absl::StatusOr<CronExpression> cron = CronExpression::Parse(expression);
  EXPECT_TRUE(cron.ok()) << expression << ": " << cron.status();
  if (!cron.ok()) return absl::InfinitePast();
  absl::StatusOr<absl::Time> next = cron->NextAfter(after);
  EXPECT_TRUE(next.ok()) << next.status();
  return next.value_or(absl::InfinitePast());
}

TEST(CronExpressionTest, RejectsInvalidExpressions) {
  for (const char* expression :
       {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
        "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *",
        "* * * foo *", "@never", "H * * * *", "* * * * 1#6"}) {
    EXPECT_THAT(CronExpression::Parse(expression),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Invalid cron expression")))
        << "'" << expression << "'";
  }
}

TEST(CronExpressionTest, AcceptsCroniterSyntax) {
  for (const char* expression :
       {"* * * * *", "*/5 * * * *", "0 9-17/2 * * mon-fri", "15,45 * 1,15 jan,jul *", "0 0 L * *",
        "0 0 * * 5L", "0 0 * * 1#2", "0 0 * * 7", "@hourly", "@DAILY", "? * * * ?", "5/15 * * * *",
        "  0  0  1  1  *  "}) {
    EXPECT_TRUE(CronExpression::Parse(expression).ok()) << "'" << expression << "'";
  }
}

TEST(CronExpressionTest, NextIsStrictlyAfterAtMinuteResolution) {
  EXPECT_EQ(Next("* * * * *", Utc(2025, 1, 2, 3, 4, 0)), Utc(2025, 1, 2, 3, 5));
  EXPECT_EQ(Next("* * * * *", Utc(2025, 1, 2, 3, 4, 59)), Utc(2025, 1, 2, 3, 5));
  EXPECT_EQ(Next("*/15 * * * *", Utc(2025, 1, 2, 3, 44, 30)), Utc(2025, 1, 2, 3, 45));
  EXPECT_EQ(Next("0 * * * *", Utc(2025, 12, 31, 23, 30)), Utc(2026, 1, 1, 0, 0));
}

TEST(CronExpressionTest, StepsRangesAndNames) {
  EXPECT_EQ(Next("5/20 * * * *", Utc(2025, 1, 1, 0, 6)), Utc(2025, 1, 1, 0, 25));
  EXPECT_EQ(Next("0 9-17/4 * * *", Utc(2025, 1, 1, 9, 0)), Utc(2025, 1, 1, 13, 0));
  // 2025-01-04 is a Saturday: the next weekday 08:30 is Monday the 6th.
  EXPECT_EQ(Next("30 8 * * mon-fri", Utc(2025, 1, 4, 12, 0)), Utc(2025, 1, 6, 8, 30));
  EXPECT_EQ(Next("0 0 1 jul *", Utc(2025, 3, 1, 0, 0)), Utc(2025, 7, 1, 0, 0));
  EXPECT_EQ(Next("0 0 * * 7", Utc(2025, 1, 1, 0, 0)), Utc(2025, 1, 5, 0, 0));
}

TEST(CronExpressionTest, DayFieldsCombineWithOrWhenBothAreRestricted) {
  // The 13th or any Friday: 2025-06-06 is a Friday, before the 13th.
  EXPECT_EQ(Next("0 0 13 * 5", Utc(2025, 6, 1, 0, 0)), Utc(2025, 6, 6, 0, 0));
  // Only the day of month restricted.
  EXPECT_EQ(Next("0 0 13 * *", Utc(2025, 6, 1, 0, 0)), Utc(2025, 6, 13, 0, 0));
}

TEST(CronExpressionTest, LastDayAndNthWeekday) {
  EXPECT_EQ(Next("0 0 L * *", Utc(2024, 2, 3, 0, 0)), Utc(2024, 2, 29, 0, 0));
  EXPECT_EQ(Next("0 0 L * *", Utc(2025, 2, 3, 0, 0)), Utc(2025, 2, 28, 0, 0));
  // Second Monday of March 2025 is the 10th; last Friday is the 28th.
  EXPECT_EQ(Next("0 0 * * 1#2", Utc(2025, 3, 1, 0, 0)), Utc(2025, 3, 10, 0, 0));
  EXPECT_EQ(Next("0 0 * * 5L", Utc(2025, 3, 1, 0, 0)), Utc(2025, 3, 28, 0, 0));
}

TEST(CronExpressionTest, AliasesExpand) {
  EXPECT_EQ(Next("@hourly", Utc(2025, 1, 1, 10, 5)), Utc(2025, 1, 1, 11, 0));
  EXPECT_EQ(Next("@weekly", Utc(2025, 1, 1, 10, 5)), Utc(2025, 1, 5, 0, 0));
  EXPECT_EQ(Next("@yearly", Utc(2025, 1, 1, 10, 5)), Utc(2026, 1, 1, 0, 0));
}

TEST(CronExpressionTest, LeapDaySchedulesWaitForALeapYear) {
  EXPECT_EQ(Next("0 0 29 2 *", Utc(2025, 3, 1, 0, 0)), Utc(2028, 2, 29, 0, 0));
}

TEST(CronExpressionTest, ImpossibleDatesNeverFire) {
  ASSERT_OK_AND_ASSIGN(CronExpression cron, CronExpression::Parse("0 0 30 2 *"));
  EXPECT_THAT(cron.NextAfter(Utc(2025, 1, 1, 0, 0)),
              StatusIs(absl::StatusCode::kNotFound, "failed to find next date"));
}

}  // namespace
}  // namespace exosphere::devserver
