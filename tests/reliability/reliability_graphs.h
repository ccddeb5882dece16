#ifndef EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_GRAPHS_H_
#define EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_GRAPHS_H_

#include <string>

#include "sidecar/transport/json_util.h"

// Graph templates (request bodies of PUT /graph/{name}) over the reliability worker's nodes
// (node_names.h). A trigger's inputs replace the root's template inputs of the same name, so one
// graph serves many behaviours: trigger a poison graph with {"poison": "abort"}.
namespace exosphere::reliability {

// The template inputs of a node: every input it declares, with harmless values ("value": "v",
// "sleep_ms": "0", "poison": "", "count": "1").
json::StringMap DefaultInputs(const std::string& node);

// One node (identifier "n") of the namespace `ns`, with DefaultInputs overlaid by `inputs`.
json::Json SingleNodeGraph(const std::string& ns, const std::string& node,
                           const json::StringMap& inputs = {});

// rel-fanout (identifier "fan", trigger it with {"count": "K"}, K >= 1) followed by `child`
// (identifier "child", DefaultInputs overlaid by `child_inputs`, its "value" taken from each
// fan-out output): a run of 2K states (the root and its K - 1 fan-out siblings, which the state
// manager creates EXECUTED, and K children), of which K + 1 are executed by workers.
json::Json FanOutGraph(const std::string& ns, const std::string& child,
                       const json::StringMap& child_inputs = {});

// A retry policy that retries at once (FIXED, 1 ms), `max_retries` times; set it as the graph's
// "retry_policy" so that errored states do not wait the default seconds.
json::Json FastRetryPolicy(int max_retries);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_GRAPHS_H_
