#include "sidecar/operations/refusal_fallback.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "sidecar/transport/quoting.h"

namespace exosphere::sidecar {

std::optional<Fallback> FallbackAfterRefusal(const Report& refused, bool refused_is_hand_back,
                                             absl::string_view why, int64_t hand_back_delay_ms) {
  if (refused_is_hand_back) return std::nullopt;
  // The reason is quoted from the server's answer: bound it like any foreign text.
  const absl::string_view reason = Utf8Prefix(why, kMaxFallbackErrorBytes / 2);
  if (refused.kind != Report::Kind::kErrored) {
    return Fallback{FallbackStep::kReportErrored,
                    Report::Errored(refused.state_id,
                                    absl::StrCat("the sidecar reported this state errored because "
                                                 "the state manager refused its ",
                                                 refused.Endpoint(), " report: ", reason))};
  }
  if (refused.error.size() > kMaxFallbackErrorBytes) {
    // Room for the note, so that the cut message is itself within the bound.
    const absl::string_view kept = Utf8Prefix(refused.error, kMaxFallbackErrorBytes - 128);
    return Fallback{
        FallbackStep::kTruncateError,
        Report::Errored(refused.state_id,
                        absl::StrCat(kept, "... (cut by the sidecar from ", refused.error.size(),
                                     " bytes: the state manager refused the full "
                                     "message)"))};
  }
  return Fallback{FallbackStep::kHandBack,
                  Report::RequeueAfter(refused.state_id, hand_back_delay_ms)};
}

absl::string_view FallbackStepName(FallbackStep step) {
  switch (step) {
    case FallbackStep::kReportErrored:
      return "reported_errored";
    case FallbackStep::kTruncateError:
      return "error_truncated";
    case FallbackStep::kHandBack:
      return "handed_back";
  }
  return "handed_back";
}

}  // namespace exosphere::sidecar
