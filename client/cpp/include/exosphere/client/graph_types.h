#ifndef EXOSPHERE_CLIENT_GRAPH_TYPES_H_
#define EXOSPHERE_CLIENT_GRAPH_TYPES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "exosphere/client/string_map.h"

// The graph template as StateManager takes and returns it: plain structs, converted to the
// sidecar's Graphs protocol inside the library. Semantics are the state manager's (see its
// contract): exactly one root, unite nodes still listed in some next_nodes, a unite node's
// inputs may reference only the united node, its ancestors and the store.
namespace exosphere::client {

enum class UnitesStrategy {
  // The unite node runs once every descendant of the united node succeeded (the default).
  kAllSuccess,
  // The unite node runs once no descendant of the united node is still pending.
  kAllDone,
};

// Makes a node wait for every descendant of the node `identifier` (a fan-in).
struct Unites {
  std::string identifier = {};
  UnitesStrategy strategy = UnitesStrategy::kAllSuccess;
};

// One node of a graph template.
struct GraphNode {
  // The registered node to run (NodeSpec::name).
  std::string node_name = {};
  // Unique within the graph; "store" is reserved.
  std::string identifier = {};
  // Constants or templates such as "${{ fetch.outputs.url }}" or "${{ store.cursor }}"; every
  // input field of the registered node needs an entry.
  StringMap inputs = {};
  // Identifiers of the nodes that run after this one.
  std::vector<std::string> next_nodes = {};
  std::optional<Unites> unites = {};
  // Namespace of the registered node. Empty: the graph's (the only setting that works).
  std::string namespace_name = {};
};

enum class RetryStrategy {
  kExponential,  // the state manager's default
  kExponentialFullJitter,
  kExponentialEqualJitter,
  kLinear,
  kLinearFullJitter,
  kLinearEqualJitter,
  kFixed,
  kFixedFullJitter,
  kFixedEqualJitter,
};

// How errored states are retried; a field left unset takes the state manager's default.
struct RetryPolicy {
  // Retries after the first attempt (default 3).
  std::optional<int> max_retries = {};
  RetryStrategy strategy = RetryStrategy::kExponential;
  // Base delay (default 2 s; at least 1 ms).
  std::optional<absl::Duration> backoff_factor = {};
  // Growth factor of the exponential strategies (default 2).
  std::optional<int> exponent = {};
  // Upper bound of any delay (default none).
  std::optional<absl::Duration> max_delay = {};
};

struct StoreConfig {
  // Keys every trigger must supply in its store.
  std::vector<std::string> required_keys = {};
  // Values used when a run's store lacks a key.
  StringMap default_values = {};
};

// A five-field cron expression such as "*/5 * * * *", in the state manager's time zone.
struct CronTrigger {
  std::string expression = {};
};

enum class ValidationStatus { kUnspecified, kPending, kValid, kInvalid };

// A stored graph template.
struct Graph {
  std::string namespace_name = {};
  std::string graph_name = {};
  std::vector<GraphNode> nodes = {};
  // Names only; the values never leave the state manager through this API.
  std::vector<std::string> secret_names = {};
  RetryPolicy retry_policy = {};
  StoreConfig store_config = {};
  std::vector<CronTrigger> triggers = {};
  ValidationStatus validation_status = ValidationStatus::kUnspecified;
  std::vector<std::string> validation_errors = {};
  // Naive ISO-8601 timestamps of the state manager.
  std::string created_at = {};
  std::string updated_at = {};
};

// "PENDING", "VALID", ... as the state manager spells them.
const char* ToString(ValidationStatus status);
// "EXPONENTIAL", "LINEAR_FULL_JITTER", ...
const char* ToString(RetryStrategy strategy);
// "ALL_SUCCESS" or "ALL_DONE".
const char* ToString(UnitesStrategy strategy);

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_GRAPH_TYPES_H_
