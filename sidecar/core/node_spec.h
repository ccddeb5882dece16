#ifndef EXOSPHERE_SIDECAR_CORE_NODE_SPEC_H_
#define EXOSPHERE_SIDECAR_CORE_NODE_SPEC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "sidecar/transport/json_util.h"

namespace exosphere::sidecar {

// A validated node definition from a worker's Hello. Immutable once built; shared by the worker
// that declared it and by the tasks dispatched to that worker.
struct NodeSpec {
  std::string name;
  std::vector<std::string> input_fields;
  std::vector<std::string> output_fields;
  std::vector<std::string> secret_fields;
  // The JSON Schemas registered with the state manager (given by the worker or derived).
  json::Json inputs_schema;
  json::Json outputs_schema;
  // Execution deadline of this worker's implementation; zero for none.
  absl::Duration deadline = absl::ZeroDuration();

  // Whether two workers serve the same node: equal fields, secrets and schemas. The deadline is
  // a property of each worker's implementation and is not compared.
  bool SameDefinition(const NodeSpec& other) const;
};

// A validated Hello.
struct WorkerSpec {
  std::string ns;
  std::string runtime_name;
  std::string label;
  uint32_t slots = 1;
  std::vector<std::shared_ptr<const NodeSpec>> nodes;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_NODE_SPEC_H_
