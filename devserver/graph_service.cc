#include "devserver/graph_service.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "common/log.h"
#include "devserver/cron_expression.h"
#include "devserver/graph_validator.h"
#include "devserver/graph_verifier.h"
#include "devserver/response_json.h"

namespace exosphere::devserver {
namespace {

// TRIGGER_RETENTION_HOURS is irrelevant here; pending records carry no expiry.
absl::Status CreateCronRecords(Tables& tables, const GraphTemplate& graph, absl::Time now) {
  std::set<std::string> expressions;
  for (const CronTrigger& trigger : graph.triggers) expressions.insert(trigger.expression);
  std::vector<CronRecord> records;
  for (const std::string& expression : expressions) {
    absl::StatusOr<CronExpression> cron = CronExpression::Parse(expression);
    if (!cron.ok()) return cron.status();
    absl::StatusOr<absl::Time> next = cron->NextAfter(now);
    if (!next.ok()) return next.status();
    CronRecord record;
    record.id = ids::NewObjectId();
    record.expression = expression;
    record.graph_name = graph.name;
    record.namespace_name = graph.namespace_name;
    record.trigger_time = *next;
    records.push_back(std::move(record));
  }
  for (CronRecord& record : records) {
    // A record for the same slot may already exist (unique index); that is fine.
    tables.InsertCronRecord(std::move(record)).IgnoreError();
  }
  return absl::OkStatus();
}

}  // namespace

GraphService::GraphService(Store& store, TaskRunner& tasks, const Clock& clock,
                           const SecretCipher& cipher, absl::Duration verify_delay)
    : store_(store), tasks_(tasks), clock_(clock), cipher_(cipher), verify_delay_(verify_delay) {}

Json GraphService::RegisterNodes(const std::string& namespace_name,
                                 const RegisterNodesRequest& request) {
  const absl::Time now = clock_.Now();
  store_.Transact([&](Tables& tables) {
    for (const NodeRegistration& registration : request.nodes) {
      const RegisteredNode* existing = tables.FindNode(namespace_name, registration.name);
      RegisteredNode node;
      node.id = existing != nullptr ? existing->id : ids::NewObjectId();
      node.created_at = existing != nullptr ? existing->created_at : now;
      node.updated_at = now;
      node.name = registration.name;
      node.namespace_name = namespace_name;
      node.runtime_name = request.runtime_name;
      node.runtime_namespace = namespace_name;
      node.inputs_schema = registration.inputs_schema;
      node.outputs_schema = registration.outputs_schema;
      node.secrets = registration.secrets;
      tables.PutNode(std::move(node));
    }
  });
  Json registered = Json::array();
  for (const NodeRegistration& registration : request.nodes) {
    Json node = Json::object();
    node["name"] = registration.name;
    node["inputs_schema"] = registration.inputs_schema;
    node["outputs_schema"] = registration.outputs_schema;
    node["secrets"] = registration.secrets;
    registered.push_back(std::move(node));
  }
  Json response = Json::object();
  response["runtime_name"] = request.runtime_name;
  response["registered_nodes"] = std::move(registered);
  EXO_LOG(kInfo, "nodes_registered", "",
          {{"namespace", namespace_name},
           {"runtime", request.runtime_name},
           {"count", absl::StrCat(request.nodes.size())}});
  return response;
}

absl::StatusOr<Json> GraphService::UpsertGraph(const std::string& namespace_name,
                                               const std::string& graph_name,
                                               const UpsertGraphRequest& request) {
  GraphTemplate graph;
  graph.name = graph_name;
  graph.namespace_name = namespace_name;
  graph.nodes = request.nodes;
  for (const auto& [name, value] : request.secrets) {
    absl::StatusOr<std::string> encrypted = cipher_.Encrypt(value);
    if (!encrypted.ok()) return encrypted.status();
    graph.secrets.emplace_back(name, *std::move(encrypted));
  }
  graph.retry_policy = request.retry_policy;
  graph.store_config = request.store_config;
  graph.triggers = request.triggers;
  absl::Status valid = ValidateGraphTemplate(graph);
  if (!valid.ok()) return valid;

  const absl::Time now = clock_.Now();
  Json response = store_.Transact([&](Tables& tables) {
    const GraphTemplate* existing = tables.FindGraph(namespace_name, graph_name);
    if (existing != nullptr) {
      graph.id = existing->id;
      graph.created_at = existing->created_at;
      graph.generation = existing->generation + 1;
      // The state manager drops the pending firings of the old expressions for this graph name;
      // its filter has no namespace condition.
      std::set<std::string> old_expressions;
      for (const CronTrigger& trigger : existing->triggers) {
        old_expressions.insert(trigger.expression);
      }
      std::vector<std::string> doomed;
      for (const CronRecord* record : tables.CronRecords()) {
        if (record->graph_name == graph_name && record->status == CronRecordStatus::kPending &&
            old_expressions.count(record->expression) > 0) {
          doomed.push_back(record->id);
        }
      }
      for (const std::string& id : doomed) tables.DeleteCronRecord(id);
    } else {
      graph.id = ids::NewObjectId();
      graph.created_at = now;
      graph.generation = 1;
    }
    graph.updated_at = now;
    graph.validation_status = ValidationStatus::kPending;
    graph.validation_errors.clear();
    tables.PutGraph(graph);
    return GraphTemplateResponseJson(graph, /*stored_settings=*/true);
  });
  EXO_LOG(kInfo, "graph_upserted", "",
          {{"namespace", namespace_name},
           {"graph", graph_name},
           {"generation", absl::StrCat(graph.generation)}});
  ScheduleVerification(namespace_name, graph_name, graph.generation);
  return response;
}

absl::StatusOr<Json> GraphService::GetGraph(const std::string& namespace_name,
                                            const std::string& graph_name) {
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const GraphTemplate* graph = tables.FindGraph(namespace_name, graph_name);
    if (graph == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("Graph template ", graph_name, " not found in namespace ", namespace_name));
    }
    return GraphTemplateResponseJson(*graph, /*stored_settings=*/false);
  });
}

void GraphService::ResumePendingVerifications() {
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> pending;
  store_.Transact([&](Tables& tables) {
    for (const GraphTemplate* graph : tables.AllGraphs()) {
      if (graph->validation_status == ValidationStatus::kPending) {
        pending.push_back({{graph->namespace_name, graph->name}, graph->generation});
      }
    }
  });
  for (const auto& [key, generation] : pending) {
    ScheduleVerification(key.first, key.second, generation);
  }
}

void GraphService::ScheduleVerification(const std::string& namespace_name,
                                        const std::string& graph_name, int64_t generation) {
  tasks_.PostAt(clock_.Now() + verify_delay_, [this, namespace_name, graph_name, generation] {
    Verify(namespace_name, graph_name, generation);
  });
}

void GraphService::Verify(const std::string& namespace_name, const std::string& graph_name,
                          int64_t generation) {
  const absl::Time now = clock_.Now();
  std::string outcome;
  store_.Transact([&](Tables& tables) {
    const GraphTemplate* stored = tables.FindGraph(namespace_name, graph_name);
    // A newer upsert replaced this version; its own verification will run.
    if (stored == nullptr || stored->generation != generation) return;
    GraphTemplate graph = *stored;
    absl::StatusOr<std::vector<std::string>> errors = VerifyGraph(
        graph, [&tables](const std::string& node_namespace, const std::string& node_name) {
          return tables.FindNode(node_namespace, node_name);
        });
    if (!errors.ok()) {
      graph.validation_status = ValidationStatus::kInvalid;
      graph.validation_errors = {
          absl::StrCat("Validation failed due to unexpected error: ", errors.status().message())};
    } else if (!errors->empty()) {
      graph.validation_status = ValidationStatus::kInvalid;
      graph.validation_errors = *errors;
    } else {
      absl::Status crons = CreateCronRecords(tables, graph, now);
      if (crons.ok()) {
        graph.validation_status = ValidationStatus::kValid;
        graph.validation_errors.clear();
      } else {
        graph.validation_status = ValidationStatus::kInvalid;
        graph.validation_errors = {
            absl::StrCat("Validation failed due to unexpected error: ", crons.message())};
      }
    }
    outcome = std::string(ValidationStatusName(graph.validation_status));
    tables.PutGraph(std::move(graph));
  });
  if (!outcome.empty()) {
    EXO_LOG(kInfo, "graph_verified", "",
            {{"namespace", namespace_name}, {"graph", graph_name}, {"status", outcome}});
  }
}

}  // namespace exosphere::devserver
