// Fuzzes the sidecar's reading of the state manager's graph documents
// (sidecar/services/graph_json.h): GET /graph/{name} and GET /graphs/ templates (contract 2.3, 5),
// GET /runs/{page}/{size}, GET /states/run/{id}/graph and GET .../node/{id}. The input is the reply
// body; it is read as every one of those documents, as the Graphs service would.
//
// Invariants: no crash, exception or undefined behaviour (numbers of any size or sign); errors
// carry a message; what is returned serializes to a protobuf message that parses back, so the
// Graphs service can always send it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "sidecar/services/graph_json.h"
#include "sidecar/transport/json_util.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using exosphere::json::Json;
namespace v1 = exosphere::sidecar::v1;

template <typename Message>
void CheckRoundTrip(const Message& message) {
  std::string wire;
  FUZZ_CHECK(message.SerializeToString(&wire), message.DebugString());
  Message parsed;
  FUZZ_CHECK(parsed.ParseFromString(wire), message.DebugString());
}

void ReadGraph(const Json& document, bool with_policies) {
  absl::StatusOr<v1::Graph> graph =
      exosphere::sidecar::GraphFromJson(document, "fuzz-ns", "fuzz-graph", with_policies);
  if (!graph.ok()) {
    exosphere::fuzz::CheckError(graph.status());
    return;
  }
  FUZZ_CHECK(graph->graph_name() == "fuzz-graph" && graph->namespace_() == "fuzz-ns",
             graph->DebugString());
  if (!with_policies) {
    absl::Status merged = exosphere::sidecar::MergeStoredPolicies(document, *graph);
    if (!merged.ok()) exosphere::fuzz::CheckError(merged);
  }
  CheckRoundTrip(*graph);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exosphere::fuzz::SilenceLogs();
  const Json document = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;  // RestGraphApiClient rejects it before this point

  ReadGraph(document, /*with_policies=*/false);
  ReadGraph(document, /*with_policies=*/true);
  if (document.is_object() && document.contains("templates") && document["templates"].is_array()) {
    for (const Json& item : document["templates"]) ReadGraph(item, /*with_policies=*/true);
  }

  absl::StatusOr<v1::ListRunsResponse> runs = exosphere::sidecar::RunsFromJson(document);
  if (runs.ok()) {
    CheckRoundTrip(*runs);
  } else {
    exosphere::fuzz::CheckError(runs.status());
  }

  absl::StatusOr<v1::RunStates> states = exosphere::sidecar::RunStatesFromJson(document, "run-1");
  if (!states.ok()) {
    exosphere::fuzz::CheckError(states.status());
    return 0;
  }
  FUZZ_CHECK(states->run_id() == "run-1", states->DebugString());
  for (int i = 1; i < states->states_size(); ++i) {
    FUZZ_CHECK(states->states(i - 1).state_id() <= states->states(i).state_id(), "not sorted");
  }
  FUZZ_CHECK(states->status() == exosphere::sidecar::RunStatusOf(*states), states->DebugString());
  // The same document stands in for a node's details (an object with inputs, outputs, parents).
  for (v1::RunState& state : *states->mutable_states()) {
    absl::Status merged = exosphere::sidecar::MergeStateDetails(document, state);
    if (!merged.ok()) exosphere::fuzz::CheckError(merged);
  }
  v1::RunState lone;
  absl::Status merged = exosphere::sidecar::MergeStateDetails(document, lone);
  if (!merged.ok()) exosphere::fuzz::CheckError(merged);
  CheckRoundTrip(lone);
  CheckRoundTrip(*states);
  return 0;
}
