#include "client/cpp/internal/graph_conversion.h"

#include <cmath>

namespace exosphere::client::internal {
namespace {

uint64_t ToMillis(absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) return 0;
  return static_cast<uint64_t>(std::ceil(absl::ToDoubleMilliseconds(duration)));
}

v1::RetryStrategy ToProto(RetryStrategy strategy) {
  switch (strategy) {
    case RetryStrategy::kExponential:
      return v1::RETRY_STRATEGY_EXPONENTIAL;
    case RetryStrategy::kExponentialFullJitter:
      return v1::RETRY_STRATEGY_EXPONENTIAL_FULL_JITTER;
    case RetryStrategy::kExponentialEqualJitter:
      return v1::RETRY_STRATEGY_EXPONENTIAL_EQUAL_JITTER;
    case RetryStrategy::kLinear:
      return v1::RETRY_STRATEGY_LINEAR;
    case RetryStrategy::kLinearFullJitter:
      return v1::RETRY_STRATEGY_LINEAR_FULL_JITTER;
    case RetryStrategy::kLinearEqualJitter:
      return v1::RETRY_STRATEGY_LINEAR_EQUAL_JITTER;
    case RetryStrategy::kFixed:
      return v1::RETRY_STRATEGY_FIXED;
    case RetryStrategy::kFixedFullJitter:
      return v1::RETRY_STRATEGY_FIXED_FULL_JITTER;
    case RetryStrategy::kFixedEqualJitter:
      return v1::RETRY_STRATEGY_FIXED_EQUAL_JITTER;
  }
  return v1::RETRY_STRATEGY_UNSPECIFIED;
}

RetryStrategy FromProto(v1::RetryStrategy strategy) {
  switch (strategy) {
    case v1::RETRY_STRATEGY_EXPONENTIAL_FULL_JITTER:
      return RetryStrategy::kExponentialFullJitter;
    case v1::RETRY_STRATEGY_EXPONENTIAL_EQUAL_JITTER:
      return RetryStrategy::kExponentialEqualJitter;
    case v1::RETRY_STRATEGY_LINEAR:
      return RetryStrategy::kLinear;
    case v1::RETRY_STRATEGY_LINEAR_FULL_JITTER:
      return RetryStrategy::kLinearFullJitter;
    case v1::RETRY_STRATEGY_LINEAR_EQUAL_JITTER:
      return RetryStrategy::kLinearEqualJitter;
    case v1::RETRY_STRATEGY_FIXED:
      return RetryStrategy::kFixed;
    case v1::RETRY_STRATEGY_FIXED_FULL_JITTER:
      return RetryStrategy::kFixedFullJitter;
    case v1::RETRY_STRATEGY_FIXED_EQUAL_JITTER:
      return RetryStrategy::kFixedEqualJitter;
    default:
      // UNSPECIFIED is the state manager's default, EXPONENTIAL.
      return RetryStrategy::kExponential;
  }
}

ValidationStatus FromProto(v1::ValidationStatus status) {
  switch (status) {
    case v1::VALIDATION_STATUS_PENDING:
      return ValidationStatus::kPending;
    case v1::VALIDATION_STATUS_VALID:
      return ValidationStatus::kValid;
    case v1::VALIDATION_STATUS_INVALID:
      return ValidationStatus::kInvalid;
    default:
      return ValidationStatus::kUnspecified;
  }
}

StateStatus FromProto(v1::StateStatus status) {
  switch (status) {
    case v1::STATE_STATUS_CREATED:
      return StateStatus::kCreated;
    case v1::STATE_STATUS_QUEUED:
      return StateStatus::kQueued;
    case v1::STATE_STATUS_EXECUTED:
      return StateStatus::kExecuted;
    case v1::STATE_STATUS_ERRORED:
      return StateStatus::kErrored;
    case v1::STATE_STATUS_NEXT_CREATED_ERROR:
      return StateStatus::kNextCreatedError;
    case v1::STATE_STATUS_SUCCESS:
      return StateStatus::kSuccess;
    case v1::STATE_STATUS_PRUNED:
      return StateStatus::kPruned;
    case v1::STATE_STATUS_RETRY_CREATED:
      return StateStatus::kRetryCreated;
    default:
      return StateStatus::kUnspecified;
  }
}

RunStatus FromProto(v1::RunStatus status) {
  switch (status) {
    case v1::RUN_STATUS_PENDING:
      return RunStatus::kPending;
    case v1::RUN_STATUS_SUCCESS:
      return RunStatus::kSuccess;
    case v1::RUN_STATUS_FAILED:
      return RunStatus::kFailed;
    default:
      return RunStatus::kUnspecified;
  }
}

StringMap ToStringMap(const google::protobuf::Map<std::string, std::string>& map) {
  return StringMap(map.begin(), map.end());
}

}  // namespace

v1::GraphNode ToProto(const GraphNode& node) {
  v1::GraphNode proto;
  proto.set_node_name(node.node_name);
  proto.set_namespace_(node.namespace_name);
  proto.set_identifier(node.identifier);
  proto.mutable_inputs()->insert(node.inputs.begin(), node.inputs.end());
  for (const std::string& next : node.next_nodes) proto.add_next_nodes(next);
  if (node.unites.has_value()) {
    proto.mutable_unites()->set_identifier(node.unites->identifier);
    proto.mutable_unites()->set_strategy(node.unites->strategy == UnitesStrategy::kAllDone
                                             ? v1::UNITES_STRATEGY_ALL_DONE
                                             : v1::UNITES_STRATEGY_ALL_SUCCESS);
  }
  return proto;
}

v1::RetryPolicy ToProto(const RetryPolicy& policy) {
  v1::RetryPolicy proto;
  if (policy.max_retries.has_value()) {
    proto.set_max_retries(static_cast<uint32_t>(*policy.max_retries));
  }
  proto.set_strategy(ToProto(policy.strategy));
  if (policy.backoff_factor.has_value()) {
    proto.set_backoff_factor_ms(ToMillis(*policy.backoff_factor));
  }
  if (policy.exponent.has_value()) proto.set_exponent(static_cast<uint32_t>(*policy.exponent));
  if (policy.max_delay.has_value()) proto.set_max_delay_ms(ToMillis(*policy.max_delay));
  return proto;
}

v1::StoreConfig ToProto(const StoreConfig& config) {
  v1::StoreConfig proto;
  for (const std::string& key : config.required_keys) proto.add_required_keys(key);
  proto.mutable_default_values()->insert(config.default_values.begin(),
                                         config.default_values.end());
  return proto;
}

GraphNode FromProto(const v1::GraphNode& proto) {
  GraphNode node;
  node.node_name = proto.node_name();
  node.namespace_name = proto.namespace_();
  node.identifier = proto.identifier();
  node.inputs = ToStringMap(proto.inputs());
  node.next_nodes.assign(proto.next_nodes().begin(), proto.next_nodes().end());
  if (proto.has_unites()) {
    node.unites = Unites{proto.unites().identifier(),
                         proto.unites().strategy() == v1::UNITES_STRATEGY_ALL_DONE
                             ? UnitesStrategy::kAllDone
                             : UnitesStrategy::kAllSuccess};
  }
  return node;
}

RetryPolicy FromProto(const v1::RetryPolicy& proto) {
  RetryPolicy policy;
  if (proto.has_max_retries()) policy.max_retries = static_cast<int>(proto.max_retries());
  policy.strategy = FromProto(proto.strategy());
  if (proto.has_backoff_factor_ms()) {
    policy.backoff_factor = absl::Milliseconds(proto.backoff_factor_ms());
  }
  if (proto.has_exponent()) policy.exponent = static_cast<int>(proto.exponent());
  if (proto.has_max_delay_ms()) policy.max_delay = absl::Milliseconds(proto.max_delay_ms());
  return policy;
}

StoreConfig FromProto(const v1::StoreConfig& proto) {
  StoreConfig config;
  config.required_keys.assign(proto.required_keys().begin(), proto.required_keys().end());
  config.default_values = ToStringMap(proto.default_values());
  return config;
}

Graph FromProto(const v1::Graph& proto) {
  Graph graph;
  graph.namespace_name = proto.namespace_();
  graph.graph_name = proto.graph_name();
  for (const v1::GraphNode& node : proto.nodes()) graph.nodes.push_back(FromProto(node));
  graph.secret_names.assign(proto.secret_names().begin(), proto.secret_names().end());
  graph.retry_policy = FromProto(proto.retry_policy());
  graph.store_config = FromProto(proto.store_config());
  for (const v1::CronTrigger& trigger : proto.triggers()) {
    graph.triggers.push_back(CronTrigger{trigger.expression()});
  }
  graph.validation_status = FromProto(proto.validation_status());
  graph.validation_errors.assign(proto.validation_errors().begin(),
                                 proto.validation_errors().end());
  graph.created_at = proto.created_at();
  graph.updated_at = proto.updated_at();
  return graph;
}

Run FromProto(const v1::Run& proto) {
  Run run;
  run.run_id = proto.run_id();
  run.graph_name = proto.graph_name();
  run.status = FromProto(proto.status());
  run.success_count = proto.success_count();
  run.pending_count = proto.pending_count();
  run.errored_count = proto.errored_count();
  run.retried_count = proto.retried_count();
  run.total_count = proto.total_count();
  run.created_at = proto.created_at();
  return run;
}

RunList FromProto(const v1::ListRunsResponse& proto) {
  RunList list;
  list.total = proto.total();
  for (const v1::Run& run : proto.runs()) list.runs.push_back(FromProto(run));
  return list;
}

RunState FromProto(const v1::RunState& proto) {
  RunState state;
  state.state_id = proto.state_id();
  state.node_name = proto.node_name();
  state.identifier = proto.identifier();
  state.status = FromProto(proto.status());
  state.error = proto.error();
  state.inputs = ToStringMap(proto.inputs());
  state.outputs = ToStringMap(proto.outputs());
  for (const v1::Parent& parent : proto.parents()) {
    state.parents.push_back(StateParent{parent.identifier(), parent.state_id()});
  }
  state.created_at = proto.created_at();
  state.updated_at = proto.updated_at();
  return state;
}

RunStates FromProto(const v1::RunStates& proto) {
  RunStates states;
  states.run_id = proto.run_id();
  states.graph_name = proto.graph_name();
  states.status = FromProto(proto.status());
  for (const v1::RunState& state : proto.states()) states.states.push_back(FromProto(state));
  return states;
}

}  // namespace exosphere::client::internal
