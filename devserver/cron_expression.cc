#include "devserver/cron_expression.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace exosphere::devserver {
namespace {

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

absl::Status Invalid(absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid cron expression: ", reason));
}

struct FieldSpec {
  const char* name;
  int min;
  int max;
  bool month_names;
  bool weekday_names;
};

constexpr FieldSpec kMinute{"minute", 0, 59, false, false};
constexpr FieldSpec kHour{"hour", 0, 23, false, false};
constexpr FieldSpec kDayOfMonth{"day of month", 1, 31, false, false};
constexpr FieldSpec kMonth{"month", 1, 12, true, false};
constexpr FieldSpec kDayOfWeek{"day of week", 0, 7, false, true};

absl::StatusOr<int> ParseValue(absl::string_view text, const FieldSpec& spec) {
  int value;
  if (absl::SimpleAtoi(text, &value) && !text.empty() &&
      absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    if (value < spec.min || value > spec.max) {
      return Invalid(absl::StrCat(spec.name, " value ", text, " out of range"));
    }
    return value;
  }
  if (spec.month_names) {
    for (int i = 0; i < 12; ++i) {
      if (text == kMonthNames[i]) return i + 1;
    }
  }
  if (spec.weekday_names) {
    for (int i = 0; i < 7; ++i) {
      if (text == kWeekdayNames[i]) return i;
    }
  }
  return Invalid(absl::StrCat("bad ", spec.name, " value '", text, "'"));
}

// Expands one comma-separated item ("*", "a", "a-b", with an optional "/step") into `bits`.
template <size_t N>
absl::Status ExpandItem(absl::string_view item, const FieldSpec& spec, std::bitset<N>& bits) {
  int step = 1;
  const size_t slash = item.find('/');
  absl::string_view range = item;
  bool stepped = false;
  if (slash != absl::string_view::npos) {
    const absl::string_view step_text = item.substr(slash + 1);
    if (!absl::SimpleAtoi(step_text, &step) || step <= 0 || step_text.empty() ||
        !absl::ascii_isdigit(static_cast<unsigned char>(step_text[0]))) {
      return Invalid(absl::StrCat("bad step '", step_text, "' in ", spec.name));
    }
    range = item.substr(0, slash);
    stepped = true;
  }
  int low;
  int high;
  if (range == "*" || range == "?") {
    low = spec.min;
    high = spec.max == 7 ? 6 : spec.max;
  } else {
    const size_t dash = range.find('-');
    if (dash == absl::string_view::npos) {
      auto value = ParseValue(range, spec);
      if (!value.ok()) return value.status();
      low = *value;
      // croniter: "a/n" means every n-th value from a to the end of the field.
      high = stepped ? (spec.max == 7 ? 6 : spec.max) : *value;
    } else {
      auto first = ParseValue(range.substr(0, dash), spec);
      if (!first.ok()) return first.status();
      auto last = ParseValue(range.substr(dash + 1), spec);
      if (!last.ok()) return last.status();
      low = *first;
      high = *last;
      if (low > high) {
        return Invalid(absl::StrCat("range ", range, " in ", spec.name, " runs backwards"));
      }
    }
  }
  for (int value = low; value <= high; value += step) {
    // Day of week 7 is Sunday.
    const int slot = (spec.max == 7 && value == 7) ? 0 : value;
    bits.set(static_cast<size_t>(slot));
  }
  return absl::OkStatus();
}

template <size_t N>
absl::Status ExpandField(absl::string_view field, const FieldSpec& spec, std::bitset<N>& bits) {
  for (absl::string_view item : absl::StrSplit(field, ',')) {
    if (item.empty()) return Invalid(absl::StrCat("empty item in ", spec.name));
    absl::Status status = ExpandItem(item, spec, bits);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::string_view ExpandAlias(absl::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

absl::StatusOr<CronExpression> CronExpression::Parse(absl::string_view text) {
  const std::string lowered = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  const absl::string_view expanded = ExpandAlias(lowered);
  std::vector<absl::string_view> fields =
      absl::StrSplit(expanded, absl::ByAnyChar(" \t\n\r\f\v"), absl::SkipEmpty());
  if (fields.size() != 5) {
    return Invalid(absl::StrCat("expected 5 fields, got ", fields.size()));
  }
  CronExpression cron;
  absl::Status status = ExpandField(fields[0], kMinute, cron.minutes_);
  if (status.ok()) status = ExpandField(fields[1], kHour, cron.hours_);
  if (!status.ok()) return status;

  for (absl::string_view item : absl::StrSplit(fields[2], ',')) {
    if (item == "l") {
      cron.last_day_of_month_ = true;
      continue;
    }
    if (item.empty()) return Invalid("empty item in day of month");
    status = ExpandItem(item, kDayOfMonth, cron.days_of_month_);
    if (!status.ok()) return status;
  }
  status = ExpandField(fields[3], kMonth, cron.months_);
  if (!status.ok()) return status;

  for (absl::string_view item : absl::StrSplit(fields[4], ',')) {
    if (item.empty()) return Invalid("empty item in day of week");
    const size_t hash = item.find('#');
    if (hash != absl::string_view::npos) {
      auto weekday = ParseValue(item.substr(0, hash), kDayOfWeek);
      if (!weekday.ok()) return weekday.status();
      int nth;
      if (!absl::SimpleAtoi(item.substr(hash + 1), &nth) || nth < 1 || nth > 5) {
        return Invalid(absl::StrCat("bad '#' item '", item, "' in day of week"));
      }
      cron.nth_weekdays_.emplace_back(*weekday % 7, nth);
      continue;
    }
    if (item.size() > 1 && item.back() == 'l') {
      auto weekday = ParseValue(item.substr(0, item.size() - 1), kDayOfWeek);
      if (!weekday.ok()) return weekday.status();
      cron.last_weekdays_.set(static_cast<size_t>(*weekday % 7));
      continue;
    }
    status = ExpandItem(item, kDayOfWeek, cron.weekdays_);
    if (!status.ok()) return status;
  }

  // croniter collapses a field that lists every value to "*": only then is it unrestricted.
  bool all_days = !cron.last_day_of_month_;
  for (int day = 1; day <= 31; ++day) all_days = all_days && cron.days_of_month_.test(day);
  cron.day_of_month_unrestricted_ = all_days;
  cron.day_of_week_unrestricted_ =
      cron.weekdays_.all() && cron.last_weekdays_.none() && cron.nth_weekdays_.empty();
  if (cron.minutes_.none() || cron.hours_.none() || cron.months_.none()) {
    return Invalid("a field matches no value");
  }
  return cron;
}

bool CronExpression::DayMatches(int year, int month, int day) const {
  if (!months_.test(static_cast<size_t>(month))) return false;
  const absl::CivilDay civil_day(year, month, day);
  const int days_in_month = static_cast<int>(absl::CivilDay(absl::CivilMonth(year, month) + 1) -
                                             absl::CivilDay(year, month, 1));
  int weekday = 0;
  switch (absl::GetWeekday(civil_day)) {
    case absl::Weekday::sunday:
      weekday = 0;
      break;
    case absl::Weekday::monday:
      weekday = 1;
      break;
    case absl::Weekday::tuesday:
      weekday = 2;
      break;
    case absl::Weekday::wednesday:
      weekday = 3;
      break;
    case absl::Weekday::thursday:
      weekday = 4;
      break;
    case absl::Weekday::friday:
      weekday = 5;
      break;
    case absl::Weekday::saturday:
      weekday = 6;
      break;
  }
  const bool day_of_month_match =
      days_of_month_.test(static_cast<size_t>(day)) || (last_day_of_month_ && day == days_in_month);
  bool day_of_week_match =
      weekdays_.test(static_cast<size_t>(weekday)) ||
      (last_weekdays_.test(static_cast<size_t>(weekday)) && day + 7 > days_in_month);
  for (const auto& [nth_weekday, nth] : nth_weekdays_) {
    if (nth_weekday == weekday && (day - 1) / 7 + 1 == nth) day_of_week_match = true;
  }
  if (day_of_month_unrestricted_ && day_of_week_unrestricted_) return true;
  if (day_of_month_unrestricted_) return day_of_week_match;
  if (day_of_week_unrestricted_) return day_of_month_match;
  return day_of_month_match || day_of_week_match;
}

absl::StatusOr<absl::Time> CronExpression::NextAfter(absl::Time after) const {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilMinute start = absl::ToCivilMinute(after, utc) + 1;
  absl::CivilDay day = absl::CivilDay(start);
  const absl::CivilDay last_day = day + absl::civil_diff_t{366} * 50;
  for (; day <= last_day; ++day) {
    if (!DayMatches(static_cast<int>(day.year()), day.month(), day.day())) continue;
    const bool first_day = day == absl::CivilDay(start);
    for (int hour = first_day ? start.hour() : 0; hour < 24; ++hour) {
      if (!hours_.test(static_cast<size_t>(hour))) continue;
      const bool first_hour = first_day && hour == start.hour();
      for (int minute = first_hour ? start.minute() : 0; minute < 60; ++minute) {
        if (!minutes_.test(static_cast<size_t>(minute))) continue;
        return absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute),
                               utc);
      }
    }
  }
  return absl::NotFoundError("failed to find next date");
}

}  // namespace exosphere::devserver
