#include "devserver/naive_time.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace exosphere {

std::string FormatNaiveTime(absl::Time time) {
  const int64_t millis = absl::ToUnixMillis(time);
  const absl::Time whole_seconds =
      absl::FromUnixSeconds(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  const int64_t fraction_ms =
      absl::ToInt64Milliseconds(absl::FromUnixMillis(millis) - whole_seconds);
  std::string text = absl::FormatTime("%Y-%m-%dT%H:%M:%S", whole_seconds, absl::UTCTimeZone());
  if (fraction_ms != 0) absl::StrAppendFormat(&text, ".%03d000", fraction_ms);
  return text;
}

absl::StatusOr<absl::Time> ParseNaiveTime(absl::string_view text) {
  absl::Time time;
  std::string error;
  const std::string input(text);
  // %E*S accepts seconds with any fraction; %Ez an optional offset is handled by a second try.
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", input, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", input, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", input, absl::UTCTimeZone(), &time, &error)) {
    return time;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid datetime '", text, "': ", error));
}

}  // namespace exosphere
