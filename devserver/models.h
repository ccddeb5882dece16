#ifndef EXOSPHERE_DEVSERVER_MODELS_H_
#define EXOSPHERE_DEVSERVER_MODELS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "devserver/json.h"

// The state manager's documents (contract section 3) as plain values. Field names follow the
// contract; string maps whose order is visible in responses are kept as ordered JSON objects.
namespace exosphere::devserver {

enum class StateStatus {
  kCreated,
  kQueued,
  kExecuted,
  kErrored,
  kNextCreatedError,
  kSuccess,
  kPruned,
  kRetryCreated,
};
inline constexpr StateStatus kAllStateStatuses[] = {
    StateStatus::kCreated, StateStatus::kQueued,           StateStatus::kExecuted,
    StateStatus::kErrored, StateStatus::kNextCreatedError, StateStatus::kSuccess,
    StateStatus::kPruned,  StateStatus::kRetryCreated,
};
absl::string_view StateStatusName(StateStatus status);
std::optional<StateStatus> ParseStateStatus(absl::string_view name);

enum class ValidationStatus { kPending, kValid, kInvalid };
absl::string_view ValidationStatusName(ValidationStatus status);
std::optional<ValidationStatus> ParseValidationStatus(absl::string_view name);

enum class UnitesStrategy { kAllSuccess, kAllDone };
absl::string_view UnitesStrategyName(UnitesStrategy strategy);
std::optional<UnitesStrategy> ParseUnitesStrategy(absl::string_view name);

enum class RetryStrategy {
  kExponential,
  kExponentialFullJitter,
  kExponentialEqualJitter,
  kLinear,
  kLinearFullJitter,
  kLinearEqualJitter,
  kFixed,
  kFixedFullJitter,
  kFixedEqualJitter,
};
absl::string_view RetryStrategyName(RetryStrategy strategy);
std::optional<RetryStrategy> ParseRetryStrategy(absl::string_view name);
// The names in declaration order (Pydantic lists them in this order in enum errors).
std::vector<absl::string_view> RetryStrategyNames();

enum class CronRecordStatus { kPending, kTriggering, kTriggered, kFailed, kCancelled };
absl::string_view CronRecordStatusName(CronRecordStatus status);
std::optional<CronRecordStatus> ParseCronRecordStatus(absl::string_view name);

// A node a runtime registered (3.3). Unique on (namespace, name).
struct RegisteredNode {
  std::string id;  // ObjectId, rendered as `_id`
  std::string name;
  std::string namespace_name;
  std::string runtime_name;
  std::string runtime_namespace;
  Json inputs_schema = Json::object();
  Json outputs_schema = Json::object();
  std::vector<std::string> secrets;
  absl::Time created_at;
  absl::Time updated_at;
};

struct Unites {
  std::string identifier;
  UnitesStrategy strategy = UnitesStrategy::kAllSuccess;
};

// One node of a graph template (3.4), already trimmed and field-validated.
struct NodeTemplate {
  std::string node_name;
  std::string namespace_name;
  std::string identifier;
  Json inputs = Json::object();  // values are strings once the graph passed validation
  std::optional<std::vector<std::string>> next_nodes;
  std::optional<Unites> unites;
};

struct RetryPolicy {
  int64_t max_retries = 3;
  RetryStrategy strategy = RetryStrategy::kExponential;
  int64_t backoff_factor = 2000;  // ms
  int64_t exponent = 2;
  std::optional<int64_t> max_delay;  // ms
};

struct StoreConfig {
  std::vector<std::string> required_keys;
  Json default_values = Json::object();  // string -> string
};

struct CronTrigger {
  std::string expression;
};

struct GraphTemplate {
  std::string id;
  std::string name;
  std::string namespace_name;
  std::vector<NodeTemplate> nodes;
  ValidationStatus validation_status = ValidationStatus::kPending;
  std::vector<std::string> validation_errors;
  // Secret name -> the value encrypted by SecretCipher (as the server stores it);
  // insertion-ordered.
  std::vector<std::pair<std::string, std::string>> secrets;
  RetryPolicy retry_policy;
  StoreConfig store_config;
  std::vector<CronTrigger> triggers;
  absl::Time created_at;
  absl::Time updated_at;
  // Bumped by every upsert so that a verification started for an older version is discarded.
  int64_t generation = 0;

  const NodeTemplate* FindNode(absl::string_view identifier) const;
};

// One execution of one node (3.1).
struct State {
  std::string id;
  std::string node_name;
  std::string namespace_name;
  std::string identifier;
  std::string graph_name;
  std::string run_id;
  StateStatus status = StateStatus::kCreated;
  Json inputs = Json::object();
  Json outputs = Json::object();
  Json data = Json::object();
  std::optional<std::string> error;
  // identifier -> state id of every ancestor, in insertion order; the last is the direct parent.
  std::vector<std::pair<std::string, std::string>> parents;
  bool does_unites = false;
  int64_t enqueue_after = 0;  // Unix epoch ms
  int64_t retry_count = 0;
  std::string fanout_id;
  std::string manual_retry_fanout_id;
  absl::Time created_at;
  absl::Time updated_at;

  // The id recorded for `identifier` in `parents`, if any.
  const std::string* FindParent(absl::string_view parent_identifier) const;
};

struct Run {
  std::string run_id;
  std::string graph_name;
  std::string namespace_name;
  absl::Time created_at;
};

// A scheduled firing of a cron trigger (3.7).
struct CronRecord {
  std::string id;
  std::string expression;
  std::string graph_name;
  std::string namespace_name;
  absl::Time trigger_time;
  CronRecordStatus status = CronRecordStatus::kPending;
  std::optional<absl::Time> expires_at;
};

// Milliseconds since the Unix epoch, the unit of `enqueue_after`.
int64_t ToEpochMillis(absl::Time time);
// a + b clamped to the int64 range (delays are saturated rather than wrapped).
int64_t SaturatingAdd(int64_t a, int64_t b);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_MODELS_H_
