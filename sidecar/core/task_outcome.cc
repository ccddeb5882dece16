#include "sidecar/core/task_outcome.h"

namespace exosphere::sidecar {

absl::string_view OutcomeName(TaskOutcome outcome) {
  switch (outcome) {
    case TaskOutcome::kExecuted:
      return "executed";
    case TaskOutcome::kErrored:
      return "errored";
    case TaskOutcome::kPruned:
      return "pruned";
    case TaskOutcome::kRequeued:
      return "requeued";
    case TaskOutcome::kHandedBack:
      return "handed_back";
  }
  return "errored";
}

absl::string_view FailureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kNone:
      return "";
    case FailureReason::kInvalidResult:
      return "invalid_result";
    case FailureReason::kInvalidInputs:
      return "invalid_inputs";
    case FailureReason::kDeadlineExceeded:
      return "deadline_exceeded";
    case FailureReason::kWorkerLost:
      return "worker_lost";
    case FailureReason::kSecrets:
      return "secrets";
    case FailureReason::kMalformedState:
      return "malformed_state";
  }
  return "";
}

}  // namespace exosphere::sidecar
