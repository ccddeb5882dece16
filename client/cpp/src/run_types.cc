#include "exosphere/client/run_types.h"

namespace exosphere::client {

std::vector<RunState> RunStates::StatesOf(const std::string& identifier) const {
  std::vector<RunState> matching;
  for (const RunState& state : states) {
    if (state.identifier == identifier) matching.push_back(state);
  }
  return matching;
}

const char* ToString(StateStatus status) {
  switch (status) {
    case StateStatus::kCreated:
      return "CREATED";
    case StateStatus::kQueued:
      return "QUEUED";
    case StateStatus::kExecuted:
      return "EXECUTED";
    case StateStatus::kErrored:
      return "ERRORED";
    case StateStatus::kNextCreatedError:
      return "NEXT_CREATED_ERROR";
    case StateStatus::kSuccess:
      return "SUCCESS";
    case StateStatus::kPruned:
      return "PRUNED";
    case StateStatus::kRetryCreated:
      return "RETRY_CREATED";
    case StateStatus::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

const char* ToString(RunStatus status) {
  switch (status) {
    case RunStatus::kPending:
      return "PENDING";
    case RunStatus::kSuccess:
      return "SUCCESS";
    case RunStatus::kFailed:
      return "FAILED";
    case RunStatus::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

}  // namespace exosphere::client
