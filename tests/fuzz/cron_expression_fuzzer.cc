// Fuzzes the devserver's cron expression parser (devserver/cron_expression.h), which reads the
// `triggers[].value.expression` field of a graph upsert request (contract 2.2, 4.12).
//
// Invariants: no crash or endless loop; errors are kInvalidArgument "Invalid cron expression...";
// a parsed expression either fires strictly later, on a whole minute, and again after that, or
// says kNotFound.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"

#include "devserver/cron_expression.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using exosphere::devserver::CronExpression;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<CronExpression> cron = CronExpression::Parse(text);
  if (!cron.ok()) {
    exosphere::fuzz::CheckError(cron.status());
    FUZZ_CHECK(cron.status().code() == absl::StatusCode::kInvalidArgument,
               cron.status().ToString());
    FUZZ_CHECK(absl::StartsWith(cron.status().message(), "Invalid cron expression"),
               cron.status().ToString());
    return 0;
  }
  // 2026-11-28 13:37:42 UTC: not on a minute, late in a month, in a year before a leap year.
  const absl::Time after = absl::FromUnixSeconds(1795873062);
  absl::StatusOr<absl::Time> next = cron->NextAfter(after);
  if (!next.ok()) {
    FUZZ_CHECK(next.status().code() == absl::StatusCode::kNotFound, next.status().ToString());
    return 0;
  }
  FUZZ_CHECK(*next > after, absl::FormatTime(*next));
  FUZZ_CHECK(absl::ToUnixSeconds(*next) % 60 == 0, absl::FormatTime(*next));
  FUZZ_CHECK(*next - after <= absl::Hours(24 * 366 * 51), absl::FormatTime(*next));
  absl::StatusOr<absl::Time> again = cron->NextAfter(*next);
  if (again.ok()) {
    FUZZ_CHECK(*again > *next, absl::FormatTime(*again));
  } else {
    FUZZ_CHECK(again.status().code() == absl::StatusCode::kNotFound, again.status().ToString());
  }
  return 0;
}
