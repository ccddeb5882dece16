#ifndef EXOSPHERE_DEVSERVER_GRAPH_VALIDATOR_H_
#define EXOSPHERE_DEVSERVER_GRAPH_VALIDATOR_H_

#include "absl/status/status.h"

#include "devserver/models.h"

namespace exosphere::devserver {

// The synchronous whole-graph checks of an upsert (contract 4.1), run on a template whose fields
// were already validated (422 stage). Returns OK or kInvalidArgument whose message is the full
// 400 detail: "Error validating graph template: 1 validation error for GraphTemplate\n...". Field
// checks (unique identifiers, existing next_nodes, non-empty secret names) are reported together;
// otherwise the model checks run in order (unites, root and connectivity, acyclicity, inputs) and
// the first failing one is reported. Pydantic's `input_value` is rendered from a Python-like repr
// of the template and shortened the way Pydantic shortens it. Pure; thread-safe.
absl::Status ValidateGraphTemplate(const GraphTemplate& graph);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_GRAPH_VALIDATOR_H_
