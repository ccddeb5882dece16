#ifndef EXOSPHERE_CLIENT_RUN_TYPES_H_
#define EXOSPHERE_CLIENT_RUN_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "exosphere/client/string_map.h"

// Runs and their states as StateManager returns them.
namespace exosphere::client {

enum class StateStatus {
  kUnspecified,
  kCreated,
  kQueued,
  kExecuted,
  kErrored,
  kNextCreatedError,
  kSuccess,
  kPruned,
  kRetryCreated,
};

enum class RunStatus {
  kUnspecified,
  // Some state is still CREATED, QUEUED or EXECUTED.
  kPending,
  // Nothing pending and every state succeeded, was pruned or was retried.
  kSuccess,
  // Nothing pending and some state is ERRORED or NEXT_CREATED_ERROR.
  kFailed,
};

// One run of a graph, with its state counts.
struct Run {
  std::string run_id = {};
  std::string graph_name = {};
  RunStatus status = RunStatus::kUnspecified;
  uint32_t success_count = 0;  // SUCCESS and PRUNED
  uint32_t pending_count = 0;  // CREATED, QUEUED and EXECUTED
  uint32_t errored_count = 0;  // ERRORED and NEXT_CREATED_ERROR
  uint32_t retried_count = 0;  // RETRY_CREATED
  uint32_t total_count = 0;
  std::string created_at = {};
};

// One page of runs, newest first.
struct RunList {
  // Runs in the namespace over all pages.
  uint64_t total = 0;
  std::vector<Run> runs = {};
};

// An ancestor of a state: the state `state_id` of the graph node `identifier`.
struct StateParent {
  std::string identifier = {};
  std::string state_id = {};
};

// One state (one execution of one graph node) of a run.
struct RunState {
  std::string state_id = {};
  std::string node_name = {};
  std::string identifier = {};
  StateStatus status = StateStatus::kUnspecified;
  // The error of an ERRORED, RETRY_CREATED or NEXT_CREATED_ERROR state.
  std::string error = {};
  // Inputs, outputs and parents are filled only with details (WaitForRun always has them).
  StringMap inputs = {};
  // Values that are not strings are rendered as JSON.
  StringMap outputs = {};
  // Every ancestor, oldest first; the direct parent comes last.
  std::vector<StateParent> parents = {};
  std::string created_at = {};
  std::string updated_at = {};
};

struct RunStates {
  std::string run_id = {};
  std::string graph_name = {};
  RunStatus status = RunStatus::kUnspecified;
  // In creation order.
  std::vector<RunState> states = {};

  // The states of one graph node, in creation order (several with fan-out or retries).
  std::vector<RunState> StatesOf(const std::string& identifier) const;
};

// "CREATED", "NEXT_CREATED_ERROR", ... as the state manager spells them.
const char* ToString(StateStatus status);
// "PENDING", "SUCCESS" or "FAILED".
const char* ToString(RunStatus status);

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_RUN_TYPES_H_
