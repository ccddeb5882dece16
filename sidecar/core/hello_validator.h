#ifndef EXOSPHERE_SIDECAR_CORE_HELLO_VALIDATOR_H_
#define EXOSPHERE_SIDECAR_CORE_HELLO_VALIDATOR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/core/node_spec.h"

namespace exosphere::sidecar {

// What a Hello may declare: what the state manager accepts when the nodes are registered (a node
// schema is stored as a MongoDB document, which nests at most 100 levels) and what keeps one
// worker from exhausting the sidecar. node_host.proto states the same numbers.
struct HelloLimits {
  std::string default_namespace;
  uint32_t max_slots = 10000;  // also the bound of SetSlots
  size_t max_nodes = 1000;
  size_t max_fields = 1000;  // per list (input, output, secret fields) of a node
  size_t max_schema_bytes = 64 * 1024;
  int max_schema_depth = 32;
  // Deadline applied to nodes that declare none; zero for none.
  absl::Duration default_deadline = absl::ZeroDuration();
  absl::Duration max_deadline = absl::Hours(24 * 7);
};

// Checks a Hello against the rules of node_host.proto and builds the worker's spec, deriving the
// JSON Schemas of nodes that bring none. Errors are kInvalidArgument with a message that names
// the offending field, e.g. `nodes[1] "summarize": output_fields[0] "a.b" is not a valid field
// name (...)`. Pure function; thread-safe.
absl::StatusOr<WorkerSpec> ValidateHello(const v1::Hello& hello, const HelloLimits& limits);

// Names of namespaces, runtimes and nodes: 1 to 128 of [A-Za-z0-9_.-].
bool IsValidName(absl::string_view name);
// Field names: 1 to 128 of [A-Za-z0-9_-].
bool IsValidFieldName(absl::string_view name);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_HELLO_VALIDATOR_H_
