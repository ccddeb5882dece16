#include "devserver/response_json.h"

#include <string>

#include "devserver/naive_time.h"

namespace exosphere::devserver {

Json NodeTemplateJson(const NodeTemplate& node) {
  Json json = Json::object();
  json["node_name"] = node.node_name;
  json["namespace"] = node.namespace_name;
  json["identifier"] = node.identifier;
  json["inputs"] = node.inputs;
  json["next_nodes"] = node.next_nodes.has_value() ? Json(*node.next_nodes) : Json(nullptr);
  if (node.unites.has_value()) {
    Json unites = Json::object();
    unites["identifier"] = node.unites->identifier;
    unites["strategy"] = std::string(UnitesStrategyName(node.unites->strategy));
    json["unites"] = std::move(unites);
  } else {
    json["unites"] = nullptr;
  }
  return json;
}

Json RetryPolicyJson(const RetryPolicy& policy) {
  Json json = Json::object();
  json["max_retries"] = policy.max_retries;
  json["strategy"] = std::string(RetryStrategyName(policy.strategy));
  json["backoff_factor"] = policy.backoff_factor;
  json["exponent"] = policy.exponent;
  json["max_delay"] = policy.max_delay.has_value() ? Json(*policy.max_delay) : Json(nullptr);
  return json;
}

Json StoreConfigJson(const StoreConfig& config) {
  Json json = Json::object();
  json["required_keys"] = config.required_keys;
  json["default_values"] = config.default_values;
  return json;
}

Json TriggersJson(const std::vector<CronTrigger>& triggers) {
  Json json = Json::array();
  for (const CronTrigger& trigger : triggers) {
    Json value = Json::object();
    value["expression"] = trigger.expression;
    Json item = Json::object();
    item["type"] = "CRON";
    item["value"] = std::move(value);
    json.push_back(std::move(item));
  }
  return json;
}

Json GraphTemplateResponseJson(const GraphTemplate& graph, bool stored_settings) {
  Json nodes = Json::array();
  for (const NodeTemplate& node : graph.nodes) nodes.push_back(NodeTemplateJson(node));
  Json secrets = Json::object();
  for (const auto& [name, value] : graph.secrets) secrets[name] = true;
  Json json = Json::object();
  json["nodes"] = std::move(nodes);
  json["secrets"] = std::move(secrets);
  json["retry_policy"] = RetryPolicyJson(stored_settings ? graph.retry_policy : RetryPolicy());
  json["store_config"] = StoreConfigJson(stored_settings ? graph.store_config : StoreConfig());
  json["triggers"] = stored_settings ? TriggersJson(graph.triggers) : Json::array();
  json["created_at"] = FormatNaiveTime(graph.created_at);
  json["updated_at"] = FormatNaiveTime(graph.updated_at);
  json["validation_status"] = std::string(ValidationStatusName(graph.validation_status));
  json["validation_errors"] = graph.validation_errors;
  return json;
}

Json GraphTemplateDocumentJson(const GraphTemplate& graph) {
  Json nodes = Json::array();
  for (const NodeTemplate& node : graph.nodes) nodes.push_back(NodeTemplateJson(node));
  Json secrets = Json::object();
  for (const auto& [name, value] : graph.secrets) secrets[name] = value;
  Json json = Json::object();
  json["_id"] = graph.id;
  json["created_at"] = FormatNaiveTime(graph.created_at);
  json["updated_at"] = FormatNaiveTime(graph.updated_at);
  json["name"] = graph.name;
  json["namespace"] = graph.namespace_name;
  json["nodes"] = std::move(nodes);
  json["validation_status"] = std::string(ValidationStatusName(graph.validation_status));
  json["validation_errors"] = graph.validation_errors;
  json["secrets"] = std::move(secrets);
  json["retry_policy"] = RetryPolicyJson(graph.retry_policy);
  json["store_config"] = StoreConfigJson(graph.store_config);
  json["triggers"] = TriggersJson(graph.triggers);
  return json;
}

Json RegisteredNodeDocumentJson(const RegisteredNode& node) {
  Json json = Json::object();
  json["_id"] = node.id;
  json["created_at"] = FormatNaiveTime(node.created_at);
  json["updated_at"] = FormatNaiveTime(node.updated_at);
  json["name"] = node.name;
  json["namespace"] = node.namespace_name;
  json["runtime_name"] = node.runtime_name;
  json["runtime_namespace"] = node.runtime_namespace;
  json["inputs_schema"] = node.inputs_schema;
  json["outputs_schema"] = node.outputs_schema;
  json["secrets"] = node.secrets;
  return json;
}

Json DetailJson(absl::string_view detail) {
  Json json = Json::object();
  json["detail"] = std::string(detail);
  return json;
}

}  // namespace exosphere::devserver
