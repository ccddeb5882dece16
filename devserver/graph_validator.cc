#include "devserver/graph_validator.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "devserver/dependent_string.h"
#include "devserver/graph_topology.h"
#include "devserver/python_repr.h"

namespace exosphere::devserver {
namespace {

struct LineError {
  std::string loc;  // empty for model-level errors
  std::string message;
  std::string input_repr;
  std::string input_type;
};

std::string RenderErrors(const std::vector<LineError>& errors) {
  std::string text = absl::StrCat(errors.size(), " validation error", errors.size() == 1 ? "" : "s",
                                  " for GraphTemplate");
  for (const LineError& error : errors) {
    absl::StrAppend(&text, "\n");
    if (!error.loc.empty()) absl::StrAppend(&text, error.loc, "\n");
    absl::StrAppend(
        &text, "  Value error, ", error.message,
        " [type=value_error, input_value=", TruncateForPydantic(error.input_repr),
        ", input_type=", error.input_type, "]\n",
        "    For further information visit https://errors.pydantic.dev/2.11/v/value_error");
  }
  return absl::StrCat("Error validating graph template: ", text);
}

std::string SecretsRepr(const GraphTemplate& graph) {
  std::vector<std::string> items;
  for (const auto& [name, value] : graph.secrets) {
    items.push_back(absl::StrCat(PythonStringRepr(name), ": ", PythonStringRepr(value)));
  }
  return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
}

// repr() of the keyword arguments the state manager builds the GraphTemplate from; only its
// first 25 and last 24 characters survive Pydantic's shortening.
std::string TemplateArgumentsRepr(const GraphTemplate& graph) {
  std::vector<std::string> triggers;
  for (const CronTrigger& trigger : graph.triggers) {
    triggers.push_back(
        absl::StrCat("Trigger(type=<TriggerTypeEnum.CRON: 'CRON'>, value={'expression': ",
                     PythonStringRepr(trigger.expression), "})"));
  }
  const absl::string_view strategy = RetryStrategyName(graph.retry_policy.strategy);
  return absl::StrCat("{'name': ", PythonStringRepr(graph.name),
                      ", 'namespace': ", PythonStringRepr(graph.namespace_name),
                      ", 'nodes': ", NodeTemplateListRepr(graph.nodes),
                      ", 'validation_status': <GraphTemplateValidationStatus.PENDING: 'PENDING'>, "
                      "'validation_errors': [], 'secrets': ",
                      SecretsRepr(graph), ", 'retry_policy': RetryPolicyModel(max_retries=",
                      graph.retry_policy.max_retries, ", strategy=<RetryStrategy.", strategy, ": '",
                      strategy, "'>, backoff_factor=", graph.retry_policy.backoff_factor,
                      ", exponent=", graph.retry_policy.exponent, ", max_delay=",
                      graph.retry_policy.max_delay.has_value()
                          ? absl::StrCat(*graph.retry_policy.max_delay)
                          : "None",
                      "), 'store_config': StoreConfig(required_keys=",
                      PythonRepr(Json(graph.store_config.required_keys)),
                      ", default_values=", PythonRepr(graph.store_config.default_values),
                      "), 'triggers': [", absl::StrJoin(triggers, ", "), "]}");
}

std::optional<std::string> CheckUniqueIdentifiers(const GraphTemplate& graph) {
  std::set<std::string> seen;
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    if (!seen.insert(node.identifier).second) {
      errors.push_back(absl::StrCat("Node identifier ", node.identifier, " is not unique"));
    }
  }
  if (errors.empty()) return std::nullopt;
  return absl::StrJoin(errors, "\n");
}

std::optional<std::string> CheckNextNodesExist(const GraphTemplate& graph) {
  std::set<std::string> identifiers;
  for (const NodeTemplate& node : graph.nodes) identifiers.insert(node.identifier);
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    if (!node.next_nodes.has_value()) continue;
    for (const std::string& next : *node.next_nodes) {
      if (identifiers.count(next) == 0) {
        errors.push_back(absl::StrCat("Node identifier ", next, " does not exist in the graph"));
      }
    }
  }
  if (errors.empty()) return std::nullopt;
  return absl::StrJoin(errors, "\n");
}

std::optional<std::string> CheckUnites(const GraphTemplate& graph) {
  std::set<std::string> identifiers;
  for (const NodeTemplate& node : graph.nodes) identifiers.insert(node.identifier);
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    if (!node.unites.has_value()) continue;
    const std::string& target = node.unites->identifier;
    if (identifiers.count(target) == 0) {
      errors.push_back(absl::StrCat("Node ", node.identifier, " has an unites target ", target,
                                    " that does not exist"));
    }
    if (target == node.identifier) {
      errors.push_back(absl::StrCat("Node ", node.identifier, " has an unites target ", target,
                                    " that is the same as the node itself"));
    }
  }
  if (errors.empty()) return std::nullopt;
  return absl::StrJoin(errors, "\n");
}

std::optional<std::string> CheckConnected(const GraphTemplate& graph,
                                          std::optional<GraphTopology>& topology) {
  absl::StatusOr<const NodeTemplate*> root = GraphTopology::FindRoot(graph.nodes);
  if (!root.ok()) return std::string(root.status().message());
  absl::StatusOr<GraphTopology> built = GraphTopology::Build(graph.nodes);
  if (!built.ok()) return std::string(built.status().message());
  topology = *std::move(built);
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    if (node.identifier == topology->root()) continue;
    if (topology->Parents(node.identifier).count(topology->root()) == 0) {
      errors.push_back(
          absl::StrCat("Node ", node.identifier, " is not connected to the root node"));
    }
  }
  if (errors.empty()) return std::nullopt;
  return absl::StrJoin(errors, "\n");
}

std::optional<std::string> CheckAcyclic(const GraphTemplate& graph, const GraphTopology& topology) {
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    if (topology.Path(node.identifier).count(node.identifier) > 0) {
      errors.push_back(absl::StrCat("Node ", node.identifier, " is not acyclic"));
    }
  }
  if (errors.empty()) return std::nullopt;
  return absl::StrJoin(errors, "\n");
}

std::optional<std::string> CheckInputs(const GraphTemplate& graph, const GraphTopology& topology) {
  std::set<std::string> store_keys(graph.store_config.required_keys.begin(),
                                   graph.store_config.required_keys.end());
  for (auto it = graph.store_config.default_values.begin();
       it != graph.store_config.default_values.end(); ++it) {
    store_keys.insert(it.key());
  }
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    for (auto it = node.inputs.begin(); it != node.inputs.end(); ++it) {
      const Json& value = it.value();
      const std::string shown = PythonStr(value);
      if (!value.is_string()) {
        errors.push_back(absl::StrCat("Input ", shown, " is not a string"));
        continue;
      }
      absl::StatusOr<DependentString> parsed = DependentString::Parse(value.get<std::string>());
      if (!parsed.ok()) {
        errors.push_back(absl::StrCat("Error creating dependent string for input ", shown,
                                      " check syntax string: ", parsed.status().message()));
        continue;
      }
      std::set<std::string> reported_identifiers;
      for (const auto& [identifier, field] : parsed->IdentifierFields()) {
        if (identifier == "store") {
          if (store_keys.count(field) == 0) {
            errors.push_back(absl::StrCat("Input ", shown, " depends on ", field, " but ", field,
                                          " is not a required key or a default value"));
          }
          continue;
        }
        if (!reported_identifiers.insert(identifier).second) continue;
        if (topology.Parents(node.identifier).count(identifier) == 0) {
          errors.push_back(absl::StrCat("Input ", shown, " depends on ", identifier, " but ",
                                        identifier, " is not a parent of ", node.identifier));
        }
      }
    }
  }
  if (errors.empty()) return std::nullopt;
  return absl::StrJoin(errors, "\n");
}

}  // namespace

absl::Status ValidateGraphTemplate(const GraphTemplate& graph) {
  // Field validators: `nodes` (two chained checks, the first failure wins) and `secrets`.
  std::vector<LineError> field_errors;
  std::optional<std::string> nodes_error = CheckUniqueIdentifiers(graph);
  if (!nodes_error.has_value()) nodes_error = CheckNextNodesExist(graph);
  if (nodes_error.has_value()) {
    field_errors.push_back({"nodes", *nodes_error, NodeTemplateListRepr(graph.nodes), "list"});
  }
  for (const auto& [name, value] : graph.secrets) {
    if (name.empty()) {
      field_errors.push_back({"secrets", "Secrets cannot be empty", SecretsRepr(graph), "dict"});
      break;
    }
  }
  if (!field_errors.empty()) return absl::InvalidArgumentError(RenderErrors(field_errors));

  // Model validators, in declaration order; the first failure stops the chain.
  std::optional<GraphTopology> topology;
  std::optional<std::string> model_error = CheckUnites(graph);
  if (!model_error.has_value()) model_error = CheckConnected(graph, topology);
  if (!model_error.has_value()) model_error = CheckAcyclic(graph, *topology);
  if (!model_error.has_value()) model_error = CheckInputs(graph, *topology);
  if (model_error.has_value()) {
    return absl::InvalidArgumentError(
        RenderErrors({{"", *model_error, TemplateArgumentsRepr(graph), "dict"}}));
  }
  return absl::OkStatus();
}

}  // namespace exosphere::devserver
