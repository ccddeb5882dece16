#include "devserver/graph_requests.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "devserver/cron_expression.h"
#include "devserver/python_repr.h"

namespace exosphere::devserver {
namespace {

const Loc kBody = {"body"};

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

std::optional<NodeRegistration> ParseNodeRegistration(const Json& value, const Loc& loc,
                                                      FieldReader& reader) {
  if (!reader.ExpectModel(value, loc)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  NodeRegistration node;
  if (const Json* name = reader.Required(value, "name", loc)) {
    if (auto text = reader.String(*name, Child(loc, "name"))) node.name = *text;
  }
  if (const Json* schema = reader.Required(value, "inputs_schema", loc)) {
    if (reader.Dict(*schema, Child(loc, "inputs_schema"))) node.inputs_schema = *schema;
  }
  if (const Json* schema = reader.Required(value, "outputs_schema", loc)) {
    if (reader.Dict(*schema, Child(loc, "outputs_schema"))) node.outputs_schema = *schema;
  }
  if (const Json* secrets = reader.Required(value, "secrets", loc)) {
    if (auto list = reader.StringList(*secrets, Child(loc, "secrets"))) node.secrets = *list;
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return node;
}

std::optional<Unites> ParseUnites(const Json& value, const Loc& loc, FieldReader& reader) {
  if (!reader.ExpectModel(value, loc)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  Unites unites;
  if (const Json* identifier = reader.Required(value, "identifier", loc)) {
    if (auto text = reader.String(*identifier, Child(loc, "identifier"))) {
      unites.identifier = *text;
    }
  }
  if (const Json* strategy = FieldReader::Optional(value, "strategy")) {
    if (auto name = reader.Enum(*strategy, Child(loc, "strategy"), {"ALL_SUCCESS", "ALL_DONE"})) {
      unites.strategy = *ParseUnitesStrategy(*name);
    }
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return unites;
}

std::optional<NodeTemplate> ParseNodeTemplate(const Json& value, const Loc& loc,
                                              FieldReader& reader) {
  if (!reader.ExpectModel(value, loc)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  NodeTemplate node;
  if (const Json* raw = reader.Required(value, "node_name", loc)) {
    if (auto text = reader.String(*raw, Child(loc, "node_name"))) {
      node.node_name = Trimmed(*text);
      if (node.node_name.empty()) {
        reader.ValueError(Child(loc, "node_name"), "Node name cannot be empty", *raw);
      }
    }
  }
  if (const Json* raw = reader.Required(value, "namespace", loc)) {
    if (auto text = reader.String(*raw, Child(loc, "namespace"))) node.namespace_name = *text;
  }
  if (const Json* raw = reader.Required(value, "identifier", loc)) {
    if (auto text = reader.String(*raw, Child(loc, "identifier"))) {
      node.identifier = Trimmed(*text);
      if (node.identifier.empty()) {
        reader.ValueError(Child(loc, "identifier"), "Node identifier cannot be empty", *raw);
      } else if (node.identifier == "store") {
        reader.ValueError(Child(loc, "identifier"),
                          "Node identifier cannot be reserved word 'store'", *raw);
      }
    }
  }
  if (const Json* raw = reader.Required(value, "inputs", loc)) {
    if (reader.Dict(*raw, Child(loc, "inputs"))) node.inputs = *raw;
  }
  if (const Json* raw = FieldReader::Optional(value, "next_nodes");
      raw != nullptr && !raw->is_null()) {
    if (auto list = reader.StringList(*raw, Child(loc, "next_nodes"))) {
      std::vector<std::string> next_nodes;
      std::vector<std::string> problems;
      std::set<std::string> seen;
      for (const std::string& item : *list) {
        const std::string identifier = Trimmed(item);
        if (identifier.empty()) {
          problems.push_back("Next node identifier cannot be empty");
          continue;
        }
        if (!seen.insert(identifier).second) {
          problems.push_back(absl::StrCat("Next node identifier ", identifier, " is not unique"));
          continue;
        }
        next_nodes.push_back(identifier);
      }
      if (!problems.empty()) {
        reader.ValueError(Child(loc, "next_nodes"), absl::StrJoin(problems, "\n"), *raw);
      }
      node.next_nodes = std::move(next_nodes);
    }
  }
  if (const Json* raw = FieldReader::Optional(value, "unites"); raw != nullptr && !raw->is_null()) {
    if (auto unites = ParseUnites(*raw, Child(loc, "unites"), reader)) {
      unites->identifier = Trimmed(unites->identifier);
      if (unites->identifier.empty()) {
        reader.ValueError(Child(loc, "unites"), "Unites identifier cannot be empty", *raw);
      }
      node.unites = *unites;
    }
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return node;
}

std::optional<RetryPolicy> ParseRetryPolicy(const Json& value, const Loc& loc,
                                            FieldReader& reader) {
  if (!reader.ExpectModel(value, loc)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  RetryPolicy policy;
  if (const Json* raw = FieldReader::Optional(value, "max_retries")) {
    const Loc field = Child(loc, "max_retries");
    if (auto number = reader.Int(*raw, field)) {
      if (reader.GreaterThanOrEqual(*number, 0, *raw, field)) policy.max_retries = *number;
    }
  }
  if (const Json* raw = FieldReader::Optional(value, "strategy")) {
    if (auto name = reader.Enum(*raw, Child(loc, "strategy"), RetryStrategyNames())) {
      policy.strategy = *ParseRetryStrategy(*name);
    }
  }
  if (const Json* raw = FieldReader::Optional(value, "backoff_factor")) {
    const Loc field = Child(loc, "backoff_factor");
    if (auto number = reader.Int(*raw, field)) {
      if (reader.GreaterThan(*number, 0, *raw, field)) policy.backoff_factor = *number;
    }
  }
  if (const Json* raw = FieldReader::Optional(value, "exponent")) {
    const Loc field = Child(loc, "exponent");
    if (auto number = reader.Int(*raw, field)) {
      if (reader.GreaterThan(*number, 0, *raw, field)) policy.exponent = *number;
    }
  }
  if (const Json* raw = FieldReader::Optional(value, "max_delay");
      raw != nullptr && !raw->is_null()) {
    const Loc field = Child(loc, "max_delay");
    if (auto number = reader.Int(*raw, field)) {
      if (reader.GreaterThan(*number, 0, *raw, field)) policy.max_delay = *number;
    }
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return policy;
}

// Store keys are trimmed; empty keys, keys with '.', and duplicates are rejected.
std::vector<std::string> CheckStoreKeys(const std::vector<std::string>& keys,
                                        std::vector<std::string>& trimmed_keys) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const std::string& key : keys) {
    const std::string trimmed = Trimmed(key);
    if (trimmed.empty()) {
      problems.push_back("Key cannot be empty or contain only whitespace");
    } else if (absl::StrContains(trimmed, '.')) {
      problems.push_back(absl::StrCat("Key '", trimmed, "' cannot contain '.' character"));
    } else if (!seen.insert(trimmed).second) {
      problems.push_back(absl::StrCat("Key '", trimmed, "' is duplicated"));
    } else {
      trimmed_keys.push_back(trimmed);
    }
  }
  return problems;
}

std::optional<StoreConfig> ParseStoreConfig(const Json& value, const Loc& loc,
                                            FieldReader& reader) {
  if (!reader.ExpectModel(value, loc)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  StoreConfig config;
  if (const Json* raw = FieldReader::Optional(value, "required_keys")) {
    if (auto keys = reader.StringList(*raw, Child(loc, "required_keys"))) {
      std::vector<std::string> problems = CheckStoreKeys(*keys, config.required_keys);
      if (!problems.empty()) {
        reader.ValueError(Child(loc, "required_keys"), absl::StrJoin(problems, "\n"), *raw);
      }
    }
  }
  if (const Json* raw = FieldReader::Optional(value, "default_values")) {
    if (reader.Dict(*raw, Child(loc, "default_values"))) {
      std::vector<std::string> keys;
      for (auto it = raw->begin(); it != raw->end(); ++it) keys.push_back(it.key());
      std::vector<std::string> trimmed_keys;
      std::vector<std::string> problems = CheckStoreKeys(keys, trimmed_keys);
      if (!problems.empty()) {
        reader.ValueError(Child(loc, "default_values"), absl::StrJoin(problems, "\n"), *raw);
      } else {
        size_t index = 0;
        for (auto it = raw->begin(); it != raw->end(); ++it, ++index) {
          // Values are coerced with str(), as the state manager does.
          config.default_values[trimmed_keys[index]] = PythonStr(it.value());
        }
      }
    }
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return config;
}

// Pydantic's rendering of the nested CronTrigger ValidationError that the Trigger model
// validator turns into a value_error.
std::string CronTriggerError(const std::string& line, const std::string& message,
                             const std::string& input_repr, const std::string& input_type,
                             const std::string& type) {
  return absl::StrCat(
      "1 validation error for CronTrigger\n", line, "\n  ", message, " [type=", type,
      ", input_value=", TruncateForPydantic(input_repr), ", input_type=", input_type,
      "]\n    For further information visit https://errors.pydantic.dev/2.11/v/", type);
}

std::optional<CronTrigger> ParseTrigger(const Json& value, const Loc& loc, FieldReader& reader) {
  if (!reader.ExpectModel(value, loc)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  if (const Json* raw = reader.Required(value, "type", loc)) {
    reader.Enum(*raw, Child(loc, "type"), {"CRON"});
  }
  Json trigger_value = Json::object();
  if (const Json* raw = FieldReader::Optional(value, "value")) {
    if (auto map = reader.StringDict(*raw, Child(loc, "value"))) trigger_value = *map;
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  const Json* expression = FindMember(trigger_value, "expression");
  if (expression == nullptr) {
    reader.ValueError(loc,
                      CronTriggerError("expression", "Field required", PythonRepr(trigger_value),
                                       "dict", "missing"),
                      value);
    return std::nullopt;
  }
  const std::string text = expression->get<std::string>();
  if (!CronExpression::Parse(text).ok()) {
    reader.ValueError(loc,
                      CronTriggerError("expression", "Value error, Invalid cron expression",
                                       PythonStringRepr(text), "str", "value_error"),
                      value);
    return std::nullopt;
  }
  return CronTrigger{text};
}

}  // namespace

std::optional<RegisterNodesRequest> ParseRegisterNodesRequest(const Json& body,
                                                              FieldReader& reader) {
  if (!reader.ExpectModel(body, kBody)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  RegisterNodesRequest request;
  if (const Json* raw = reader.Required(body, "runtime_name", kBody)) {
    if (auto text = reader.String(*raw, Child(kBody, "runtime_name"))) {
      request.runtime_name = *text;
    }
  }
  if (const Json* raw = reader.Required(body, "nodes", kBody)) {
    const Loc loc = Child(kBody, "nodes");
    if (reader.List(*raw, loc)) {
      for (size_t i = 0; i < raw->size(); ++i) {
        if (auto node =
                ParseNodeRegistration((*raw)[i], Child(loc, static_cast<int64_t>(i)), reader)) {
          request.nodes.push_back(*std::move(node));
        }
      }
    }
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return request;
}

std::optional<UpsertGraphRequest> ParseUpsertGraphRequest(const Json& body, FieldReader& reader) {
  if (!reader.ExpectModel(body, kBody)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  UpsertGraphRequest request;
  if (const Json* raw = reader.Required(body, "secrets", kBody)) {
    if (auto secrets = reader.StringDict(*raw, Child(kBody, "secrets"))) {
      for (auto it = secrets->begin(); it != secrets->end(); ++it) {
        request.secrets.emplace_back(it.key(), it.value().get<std::string>());
      }
    }
  }
  if (const Json* raw = reader.Required(body, "nodes", kBody)) {
    const Loc loc = Child(kBody, "nodes");
    if (reader.List(*raw, loc)) {
      for (size_t i = 0; i < raw->size(); ++i) {
        if (auto node = ParseNodeTemplate((*raw)[i], Child(loc, static_cast<int64_t>(i)), reader)) {
          request.nodes.push_back(*std::move(node));
        }
      }
    }
  }
  if (const Json* raw = FieldReader::Optional(body, "retry_policy")) {
    if (auto policy = ParseRetryPolicy(*raw, Child(kBody, "retry_policy"), reader)) {
      request.retry_policy = *policy;
    }
  }
  if (const Json* raw = FieldReader::Optional(body, "store_config")) {
    if (auto config = ParseStoreConfig(*raw, Child(kBody, "store_config"), reader)) {
      request.store_config = *std::move(config);
    }
  }
  if (const Json* raw = FieldReader::Optional(body, "triggers")) {
    const Loc loc = Child(kBody, "triggers");
    if (reader.List(*raw, loc)) {
      for (size_t i = 0; i < raw->size(); ++i) {
        if (auto trigger = ParseTrigger((*raw)[i], Child(loc, static_cast<int64_t>(i)), reader)) {
          request.triggers.push_back(*std::move(trigger));
        }
      }
    }
  }
  if (reader.errors().size() != errors_before) return std::nullopt;
  return request;
}

}  // namespace exosphere::devserver
