#include "devserver/graph_verifier.h"

#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/status_macros.h"
#include "devserver/dependent_string.h"
#include "devserver/node_schema.h"
#include "devserver/python_repr.h"

namespace exosphere::devserver {
namespace {

std::vector<std::string> VerifyNodesExist(const GraphTemplate& graph,
                                          const RegisteredNodeLookup& lookup) {
  std::vector<std::string> errors;
  std::set<std::pair<std::string, std::string>> reported;
  for (const NodeTemplate& node : graph.nodes) {
    if (lookup(node.namespace_name, node.node_name) != nullptr) continue;
    if (!reported.emplace(node.node_name, node.namespace_name).second) continue;
    errors.push_back(absl::StrCat("Node ", node.node_name, " in namespace ", node.namespace_name,
                                  " does not exist."));
  }
  return errors;
}

std::vector<std::string> VerifySecrets(const GraphTemplate& graph,
                                       const RegisteredNodeLookup& lookup) {
  std::set<std::string> present;
  for (const auto& [name, value] : graph.secrets) present.insert(name);
  std::vector<std::string> errors;
  std::set<std::string> reported;
  for (const NodeTemplate& node : graph.nodes) {
    const RegisteredNode* registered = lookup(node.namespace_name, node.node_name);
    if (registered == nullptr) continue;
    for (const std::string& secret : registered->secrets) {
      if (present.count(secret) > 0 || !reported.insert(secret).second) continue;
      errors.push_back(
          absl::StrCat("Secret ", secret, " is required but not present in the graph template"));
    }
  }
  return errors;
}

absl::StatusOr<std::vector<std::string>> VerifyInputs(const GraphTemplate& graph,
                                                      const RegisteredNodeLookup& lookup) {
  std::vector<std::string> errors;
  for (const NodeTemplate& node : graph.nodes) {
    const RegisteredNode* registered = lookup(node.namespace_name, node.node_name);
    if (registered == nullptr) {
      errors.push_back(absl::StrCat("Node ", node.node_name, " in namespace ", node.namespace_name,
                                    " does not exist"));
      continue;
    }
    EXO_ASSIGN_OR_RETURN(auto fields, SchemaProperties(registered->inputs_schema));
    for (const auto& [name, schema] : fields) {
      if (!IsPlainStringSchema(*schema)) {
        errors.push_back(absl::StrCat("Input ", name, " in node ", node.node_name, " in namespace ",
                                      node.namespace_name, " is not a string"));
        continue;
      }
      if (FindMember(node.inputs, name) == nullptr) {
        errors.push_back(absl::StrCat("Input ", name, " in node ", node.node_name, " in namespace ",
                                      node.namespace_name,
                                      " is not present in the graph template"));
      }
    }
    for (auto it = node.inputs.begin(); it != node.inputs.end(); ++it) {
      if (!it.value().is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Input ", PythonStr(it.value()), " is not a string"));
      }
      EXO_ASSIGN_OR_RETURN(DependentString dependent,
                           DependentString::Parse(it.value().get<std::string>()));
      for (const auto& [identifier, field] : dependent.IdentifierFields()) {
        if (identifier == "store") continue;
        const NodeTemplate* source = graph.FindNode(identifier);
        if (source == nullptr) {
          errors.push_back(
              absl::StrCat("Node ", identifier, " does not exist in the graph template"));
          continue;
        }
        const RegisteredNode* source_registered = lookup(source->namespace_name, source->node_name);
        if (source_registered == nullptr) {
          errors.push_back(absl::StrCat("Node ", source->node_name, " in namespace ",
                                        source->namespace_name, " does not exist"));
          continue;
        }
        EXO_ASSIGN_OR_RETURN(auto outputs, SchemaProperties(source_registered->outputs_schema));
        const Json* output_schema = nullptr;
        for (const auto& [output_name, schema] : outputs) {
          if (output_name == field) output_schema = schema;
        }
        if (output_schema == nullptr) {
          errors.push_back(absl::StrCat("Field ", field, " in node ", source->node_name,
                                        " in namespace ", source->namespace_name,
                                        " does not exist"));
          continue;
        }
        if (!IsPlainStringSchema(*output_schema)) {
          errors.push_back(absl::StrCat("Field ", field, " in node ", source->node_name,
                                        " in namespace ", source->namespace_name,
                                        " is not a string"));
        }
      }
    }
  }
  return errors;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> VerifyGraph(const GraphTemplate& graph,
                                                     const RegisteredNodeLookup& lookup) {
  std::vector<std::string> errors = VerifyNodesExist(graph, lookup);
  std::vector<std::string> secret_errors = VerifySecrets(graph, lookup);
  errors.insert(errors.end(), secret_errors.begin(), secret_errors.end());
  EXO_ASSIGN_OR_RETURN(std::vector<std::string> input_errors, VerifyInputs(graph, lookup));
  errors.insert(errors.end(), input_errors.begin(), input_errors.end());
  return errors;
}

}  // namespace exosphere::devserver
