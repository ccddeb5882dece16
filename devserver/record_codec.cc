#include "devserver/record_codec.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace exosphere::devserver {
namespace {

Json EncodeTime(absl::Time time) { return absl::ToUnixMicros(time); }

// Reads fields of one stored document, remembering the first problem.
class DocumentReader {
 public:
  DocumentReader(const Json& document, const char* kind) : document_(document), kind_(kind) {
    if (!document.is_object()) Fail("not an object");
  }

  std::string String(const char* key) {
    const Json* value = Member(key);
    if (value == nullptr) return "";
    if (!value->is_string()) {
      Fail(absl::StrCat("field '", key, "' is not a string"));
      return "";
    }
    return value->get<std::string>();
  }

  int64_t Int(const char* key) {
    const Json* value = Member(key);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      Fail(absl::StrCat("field '", key, "' is not an integer"));
      return 0;
    }
    return value->get<int64_t>();
  }

  bool Bool(const char* key) {
    const Json* value = Member(key);
    if (value == nullptr) return false;
    if (!value->is_boolean()) {
      Fail(absl::StrCat("field '", key, "' is not a boolean"));
      return false;
    }
    return value->get<bool>();
  }

  absl::Time Time(const char* key) { return absl::FromUnixMicros(Int(key)); }

  Json Object(const char* key) {
    const Json* value = Member(key);
    if (value == nullptr) return Json::object();
    if (!value->is_object()) {
      Fail(absl::StrCat("field '", key, "' is not an object"));
      return Json::object();
    }
    return *value;
  }

  const Json* Array(const char* key) {
    const Json* value = Member(key);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
      Fail(absl::StrCat("field '", key, "' is not an array"));
      return nullptr;
    }
    return value;
  }

  std::vector<std::string> StringList(const char* key) {
    std::vector<std::string> items;
    const Json* array = Array(key);
    if (array == nullptr) return items;
    for (const Json& item : *array) {
      if (!item.is_string()) {
        Fail(absl::StrCat("field '", key, "' holds a non-string"));
        return {};
      }
      items.push_back(item.get<std::string>());
    }
    return items;
  }

  // [[a, b], ...] pairs of strings.
  std::vector<std::pair<std::string, std::string>> Pairs(const char* key) {
    std::vector<std::pair<std::string, std::string>> pairs;
    const Json* array = Array(key);
    if (array == nullptr) return pairs;
    for (const Json& item : *array) {
      if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
        Fail(absl::StrCat("field '", key, "' holds a malformed pair"));
        return {};
      }
      pairs.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
    }
    return pairs;
  }

  bool Has(const char* key) const { return FindMember(document_, key) != nullptr; }
  bool IsNull(const char* key) const {
    const Json* value = FindMember(document_, key);
    return value == nullptr || value->is_null();
  }

  void Fail(const std::string& problem) {
    if (error_.empty()) error_ = problem;
  }

  absl::Status status() const {
    if (error_.empty()) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat("stored ", kind_, " document: ", error_));
  }

 private:
  const Json* Member(const char* key) {
    const Json* value = FindMember(document_, key);
    if (value == nullptr) Fail(absl::StrCat("missing field '", key, "'"));
    return value;
  }

  const Json& document_;
  const char* kind_;
  std::string error_;
};

Json EncodePairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Json array = Json::array();
  for (const auto& [first, second] : pairs) array.push_back(Json::array({first, second}));
  return array;
}

Json EncodeNodeTemplate(const NodeTemplate& node) {
  Json document = {{"node_name", node.node_name},
                   {"namespace", node.namespace_name},
                   {"identifier", node.identifier},
                   {"inputs", node.inputs}};
  document["next_nodes"] = node.next_nodes.has_value() ? Json(*node.next_nodes) : Json(nullptr);
  if (node.unites.has_value()) {
    document["unites"] = {{"identifier", node.unites->identifier},
                          {"strategy", std::string(UnitesStrategyName(node.unites->strategy))}};
  } else {
    document["unites"] = nullptr;
  }
  return document;
}

NodeTemplate DecodeNodeTemplate(const Json& document, DocumentReader& parent) {
  DocumentReader reader(document, "node template");
  NodeTemplate node;
  node.node_name = reader.String("node_name");
  node.namespace_name = reader.String("namespace");
  node.identifier = reader.String("identifier");
  node.inputs = reader.Object("inputs");
  if (!reader.IsNull("next_nodes")) node.next_nodes = reader.StringList("next_nodes");
  if (!reader.IsNull("unites")) {
    DocumentReader unites(*FindMember(document, "unites"), "unites");
    Unites value;
    value.identifier = unites.String("identifier");
    auto strategy = ParseUnitesStrategy(unites.String("strategy"));
    if (!strategy.has_value()) unites.Fail("unknown strategy");
    value.strategy = strategy.value_or(UnitesStrategy::kAllSuccess);
    if (!unites.status().ok()) reader.Fail(std::string(unites.status().message()));
    node.unites = value;
  }
  if (!reader.status().ok()) parent.Fail(std::string(reader.status().message()));
  return node;
}

}  // namespace

Json EncodeRegisteredNode(const RegisteredNode& node) {
  return {{"id", node.id},
          {"name", node.name},
          {"namespace", node.namespace_name},
          {"runtime_name", node.runtime_name},
          {"runtime_namespace", node.runtime_namespace},
          {"inputs_schema", node.inputs_schema},
          {"outputs_schema", node.outputs_schema},
          {"secrets", node.secrets},
          {"created_at", EncodeTime(node.created_at)},
          {"updated_at", EncodeTime(node.updated_at)}};
}

absl::StatusOr<RegisteredNode> DecodeRegisteredNode(const Json& document) {
  DocumentReader reader(document, "node");
  RegisteredNode node;
  node.id = reader.String("id");
  node.name = reader.String("name");
  node.namespace_name = reader.String("namespace");
  node.runtime_name = reader.String("runtime_name");
  node.runtime_namespace = reader.String("runtime_namespace");
  node.inputs_schema = reader.Object("inputs_schema");
  node.outputs_schema = reader.Object("outputs_schema");
  node.secrets = reader.StringList("secrets");
  node.created_at = reader.Time("created_at");
  node.updated_at = reader.Time("updated_at");
  if (!reader.status().ok()) return reader.status();
  return node;
}

Json EncodeGraphTemplate(const GraphTemplate& graph) {
  Json nodes = Json::array();
  for (const NodeTemplate& node : graph.nodes) nodes.push_back(EncodeNodeTemplate(node));
  Json triggers = Json::array();
  for (const CronTrigger& trigger : graph.triggers) triggers.push_back(trigger.expression);
  const RetryPolicy& policy = graph.retry_policy;
  Json retry_policy = {{"max_retries", policy.max_retries},
                       {"strategy", std::string(RetryStrategyName(policy.strategy))},
                       {"backoff_factor", policy.backoff_factor},
                       {"exponent", policy.exponent}};
  retry_policy["max_delay"] =
      policy.max_delay.has_value() ? Json(*policy.max_delay) : Json(nullptr);
  return {{"id", graph.id},
          {"name", graph.name},
          {"namespace", graph.namespace_name},
          {"nodes", nodes},
          {"validation_status", std::string(ValidationStatusName(graph.validation_status))},
          {"validation_errors", graph.validation_errors},
          {"secrets", EncodePairs(graph.secrets)},
          {"retry_policy", retry_policy},
          {"required_keys", graph.store_config.required_keys},
          {"default_values", graph.store_config.default_values},
          {"triggers", triggers},
          {"created_at", EncodeTime(graph.created_at)},
          {"updated_at", EncodeTime(graph.updated_at)},
          {"generation", graph.generation}};
}

absl::StatusOr<GraphTemplate> DecodeGraphTemplate(const Json& document) {
  DocumentReader reader(document, "graph");
  GraphTemplate graph;
  graph.id = reader.String("id");
  graph.name = reader.String("name");
  graph.namespace_name = reader.String("namespace");
  if (const Json* nodes = reader.Array("nodes")) {
    for (const Json& node : *nodes) graph.nodes.push_back(DecodeNodeTemplate(node, reader));
  }
  auto status = ParseValidationStatus(reader.String("validation_status"));
  if (!status.has_value()) reader.Fail("unknown validation_status");
  graph.validation_status = status.value_or(ValidationStatus::kPending);
  graph.validation_errors = reader.StringList("validation_errors");
  graph.secrets = reader.Pairs("secrets");
  const Json policy_document = reader.Object("retry_policy");
  DocumentReader policy(policy_document, "retry policy");
  graph.retry_policy.max_retries = policy.Int("max_retries");
  auto strategy = ParseRetryStrategy(policy.String("strategy"));
  if (!strategy.has_value()) policy.Fail("unknown strategy");
  graph.retry_policy.strategy = strategy.value_or(RetryStrategy::kExponential);
  graph.retry_policy.backoff_factor = policy.Int("backoff_factor");
  graph.retry_policy.exponent = policy.Int("exponent");
  if (!policy.IsNull("max_delay")) graph.retry_policy.max_delay = policy.Int("max_delay");
  if (!policy.status().ok()) reader.Fail(std::string(policy.status().message()));
  graph.store_config.required_keys = reader.StringList("required_keys");
  graph.store_config.default_values = reader.Object("default_values");
  for (const std::string& expression : reader.StringList("triggers")) {
    graph.triggers.push_back(CronTrigger{expression});
  }
  graph.created_at = reader.Time("created_at");
  graph.updated_at = reader.Time("updated_at");
  graph.generation = reader.Int("generation");
  if (!reader.status().ok()) return reader.status();
  return graph;
}

Json EncodeState(const State& state) {
  Json document = {{"id", state.id},
                   {"node_name", state.node_name},
                   {"namespace_name", state.namespace_name},
                   {"identifier", state.identifier},
                   {"graph_name", state.graph_name},
                   {"run_id", state.run_id},
                   {"status", std::string(StateStatusName(state.status))},
                   {"inputs", state.inputs},
                   {"outputs", state.outputs},
                   {"data", state.data}};
  document["error"] = state.error.has_value() ? Json(*state.error) : Json(nullptr);
  document["parents"] = EncodePairs(state.parents);
  document["does_unites"] = state.does_unites;
  document["enqueue_after"] = state.enqueue_after;
  document["retry_count"] = state.retry_count;
  document["fanout_id"] = state.fanout_id;
  document["manual_retry_fanout_id"] = state.manual_retry_fanout_id;
  document["created_at"] = EncodeTime(state.created_at);
  document["updated_at"] = EncodeTime(state.updated_at);
  return document;
}

absl::StatusOr<State> DecodeState(const Json& document) {
  DocumentReader reader(document, "state");
  State state;
  state.id = reader.String("id");
  state.node_name = reader.String("node_name");
  state.namespace_name = reader.String("namespace_name");
  state.identifier = reader.String("identifier");
  state.graph_name = reader.String("graph_name");
  state.run_id = reader.String("run_id");
  auto status = ParseStateStatus(reader.String("status"));
  if (!status.has_value()) reader.Fail("unknown status");
  state.status = status.value_or(StateStatus::kCreated);
  state.inputs = reader.Object("inputs");
  state.outputs = reader.Object("outputs");
  state.data = reader.Object("data");
  if (!reader.IsNull("error")) state.error = reader.String("error");
  state.parents = reader.Pairs("parents");
  state.does_unites = reader.Bool("does_unites");
  state.enqueue_after = reader.Int("enqueue_after");
  state.retry_count = reader.Int("retry_count");
  state.fanout_id = reader.String("fanout_id");
  state.manual_retry_fanout_id = reader.String("manual_retry_fanout_id");
  state.created_at = reader.Time("created_at");
  state.updated_at = reader.Time("updated_at");
  if (!reader.status().ok()) return reader.status();
  return state;
}

Json EncodeRun(const Run& run) {
  return {{"run_id", run.run_id},
          {"graph_name", run.graph_name},
          {"namespace_name", run.namespace_name},
          {"created_at", EncodeTime(run.created_at)}};
}

absl::StatusOr<Run> DecodeRun(const Json& document) {
  DocumentReader reader(document, "run");
  Run run;
  run.run_id = reader.String("run_id");
  run.graph_name = reader.String("graph_name");
  run.namespace_name = reader.String("namespace_name");
  run.created_at = reader.Time("created_at");
  if (!reader.status().ok()) return reader.status();
  return run;
}

Json EncodeCronRecord(const CronRecord& record) {
  Json document = {{"id", record.id},
                   {"expression", record.expression},
                   {"graph_name", record.graph_name},
                   {"namespace", record.namespace_name},
                   {"trigger_time", EncodeTime(record.trigger_time)},
                   {"trigger_status", std::string(CronRecordStatusName(record.status))}};
  document["expires_at"] =
      record.expires_at.has_value() ? EncodeTime(*record.expires_at) : Json(nullptr);
  return document;
}

absl::StatusOr<CronRecord> DecodeCronRecord(const Json& document) {
  DocumentReader reader(document, "cron record");
  CronRecord record;
  record.id = reader.String("id");
  record.expression = reader.String("expression");
  record.graph_name = reader.String("graph_name");
  record.namespace_name = reader.String("namespace");
  record.trigger_time = reader.Time("trigger_time");
  auto status = ParseCronRecordStatus(reader.String("trigger_status"));
  if (!status.has_value()) reader.Fail("unknown trigger_status");
  record.status = status.value_or(CronRecordStatus::kPending);
  if (!reader.IsNull("expires_at")) record.expires_at = reader.Time("expires_at");
  if (!reader.status().ok()) return reader.status();
  return record;
}

}  // namespace exosphere::devserver
