#ifndef EXOSPHERE_CLI_RUN_SNAPSHOT_H_
#define EXOSPHERE_CLI_RUN_SNAPSHOT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "sidecar/transport/json_util.h"

namespace exosphere::cli {

// One state of a run as GET /states/run/{id}/graph shows it.
struct StateRow {
  std::string id;
  std::string identifier;
  std::string node;
  std::string status;
  std::string error;  // empty unless the state failed
};

// A run at one moment: its states and how many are in each status.
struct RunSnapshot {
  std::string run_id;
  std::string graph_name;
  std::vector<StateRow> states;
  std::map<std::string, int> counts;  // status -> states, every status of the contract

  int Total() const { return static_cast<int>(states.size()); }
  // States that will not move again on their own (everything but CREATED, QUEUED, EXECUTED).
  int Done() const;
  // The run has states and none is pending.
  bool Finished() const;
  // Some state is ERRORED or NEXT_CREATED_ERROR.
  bool Failed() const;
};

// The contract's state statuses, in the order of their lifecycle (for per-status counts).
const std::vector<std::string>& StateStatuses();

// Reads the run-graph document. kNotFound when the run has no states (the state manager answers
// an unknown run with empty lists); kInternal when the document has another shape.
absl::StatusOr<RunSnapshot> ParseRunGraph(const json::Json& document, const std::string& run_id,
                                          const std::string& ns);

// `CREATED 1  QUEUED 2  SUCCESS 4`: the non-zero counts, in lifecycle order.
std::string CountsLine(const RunSnapshot& snapshot);

// The snapshot as the stable JSON of `-o json` (cli/README.md).
json::Json SnapshotJson(const RunSnapshot& snapshot);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_RUN_SNAPSHOT_H_
