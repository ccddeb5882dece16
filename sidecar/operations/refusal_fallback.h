#ifndef EXOSPHERE_SIDECAR_OPERATIONS_REFUSAL_FALLBACK_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_REFUSAL_FALLBACK_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

#include "sidecar/transport/report.h"

// What the reporter sends after the state manager refused a report for good (a 4xx that a retry
// cannot change: 404, 413, 422, a 400 other than "not queued"), so that a claimed state still
// ends terminal or goes back to the queue instead of staying QUEUED forever.
namespace exosphere::sidecar {

// Longest errored message sent after a refusal; the state manager takes far larger bodies, so a
// refused errored report cut to this is refused for another reason.
inline constexpr size_t kMaxFallbackErrorBytes = 4096;

enum class FallbackStep {
  kReportErrored,  // an executed, prune or re-enqueue report refused: report errored, saying why
  kTruncateError,  // an errored report with a long message refused: again with the message cut
  kHandBack,       // an errored report refused: hand the state back (re-enqueue-after)
};

struct Fallback {
  FallbackStep step;
  Report report;
};

// The next report to try after `refused` was refused for `why` (the error's text, no secrets),
// or nullopt when nothing is left: `refused` was itself the hand-back. Pure function.
std::optional<Fallback> FallbackAfterRefusal(const Report& refused, bool refused_is_hand_back,
                                             absl::string_view why, int64_t hand_back_delay_ms);

absl::string_view FallbackStepName(FallbackStep step);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_REFUSAL_FALLBACK_H_
