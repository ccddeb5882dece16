#include "sidecar/services/graph_json.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/status_macros.h"

namespace exosphere::sidecar {
namespace {

struct StrategyName {
  v1::RetryStrategy strategy;
  const char* name;
};

constexpr StrategyName kStrategies[] = {
    {v1::RETRY_STRATEGY_EXPONENTIAL, "EXPONENTIAL"},
    {v1::RETRY_STRATEGY_EXPONENTIAL_FULL_JITTER, "EXPONENTIAL_FULL_JITTER"},
    {v1::RETRY_STRATEGY_EXPONENTIAL_EQUAL_JITTER, "EXPONENTIAL_EQUAL_JITTER"},
    {v1::RETRY_STRATEGY_LINEAR, "LINEAR"},
    {v1::RETRY_STRATEGY_LINEAR_FULL_JITTER, "LINEAR_FULL_JITTER"},
    {v1::RETRY_STRATEGY_LINEAR_EQUAL_JITTER, "LINEAR_EQUAL_JITTER"},
    {v1::RETRY_STRATEGY_FIXED, "FIXED"},
    {v1::RETRY_STRATEGY_FIXED_FULL_JITTER, "FIXED_FULL_JITTER"},
    {v1::RETRY_STRATEGY_FIXED_EQUAL_JITTER, "FIXED_EQUAL_JITTER"},
};

absl::Status Unexpected(absl::string_view what, const absl::Status& cause) {
  return absl::InternalError(
      absl::StrCat("unexpected ", what, " from the state manager: ", cause.message()));
}

// A JSON value rendered as the string a v1 client sees: strings as they are, others as JSON.
std::string AsText(const json::Json& value) {
  return value.is_string() ? value.get<std::string>() : json::Dump(value);
}

void CopyStringMap(const json::Json& object, google::protobuf::Map<std::string, std::string>& out) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end(); ++it) out[it.key()] = AsText(it.value());
}

std::string StringOr(const json::Json& object, const char* key, std::string fallback = "") {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::move(fallback);
}

absl::StatusOr<v1::GraphNode> NodeFromJson(const json::Json& node) {
  const std::string what = "graph node";
  v1::GraphNode out;
  EXO_ASSIGN_OR_RETURN(*out.mutable_node_name(), json::GetString(node, "node_name", what));
  EXO_ASSIGN_OR_RETURN(*out.mutable_identifier(), json::GetString(node, "identifier", what));
  out.set_namespace_(StringOr(node, "namespace"));
  if (auto inputs = node.find("inputs"); inputs != node.end()) {
    CopyStringMap(*inputs, *out.mutable_inputs());
  }
  if (auto next = node.find("next_nodes"); next != node.end() && next->is_array()) {
    for (const json::Json& id : *next) {
      if (id.is_string()) out.add_next_nodes(id.get<std::string>());
    }
  }
  if (auto unites = node.find("unites"); unites != node.end() && unites->is_object()) {
    out.mutable_unites()->set_identifier(StringOr(*unites, "identifier"));
    out.mutable_unites()->set_strategy(StringOr(*unites, "strategy") == "ALL_DONE"
                                           ? v1::UNITES_STRATEGY_ALL_DONE
                                           : v1::UNITES_STRATEGY_ALL_SUCCESS);
  }
  return out;
}

}  // namespace

json::Json UpsertGraphBody(const v1::UpsertGraphRequest& request, absl::string_view ns) {
  json::Json nodes = json::Json::array();
  for (const v1::GraphNode& node : request.nodes()) {
    json::Json inputs = json::Json::object();
    for (const auto& [key, value] : node.inputs()) inputs[key] = value;
    json::Json item = {
        {"node_name", node.node_name()},
        {"namespace", node.namespace_().empty() ? std::string(ns) : node.namespace_()},
        {"identifier", node.identifier()},
        {"inputs", std::move(inputs)},
        {"next_nodes", json::Json::array()}};
    for (const std::string& next : node.next_nodes()) item["next_nodes"].push_back(next);
    if (node.has_unites()) {
      item["unites"] = {
          {"identifier", node.unites().identifier()},
          {"strategy",
           node.unites().strategy() == v1::UNITES_STRATEGY_ALL_DONE ? "ALL_DONE" : "ALL_SUCCESS"}};
    }
    nodes.push_back(std::move(item));
  }
  json::Json secrets = json::Json::object();
  for (const auto& [key, value] : request.secrets()) secrets[key] = value;
  json::Json body = {{"secrets", std::move(secrets)}, {"nodes", std::move(nodes)}};
  if (request.has_retry_policy()) {
    const v1::RetryPolicy& policy = request.retry_policy();
    json::Json out = json::Json::object();
    if (policy.has_max_retries()) out["max_retries"] = policy.max_retries();
    for (const StrategyName& entry : kStrategies) {
      if (entry.strategy == policy.strategy()) out["strategy"] = entry.name;
    }
    if (policy.has_backoff_factor_ms()) out["backoff_factor"] = policy.backoff_factor_ms();
    if (policy.has_exponent()) out["exponent"] = policy.exponent();
    if (policy.has_max_delay_ms()) out["max_delay"] = policy.max_delay_ms();
    body["retry_policy"] = std::move(out);
  }
  if (request.has_store_config()) {
    json::Json defaults = json::Json::object();
    for (const auto& [key, value] : request.store_config().default_values()) defaults[key] = value;
    json::Json required = json::Json::array();
    for (const std::string& key : request.store_config().required_keys()) required.push_back(key);
    body["store_config"] = {{"required_keys", std::move(required)},
                            {"default_values", std::move(defaults)}};
  }
  if (request.triggers_size() > 0) {
    json::Json triggers = json::Json::array();
    for (const v1::CronTrigger& trigger : request.triggers()) {
      triggers.push_back({{"type", "CRON"}, {"value", {{"expression", trigger.expression()}}}});
    }
    body["triggers"] = std::move(triggers);
  }
  return body;
}

json::Json TriggerBody(const v1::TriggerRunRequest& request) {
  json::Json inputs = json::Json::object();
  for (const auto& [key, value] : request.inputs()) inputs[key] = value;
  json::Json store = json::Json::object();
  for (const auto& [key, value] : request.store()) store[key] = value;
  return {{"inputs", std::move(inputs)},
          {"store", std::move(store)},
          {"start_delay", request.start_delay_ms()}};
}

absl::StatusOr<v1::Graph> GraphFromJson(const json::Json& document, absl::string_view ns,
                                        absl::string_view graph_name, bool with_policies) {
  if (!document.is_object()) {
    return Unexpected("graph document", absl::InvalidArgumentError("not an object"));
  }
  v1::Graph graph;
  graph.set_namespace_(std::string(ns));
  graph.set_graph_name(std::string(graph_name));
  auto nodes = json::GetArray(document, "nodes", "graph");
  if (!nodes.ok()) return Unexpected("graph document", nodes.status());
  for (const json::Json& node : **nodes) {
    absl::StatusOr<v1::GraphNode> parsed = NodeFromJson(node);
    if (!parsed.ok()) return Unexpected("graph node", parsed.status());
    *graph.add_nodes() = *std::move(parsed);
  }
  if (auto secrets = document.find("secrets"); secrets != document.end() && secrets->is_object()) {
    for (auto it = secrets->begin(); it != secrets->end(); ++it) graph.add_secret_names(it.key());
  }
  graph.set_validation_status(ParseValidationStatus(StringOr(document, "validation_status")));
  if (auto errors = document.find("validation_errors");
      errors != document.end() && errors->is_array()) {
    for (const json::Json& error : *errors) graph.add_validation_errors(AsText(error));
  }
  graph.set_created_at(StringOr(document, "created_at"));
  graph.set_updated_at(StringOr(document, "updated_at"));
  if (with_policies) EXO_RETURN_IF_ERROR(MergeStoredPolicies(document, graph));
  return graph;
}

namespace {

// The member `key` as a whole number of type T, or nullopt when it is missing, negative, not a
// number or too large for T. The server's numbers may come as floats; converting one outside T's
// range would be undefined behaviour, so it is checked first.
template <typename T>
std::optional<T> WholeNumber(const json::Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  constexpr uint64_t kMax = std::numeric_limits<T>::max();
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    return value <= kMax ? std::optional<T>(static_cast<T>(value)) : std::nullopt;
  }
  if (it->is_number_integer()) {
    const int64_t value = it->get<int64_t>();
    return value >= 0 && static_cast<uint64_t>(value) <= kMax
               ? std::optional<T>(static_cast<T>(value))
               : std::nullopt;
  }
  if (it->is_number_float()) {
    const double value = it->get<double>();
    // 2^digits is exactly representable, and every double below it converts to T.
    const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits);
    return value >= 0 && value < limit ? std::optional<T>(static_cast<T>(value)) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

absl::Status MergeStoredPolicies(const json::Json& document, v1::Graph& graph) {
  if (auto policy = document.find("retry_policy");
      policy != document.end() && policy->is_object()) {
    v1::RetryPolicy& out = *graph.mutable_retry_policy();
    if (auto v = WholeNumber<uint32_t>(*policy, "max_retries")) out.set_max_retries(*v);
    const std::string strategy = StringOr(*policy, "strategy");
    for (const StrategyName& entry : kStrategies) {
      if (strategy == entry.name) out.set_strategy(entry.strategy);
    }
    if (auto v = WholeNumber<uint64_t>(*policy, "backoff_factor")) out.set_backoff_factor_ms(*v);
    if (auto v = WholeNumber<uint32_t>(*policy, "exponent")) out.set_exponent(*v);
    if (auto v = WholeNumber<uint64_t>(*policy, "max_delay")) out.set_max_delay_ms(*v);
  }
  if (auto config = document.find("store_config");
      config != document.end() && config->is_object()) {
    v1::StoreConfig& out = *graph.mutable_store_config();
    if (auto keys = config->find("required_keys"); keys != config->end() && keys->is_array()) {
      for (const json::Json& key : *keys) out.add_required_keys(AsText(key));
    }
    if (auto defaults = config->find("default_values"); defaults != config->end()) {
      CopyStringMap(*defaults, *out.mutable_default_values());
    }
  }
  if (auto triggers = document.find("triggers");
      triggers != document.end() && triggers->is_array()) {
    graph.clear_triggers();
    for (const json::Json& trigger : *triggers) {
      if (!trigger.is_object()) continue;
      auto value = trigger.find("value");
      if (value == trigger.end() || !value->is_object()) continue;
      graph.add_triggers()->set_expression(StringOr(*value, "expression"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListRunsResponse> RunsFromJson(const json::Json& document) {
  const std::string what = "runs list";
  v1::ListRunsResponse response;
  auto total = json::GetInt(document, "total", what);
  if (!total.ok()) return Unexpected(what, total.status());
  response.set_total(static_cast<uint64_t>(std::max<int64_t>(0, *total)));
  auto runs = json::GetArray(document, "runs", what);
  if (!runs.ok()) return Unexpected(what, runs.status());
  for (const json::Json& run : **runs) {
    if (!run.is_object()) {
      return Unexpected(what, absl::InvalidArgumentError("run is not an object"));
    }
    v1::Run& out = *response.add_runs();
    out.set_run_id(StringOr(run, "run_id"));
    out.set_graph_name(StringOr(run, "graph_name"));
    const std::string status = StringOr(run, "status");
    out.set_status(status == "PENDING"   ? v1::RUN_STATUS_PENDING
                   : status == "SUCCESS" ? v1::RUN_STATUS_SUCCESS
                   : status == "FAILED"  ? v1::RUN_STATUS_FAILED
                                         : v1::RUN_STATUS_UNSPECIFIED);
    auto count = [&](const char* key) -> uint32_t {
      auto it = run.find(key);
      return it != run.end() && it->is_number_integer() ? it->get<uint32_t>() : 0;
    };
    out.set_success_count(count("success_count"));
    out.set_pending_count(count("pending_count"));
    out.set_errored_count(count("errored_count"));
    out.set_retried_count(count("retried_count"));
    out.set_total_count(count("total_count"));
    out.set_created_at(StringOr(run, "created_at"));
  }
  return response;
}

absl::StatusOr<v1::RunStates> RunStatesFromJson(const json::Json& document,
                                                absl::string_view run_id) {
  const std::string what = "run graph";
  v1::RunStates states;
  states.set_run_id(std::string(run_id));
  if (!document.is_object()) return Unexpected(what, absl::InvalidArgumentError("not an object"));
  states.set_graph_name(StringOr(document, "graph_name"));
  auto nodes = json::GetArray(document, "nodes", what);
  if (!nodes.ok()) return Unexpected(what, nodes.status());
  for (const json::Json& node : **nodes) {
    if (!node.is_object()) {
      return Unexpected(what, absl::InvalidArgumentError("node is not an object"));
    }
    v1::RunState& state = *states.add_states();
    state.set_state_id(StringOr(node, "id"));
    state.set_node_name(StringOr(node, "node_name"));
    state.set_identifier(StringOr(node, "identifier"));
    state.set_status(ParseStateStatus(StringOr(node, "status")));
    if (auto error = node.find("error"); error != node.end() && !error->is_null()) {
      state.set_error(AsText(*error));
    }
  }
  // State ids are ObjectIds: their hex order is their creation order.
  std::sort(
      states.mutable_states()->begin(), states.mutable_states()->end(),
      [](const v1::RunState& a, const v1::RunState& b) { return a.state_id() < b.state_id(); });
  states.set_status(RunStatusOf(states));
  return states;
}

absl::Status MergeStateDetails(const json::Json& document, v1::RunState& state) {
  if (!document.is_object()) {
    return Unexpected("node run details", absl::InvalidArgumentError("not an object"));
  }
  if (auto inputs = document.find("inputs"); inputs != document.end()) {
    CopyStringMap(*inputs, *state.mutable_inputs());
  }
  if (auto outputs = document.find("outputs"); outputs != document.end()) {
    CopyStringMap(*outputs, *state.mutable_outputs());
  }
  if (auto parents = document.find("parents"); parents != document.end() && parents->is_object()) {
    // nlohmann keeps object keys sorted, not in the server's order; the server's order is the
    // lineage order, which the parents' ids (ObjectIds, increasing with time) reproduce.
    std::vector<std::pair<std::string, std::string>> lineage;
    for (auto it = parents->begin(); it != parents->end(); ++it) {
      lineage.emplace_back(AsText(it.value()), it.key());
    }
    std::sort(lineage.begin(), lineage.end());
    for (const auto& [state_id, identifier] : lineage) {
      v1::Parent& parent = *state.add_parents();
      parent.set_identifier(identifier);
      parent.set_state_id(state_id);
    }
  }
  if (auto error = document.find("error"); error != document.end() && !error->is_null()) {
    state.set_error(AsText(*error));
  }
  state.set_created_at(StringOr(document, "created_at"));
  state.set_updated_at(StringOr(document, "updated_at"));
  return absl::OkStatus();
}

v1::ValidationStatus ParseValidationStatus(absl::string_view text) {
  if (text == "PENDING" || text == "ONGOING") return v1::VALIDATION_STATUS_PENDING;
  if (text == "VALID") return v1::VALIDATION_STATUS_VALID;
  if (text == "INVALID") return v1::VALIDATION_STATUS_INVALID;
  return v1::VALIDATION_STATUS_UNSPECIFIED;
}

v1::StateStatus ParseStateStatus(absl::string_view text) {
  if (text == "CREATED") return v1::STATE_STATUS_CREATED;
  if (text == "QUEUED") return v1::STATE_STATUS_QUEUED;
  if (text == "EXECUTED") return v1::STATE_STATUS_EXECUTED;
  if (text == "ERRORED") return v1::STATE_STATUS_ERRORED;
  if (text == "NEXT_CREATED_ERROR") return v1::STATE_STATUS_NEXT_CREATED_ERROR;
  if (text == "SUCCESS") return v1::STATE_STATUS_SUCCESS;
  if (text == "PRUNED") return v1::STATE_STATUS_PRUNED;
  if (text == "RETRY_CREATED") return v1::STATE_STATUS_RETRY_CREATED;
  return v1::STATE_STATUS_UNSPECIFIED;
}

v1::RunStatus RunStatusOf(const v1::RunStates& states) {
  bool errored = false;
  for (const v1::RunState& state : states.states()) {
    switch (state.status()) {
      case v1::STATE_STATUS_CREATED:
      case v1::STATE_STATUS_QUEUED:
      case v1::STATE_STATUS_EXECUTED:
        return v1::RUN_STATUS_PENDING;
      case v1::STATE_STATUS_ERRORED:
      case v1::STATE_STATUS_NEXT_CREATED_ERROR:
        errored = true;
        break;
      default:
        break;
    }
  }
  return errored || states.states().empty() ? v1::RUN_STATUS_FAILED : v1::RUN_STATUS_SUCCESS;
}

}  // namespace exosphere::sidecar
