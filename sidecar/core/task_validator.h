#ifndef EXOSPHERE_SIDECAR_CORE_TASK_VALIDATOR_H_
#define EXOSPHERE_SIDECAR_CORE_TASK_VALIDATOR_H_

#include <string>

#include "absl/status/statusor.h"

#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/core/node_spec.h"
#include "sidecar/transport/json_util.h"
#include "sidecar/transport/report.h"

// The strings-only checks of v1 at both ends of a task: what the state manager hands a worker
// and what the worker hands back. Pure functions; thread-safe. Every error message is written to
// be stored on the state as its error, so it names the node, the field and what was wrong, and
// never contains a secret value.
namespace exosphere::sidecar {

// The state's inputs as a string map. kInvalidArgument when an input value is not a string or a
// declared input field is missing. Extra inputs pass through.
absl::StatusOr<json::StringMap> ValidateInputs(const NodeSpec& node, const json::Json& inputs);

// Only the secrets the node declared. kInvalidArgument when one of them is not among the graph's.
absl::StatusOr<json::StringMap> SelectSecrets(const NodeSpec& node, const json::StringMap& all);

struct ValidatedResult {
  // The report to send: what the worker asked for, or an errored report when it broke the
  // node's contract.
  Report report;
  // Empty when the result was valid; otherwise why it was not (also the errored report's text).
  std::string violation;
};

// Turns a worker's answer into the report to send. A report whose body would exceed
// `max_report_bytes` (what the state manager accepts) is a violation: the state is reported
// errored instead (an errored result keeps the start of its message).
ValidatedResult ValidateResult(const NodeSpec& node, const v1::TaskResult& result,
                               size_t max_report_bytes);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_TASK_VALIDATOR_H_
