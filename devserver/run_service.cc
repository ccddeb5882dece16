#include "devserver/run_service.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "common/log.h"
#include "devserver/dependent_string.h"
#include "devserver/graph_topology.h"
#include "devserver/python_repr.h"

namespace exosphere::devserver {
namespace {

// Builds the root state's inputs (4.5): template inputs overridden by request inputs, each value
// resolved against the request store and the store defaults.
absl::StatusOr<Json> BuildRootInputs(const GraphTemplate& graph, const NodeTemplate& root,
                                     const TriggerRequest& request) {
  Json inputs = Json::object();
  for (auto it = root.inputs.begin(); it != root.inputs.end(); ++it) {
    const Json* supplied = FindMember(request.inputs, it.key());
    const Json& value = supplied != nullptr ? *supplied : it.value();
    if (!value.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid input: Input ", PythonStr(value), " is not a string"));
    }
    absl::StatusOr<DependentString> parsed = DependentString::Parse(value.get<std::string>());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid input: ", parsed.status().message()));
    }
    std::map<DependentString::Key, Json> values;
    for (const auto& [identifier, field] : parsed->IdentifierFields()) {
      if (identifier != "store") {
        // The state manager raises an HTTPException inside a try block that wraps it again,
        // hence the nested "400: ".
        return absl::InvalidArgumentError(absl::StrCat(
            "Invalid input: 400: Root node can have only store identifier as dependent but got ",
            identifier));
      }
      const Json* stored = FindMember(request.store, field);
      const Json* fallback = FindMember(graph.store_config.default_values, field);
      if (stored != nullptr) {
        values[{identifier, field}] = *stored;
      } else if (fallback != nullptr) {
        values[{identifier, field}] = *fallback;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("Invalid input: 400: Dependent ", field,
                                                       " not found in store for root node ",
                                                       root.identifier));
      }
    }
    absl::StatusOr<std::string> rendered = parsed->Render(values);
    if (!rendered.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid input: ", rendered.status().message()));
    }
    inputs[it.key()] = *std::move(rendered);
  }
  return inputs;
}

}  // namespace

absl::StatusOr<Json> RunService::Trigger(const std::string& namespace_name,
                                         const std::string& graph_name,
                                         const TriggerRequest& request) {
  const absl::Time now = clock_.Now();
  absl::StatusOr<Json> result = store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const GraphTemplate* graph = tables.FindGraph(namespace_name, graph_name);
    if (graph == nullptr) {
      return absl::NotFoundError(absl::StrCat("Graph template not found for namespace ",
                                              namespace_name, " and graph ", graph_name));
    }
    if (graph->validation_status != ValidationStatus::kValid) {
      return absl::InvalidArgumentError("Graph template is not valid");
    }
    absl::StatusOr<const NodeTemplate*> root = GraphTopology::FindRoot(graph->nodes);
    if (!root.ok()) return absl::InternalError(root.status().message());
    absl::StatusOr<Json> inputs = BuildRootInputs(*graph, **root, request);
    if (!inputs.ok()) return inputs.status();
    std::vector<std::string> missing;
    for (const std::string& key : graph->store_config.required_keys) {
      if (FindMember(request.store, key) == nullptr) missing.push_back(key);
    }
    if (!missing.empty()) {
      std::sort(missing.begin(), missing.end());
      return absl::InvalidArgumentError(
          absl::StrCat("Missing store keys: ", PythonSetRepr(missing)));
    }

    Run run;
    run.run_id = ids::NewUuid4();
    run.graph_name = graph_name;
    run.namespace_name = namespace_name;
    run.created_at = now;
    for (auto it = request.store.begin(); it != request.store.end(); ++it) {
      tables.PutStoreValue(
          {run.run_id, namespace_name, graph_name, it.key(), it.value().get<std::string>()});
    }
    State state;
    state.id = ids::NewObjectId();
    state.node_name = (*root)->node_name;
    state.namespace_name = namespace_name;
    state.identifier = (*root)->identifier;
    state.graph_name = graph_name;
    state.run_id = run.run_id;
    state.status = StateStatus::kCreated;
    state.inputs = *std::move(inputs);
    state.enqueue_after = SaturatingAdd(ToEpochMillis(now), request.start_delay);
    state.fanout_id = ids::NewUuid4();
    state.created_at = now;
    state.updated_at = now;
    absl::Status inserted = tables.InsertState(std::move(state));
    if (!inserted.ok()) return absl::InternalError(inserted.message());
    tables.InsertRun(run);
    Json response = Json::object();
    response["status"] = "CREATED";
    response["run_id"] = run.run_id;
    return response;
  });
  if (result.ok()) {
    EXO_LOG(kInfo, "run_triggered", "",
            {{"namespace", namespace_name},
             {"graph", graph_name},
             {"run_id", (*result)["run_id"].get_ref<const std::string&>()}});
  }
  return result;
}

}  // namespace exosphere::devserver
