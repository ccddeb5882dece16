#ifndef EXOSPHERE_SIDECAR_SERVICES_GRAPH_JSON_H_
#define EXOSPHERE_SIDECAR_SERVICES_GRAPH_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "exosphere/sidecar/v1/graphs.pb.h"
#include "sidecar/transport/json_util.h"

// Conversions between the Graphs API messages and the state manager's JSON documents
// (contract sections 2.2 to 2.4 and 5). Pure functions; thread-safe. Parsing errors are
// kInternal: they mean the state manager answered something unexpected.
namespace exosphere::sidecar {

// The PUT /graph/{name} body. Nodes without a namespace get `ns`.
json::Json UpsertGraphBody(const v1::UpsertGraphRequest& request, absl::string_view ns);
// The POST /graph/{name}/trigger body.
json::Json TriggerBody(const v1::TriggerRunRequest& request);

// A graph template document (GET /graph/{name} or an item of GET /graphs/). Retry policy, store
// config and triggers are read only when `with_policies` (GET /graph returns defaults for them).
absl::StatusOr<v1::Graph> GraphFromJson(const json::Json& document, absl::string_view ns,
                                        absl::string_view graph_name, bool with_policies);
// Copies retry_policy, store_config and triggers of a GET /graphs/ item into `graph`.
absl::Status MergeStoredPolicies(const json::Json& template_document, v1::Graph& graph);

absl::StatusOr<v1::ListRunsResponse> RunsFromJson(const json::Json& document);

// GET /states/run/{run_id}/graph into states without details, sorted by creation.
absl::StatusOr<v1::RunStates> RunStatesFromJson(const json::Json& document,
                                                absl::string_view run_id);
// Fills inputs, outputs, parents and timestamps from GET .../node/{id}.
absl::Status MergeStateDetails(const json::Json& document, v1::RunState& state);

v1::ValidationStatus ParseValidationStatus(absl::string_view text);
v1::StateStatus ParseStateStatus(absl::string_view text);
// The runs list's rule: PENDING while anything is CREATED, QUEUED or EXECUTED; otherwise FAILED if
// anything ERRORED or NEXT_CREATED_ERROR (or there are no states); otherwise SUCCESS.
v1::RunStatus RunStatusOf(const v1::RunStates& states);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_GRAPH_JSON_H_
