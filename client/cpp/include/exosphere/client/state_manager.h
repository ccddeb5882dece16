#ifndef EXOSPHERE_CLIENT_STATE_MANAGER_H_
#define EXOSPHERE_CLIENT_STATE_MANAGER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "exosphere/client/graph_types.h"
#include "exosphere/client/run_types.h"
#include "exosphere/client/string_map.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace exosphere::client {

struct StateManagerOptions {
  // As RuntimeOptions::sidecar_address (empty: EXOSPHERE_SIDECAR_ADDRESS, else
  // "unix:/tmp/exosphere-sidecar.sock").
  std::string sidecar_address = {};
  // As RuntimeOptions::worker_token (empty: EXOSPHERE_WORKER_TOKEN, else none).
  std::string worker_token = {};
  // Used in place of a channel to `sidecar_address` (TLS, or an in-process channel in tests).
  std::shared_ptr<grpc::Channel> channel = {};
  // Deadline of one call, on top of the wait that UpsertGraph and WaitForRun ask for.
  absl::Duration rpc_timeout = absl::Seconds(30);
};

// Creates graphs, starts runs and watches them, like the SDKs' StateManager, through the
// sidecar's Graphs service (the sidecar holds the state manager's address and API key).
// Thread-safe; every call blocks until the sidecar answers or the deadline passes.
//
// Errors carry the sidecar's status code and message, prefixed with the operation and the graph
// or run: INVALID_ARGUMENT (a bad request or graph structure), NOT_FOUND (no such graph or run),
// FAILED_PRECONDITION (e.g. triggering a graph that is not VALID), UNAVAILABLE (the sidecar or
// the state manager is unreachable), DEADLINE_EXCEEDED, UNAUTHENTICATED.
class StateManager {
 public:
  // `namespace_name` empty: the sidecar's default namespace.
  explicit StateManager(std::string namespace_name, StateManagerOptions options = {});
  ~StateManager();
  StateManager(const StateManager&) = delete;
  StateManager& operator=(const StateManager&) = delete;

  // Creates or replaces the graph template and waits up to `validation_timeout` for the state
  // manager to verify it. Returns the stored graph when VALID. Errors:
  // FAILED_PRECONDITION "Graph validation failed: INVALID and errors: [...]" when verification
  // found problems (an unregistered node, a missing secret...; the graph is stored anyway);
  // DEADLINE_EXCEEDED "Graph validation check timed out after N seconds";
  // INVALID_ARGUMENT for a structural problem the state manager refused outright.
  absl::StatusOr<Graph> UpsertGraph(const std::string& graph_name,
                                    const std::vector<GraphNode>& nodes,
                                    const StringMap& secrets = {},
                                    const std::optional<RetryPolicy>& retry_policy = std::nullopt,
                                    const std::optional<StoreConfig>& store_config = std::nullopt,
                                    const std::vector<CronTrigger>& triggers = {},
                                    absl::Duration validation_timeout = absl::Seconds(60));

  // Reads a graph template with its stored retry policy, store config and triggers.
  absl::StatusOr<Graph> GetGraph(const std::string& graph_name);

  // Starts a run of a VALID graph and returns its run id. `inputs` replace the root node's
  // template inputs of the same name; `store` must hold the graph's required keys; the first
  // state becomes claimable after `start_delay`.
  absl::StatusOr<std::string> Trigger(const std::string& graph_name, const StringMap& inputs = {},
                                      const StringMap& store = {},
                                      absl::Duration start_delay = absl::ZeroDuration());

  // One page (1-based) of the namespace's runs, newest first.
  absl::StatusOr<RunList> ListRuns(int page = 1, int page_size = 20);

  // The states of a run as they are now; with `include_details`, also their inputs, outputs and
  // parents (one more state-manager call per state).
  absl::StatusOr<RunStates> GetRunStates(const std::string& run_id, bool include_details = false);

  // Waits until no state of the run is CREATED, QUEUED or EXECUTED, then returns its states with
  // details. DEADLINE_EXCEEDED when the run is still going after `timeout`.
  absl::StatusOr<RunStates> WaitForRun(const std::string& run_id,
                                       absl::Duration timeout = absl::Seconds(60));

  const std::string& namespace_name() const { return namespace_; }

 private:
  const std::string namespace_;
  const std::string worker_token_;
  const absl::Duration rpc_timeout_;
  const std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_STATE_MANAGER_H_
