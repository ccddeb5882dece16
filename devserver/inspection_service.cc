#include "devserver/inspection_service.h"

#include <algorithm>
#include <limits>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "devserver/naive_time.h"
#include "devserver/response_json.h"

namespace exosphere::devserver {
namespace {

Json GraphNodeJson(const State& state) {
  Json node = Json::object();
  node["id"] = state.id;
  node["node_name"] = state.node_name;
  node["identifier"] = state.identifier;
  node["status"] = std::string(StateStatusName(state.status));
  node["error"] = state.error.has_value() ? Json(*state.error) : Json(nullptr);
  return node;
}

Json ParentsJson(const State& state) {
  Json parents = Json::object();
  for (const auto& [identifier, id] : state.parents) parents[identifier] = id;
  return parents;
}

}  // namespace

Json InspectionService::ListNodes(const std::string& namespace_name) {
  Json nodes = store_.Transact([&](Tables& tables) {
    Json list = Json::array();
    for (const RegisteredNode* node : tables.NodesInNamespace(namespace_name)) {
      list.push_back(RegisteredNodeDocumentJson(*node));
    }
    return list;
  });
  Json response = Json::object();
  response["namespace"] = namespace_name;
  response["count"] = nodes.size();
  response["nodes"] = std::move(nodes);
  return response;
}

Json InspectionService::ListGraphs(const std::string& namespace_name) {
  Json templates = store_.Transact([&](Tables& tables) {
    Json list = Json::array();
    for (const GraphTemplate* graph : tables.GraphsInNamespace(namespace_name)) {
      list.push_back(GraphTemplateDocumentJson(*graph));
    }
    return list;
  });
  Json response = Json::object();
  response["namespace"] = namespace_name;
  response["count"] = templates.size();
  response["templates"] = std::move(templates);
  return response;
}

Json InspectionService::ListNamespaces() {
  std::vector<std::string> namespaces =
      store_.Transact([](Tables& tables) { return tables.NamespacesWithNodes(); });
  Json response = Json::object();
  response["namespaces"] = namespaces;
  response["count"] = namespaces.size();
  return response;
}

absl::StatusOr<Json> InspectionService::Runs(const std::string& namespace_name, int64_t page,
                                             int64_t size) {
  // Mongo rejects a negative skip: the server answers with its generic 500.
  const __int128 wide_skip = (static_cast<__int128>(page) - 1) * size;
  if (wide_skip < 0) return absl::InternalError("negative skip");
  const int64_t skip = wide_skip > std::numeric_limits<int64_t>::max()
                           ? std::numeric_limits<int64_t>::max()
                           : static_cast<int64_t>(wide_skip);
  // A negative limit in Mongo means "at most |limit| documents in one batch".
  const int64_t limit = size < 0 ? -size : size;
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    std::vector<const Run*> runs = tables.RunsNewestFirst(namespace_name);
    Json items = Json::array();
    const size_t first =
        static_cast<size_t>(std::min<int64_t>(skip, static_cast<int64_t>(runs.size())));
    for (size_t i = first; i < runs.size(); ++i) {
      if (limit != 0 && static_cast<int64_t>(items.size()) >= limit) break;
      const Run& run = *runs[i];
      int64_t success = 0;
      int64_t pending = 0;
      int64_t errored = 0;
      int64_t retried = 0;
      const std::vector<std::string>& ids = tables.StateIdsOfRun(run.run_id);
      for (const std::string& id : ids) {
        switch (tables.FindState(id)->status) {
          case StateStatus::kSuccess:
          case StateStatus::kPruned:
            ++success;
            break;
          case StateStatus::kCreated:
          case StateStatus::kQueued:
          case StateStatus::kExecuted:
            ++pending;
            break;
          case StateStatus::kErrored:
          case StateStatus::kNextCreatedError:
            ++errored;
            break;
          case StateStatus::kRetryCreated:
            ++retried;
            break;
        }
      }
      Json item = Json::object();
      item["run_id"] = run.run_id;
      item["graph_name"] = run.graph_name;
      item["success_count"] = success;
      item["pending_count"] = pending;
      item["errored_count"] = errored;
      item["retried_count"] = retried;
      item["total_count"] = ids.size();
      // A run without states reports FAILED (contract 5).
      item["status"] =
          pending > 0 ? "PENDING" : (errored > 0 || ids.empty() ? "FAILED" : "SUCCESS");
      item["created_at"] = FormatNaiveTime(run.created_at);
      items.push_back(std::move(item));
    }
    Json response = Json::object();
    response["namespace"] = namespace_name;
    response["total"] = runs.size();
    response["page"] = page;
    response["size"] = size;
    response["runs"] = std::move(items);
    return response;
  });
}

Json InspectionService::RunGraph(const std::string& namespace_name, const std::string& run_id) {
  return store_.Transact([&](Tables& tables) {
    std::vector<const State*> states;
    for (const std::string& id : tables.StateIdsOfRun(run_id)) {
      const State* state = tables.FindState(id);
      if (state->namespace_name == namespace_name) states.push_back(state);
    }
    Json summary = Json::object();
    for (StateStatus status : kAllStateStatuses) summary[std::string(StateStatusName(status))] = 0;
    Json roots = Json::array();
    Json nodes = Json::array();
    Json edges = Json::array();
    std::map<std::string, bool> present;
    for (const State* state : states) present[state->id] = true;
    for (const State* state : states) {
      nodes.push_back(GraphNodeJson(*state));
      summary[std::string(StateStatusName(state->status))] =
          summary[std::string(StateStatusName(state->status))].get<int64_t>() + 1;
      if (state->parents.empty()) {
        roots.push_back(GraphNodeJson(*state));
        continue;
      }
      // Only the direct parent (the last entry) becomes an edge, if it is in this view.
      const std::string& parent_id = state->parents.back().second;
      if (present.count(parent_id) > 0) {
        Json edge = Json::object();
        edge["source"] = parent_id;
        edge["target"] = state->id;
        edges.push_back(std::move(edge));
      }
    }
    const size_t node_count = nodes.size();
    const size_t edge_count = edges.size();
    Json response = Json::object();
    response["root_states"] = std::move(roots);
    response["graph_name"] = states.empty() ? std::string() : states.front()->graph_name;
    response["nodes"] = std::move(nodes);
    response["edges"] = std::move(edges);
    response["node_count"] = node_count;
    response["edge_count"] = edge_count;
    response["execution_summary"] = std::move(summary);
    return response;
  });
}

absl::StatusOr<Json> InspectionService::NodeRunDetails(const std::string& namespace_name,
                                                       const std::string& graph_name,
                                                       const std::string& run_id,
                                                       const std::string& node_id) {
  if (!ids::IsObjectId(node_id)) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid node ID format: ", node_id));
  }
  const std::string id = absl::AsciiStrToLower(node_id);
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const State* state = tables.FindState(id);
    if (state == nullptr || state->run_id != run_id || state->graph_name != graph_name ||
        state->namespace_name != namespace_name) {
      return absl::NotFoundError(
          absl::StrCat("Node ", node_id, " not found in run ", run_id, " for graph ", graph_name));
    }
    Json response = Json::object();
    response["id"] = state->id;
    response["node_name"] = state->node_name;
    response["identifier"] = state->identifier;
    response["graph_name"] = state->graph_name;
    response["run_id"] = state->run_id;
    response["status"] = std::string(StateStatusName(state->status));
    response["inputs"] = state->inputs;
    response["outputs"] = state->outputs;
    response["error"] = state->error.has_value() ? Json(*state->error) : Json(nullptr);
    response["parents"] = ParentsJson(*state);
    response["created_at"] = FormatNaiveTime(state->created_at);
    response["updated_at"] = FormatNaiveTime(state->updated_at);
    return response;
  });
}

}  // namespace exosphere::devserver
