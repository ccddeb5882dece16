#ifndef EXOSPHERE_DEVSERVER_NAIVE_TIME_H_
#define EXOSPHERE_DEVSERVER_NAIVE_TIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// The state manager's timestamps are naive ISO-8601 datetimes without an offset, e.g.
// "2025-01-02T03:04:05.123000" or, when the fraction is zero, "2025-01-02T03:04:05". We read and
// write them as UTC.
namespace exosphere {

// Millisecond precision, rendered like Python's datetime.isoformat(): six fraction digits, or none
// when the fraction is zero.
std::string FormatNaiveTime(absl::Time time);

// Accepts both forms above and any fraction length; also tolerates a trailing 'Z' or offset.
absl::StatusOr<absl::Time> ParseNaiveTime(absl::string_view text);

}  // namespace exosphere

#endif  // EXOSPHERE_DEVSERVER_NAIVE_TIME_H_
