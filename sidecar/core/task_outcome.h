#ifndef EXOSPHERE_SIDECAR_CORE_TASK_OUTCOME_H_
#define EXOSPHERE_SIDECAR_CORE_TASK_OUTCOME_H_

#include "absl/strings/string_view.h"

namespace exosphere::sidecar {

// How a claimed state left the sidecar: the kind of its one report, with the sidecar's own
// re-enqueue-after (a hand-back) told apart from one the worker asked for.
enum class TaskOutcome { kExecuted, kErrored, kPruned, kRequeued, kHandedBack };
// How many outcomes there are, for arrays indexed by one.
inline constexpr int kTaskOutcomeCount = static_cast<int>(TaskOutcome::kHandedBack) + 1;

// Why the sidecar itself reported a state errored (kNone: it did not; the worker's report, or a
// hand-back).
enum class FailureReason {
  kNone,
  kInvalidResult,
  kInvalidInputs,
  kDeadlineExceeded,
  kWorkerLost,
  kSecrets,
  kMalformedState,
};

// Metric label values: "executed", "errored", "pruned", "requeued", "handed_back".
absl::string_view OutcomeName(TaskOutcome outcome);
// Metric label values: "invalid_result", "invalid_inputs", ...; "" for kNone.
absl::string_view FailureReasonName(FailureReason reason);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_TASK_OUTCOME_H_
