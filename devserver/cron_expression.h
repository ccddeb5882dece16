#ifndef EXOSPHERE_DEVSERVER_CRON_EXPRESSION_H_
#define EXOSPHERE_DEVSERVER_CRON_EXPRESSION_H_

#include <bitset>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace exosphere::devserver {

// A cron schedule as croniter (the state manager's library) reads it, restricted to the classic
// five fields "minute hour day-of-month month day-of-week" (UTC):
//   *, ?, numbers, a-b ranges, */n, a-b/n and a/n steps, comma lists, month names (jan..dec),
//   weekday names (sun..sat), weekday 7 = Sunday, L (last day of month), wL (last weekday w of
//   the month), w#n (n-th weekday w), and the aliases @yearly @annually @monthly @weekly @daily
//   @midnight @hourly.
// Like croniter, when both day fields are restricted a day matches if either matches.
// Immutable value type; thread-compatible.
class CronExpression {
 public:
  // kInvalidArgument "Invalid cron expression" (with the reason after a colon) when `text` is not
  // a valid expression.
  static absl::StatusOr<CronExpression> Parse(absl::string_view text);

  // The first fire time strictly after `after`, at minute resolution. kNotFound "failed to find
  // next date" when the schedule never fires within 50 years (e.g. "0 0 30 2 *").
  absl::StatusOr<absl::Time> NextAfter(absl::Time after) const;

 private:
  bool DayMatches(int year, int month, int day) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  bool last_day_of_month_ = false;
  std::bitset<13> months_;                         // 1..12
  std::bitset<7> weekdays_;                        // 0 = Sunday
  std::bitset<7> last_weekdays_;                   // "5L"
  std::vector<std::pair<int, int>> nth_weekdays_;  // (weekday, n) for "5#3"
  bool day_of_month_unrestricted_ = true;
  bool day_of_week_unrestricted_ = true;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_CRON_EXPRESSION_H_
