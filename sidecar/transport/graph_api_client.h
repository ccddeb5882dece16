#ifndef EXOSPHERE_SIDECAR_TRANSPORT_GRAPH_API_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_GRAPH_API_CLIENT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/transport/json_util.h"

namespace exosphere::sidecar {

// The state manager's graph API (contract section 5): templates, runs, run details, nodes and
// manual retries, passed through as JSON documents of the contract's shapes. Used by the Graphs
// service and exospherectl, never on the task hot path. Implementations are thread-safe and
// block the caller; never call them from a gRPC reactor. HTTP outcomes map to codes as for
// StatesClient (sidecar/transport/states_client.h).
class GraphApiClient {
 public:
  virtual ~GraphApiClient() = default;

  // PUT /graph/{name}: returns the stored template (validation usually still PENDING).
  virtual absl::StatusOr<json::Json> UpsertGraph(absl::string_view ns, absl::string_view graph_name,
                                                 const json::Json& body) = 0;
  // GET /graph/{name}.
  virtual absl::StatusOr<json::Json> GetGraph(absl::string_view ns,
                                              absl::string_view graph_name) = 0;
  // GET /graphs/.
  virtual absl::StatusOr<json::Json> ListGraphs(absl::string_view ns) = 0;
  // POST /graph/{name}/trigger: returns the new run id.
  virtual absl::StatusOr<std::string> TriggerRun(absl::string_view ns, absl::string_view graph_name,
                                                 const json::Json& body) = 0;
  // GET /runs/{page}/{size}.
  virtual absl::StatusOr<json::Json> ListRuns(absl::string_view ns, int page, int size) = 0;
  // GET /states/run/{run_id}/graph.
  virtual absl::StatusOr<json::Json> GetRunGraph(absl::string_view ns,
                                                 absl::string_view run_id) = 0;
  // GET /graph/{name}/run/{run_id}/node/{state_id}.
  virtual absl::StatusOr<json::Json> GetNodeRunDetails(absl::string_view ns,
                                                       absl::string_view graph_name,
                                                       absl::string_view run_id,
                                                       absl::string_view state_id) = 0;
  // GET /nodes/: the registered nodes of the namespace, as the contract's JSON document.
  virtual absl::StatusOr<json::Json> ListNodes(absl::string_view ns) = 0;
  // POST /state/{id}/manual-retry with `fanout_id` (a fresh UUID per retry): returns the id of
  // the new CREATED state. kNotFound for an unknown state, kAlreadyExists for a reused fanout_id.
  virtual absl::StatusOr<std::string> ManualRetry(absl::string_view ns, absl::string_view state_id,
                                                  absl::string_view fanout_id) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_GRAPH_API_CLIENT_H_
