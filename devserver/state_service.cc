#include "devserver/state_service.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "devserver/naive_time.h"
#include "devserver/retry_delay.h"

namespace exosphere::devserver {
namespace {

absl::Status StateNotFound() { return absl::NotFoundError("State not found"); }

}  // namespace

Json StateService::Enqueue(const std::string& namespace_name, const EnqueueRequest& request) {
  const int64_t now_ms = ToEpochMillis(clock_.Now());
  Json states = Json::array();
  store_.Transact([&](Tables& tables) {
    for (const std::string& id :
         tables.ClaimStates(namespace_name, request.nodes, now_ms, request.batch_size)) {
      const State* state = tables.FindState(id);
      Json item = Json::object();
      item["state_id"] = state->id;
      item["node_name"] = state->node_name;
      item["identifier"] = state->identifier;
      item["inputs"] = state->inputs;
      item["created_at"] = FormatNaiveTime(state->created_at);
      states.push_back(std::move(item));
    }
  });
  Json response = Json::object();
  response["count"] = states.size();
  response["namespace"] = namespace_name;
  response["status"] = "QUEUED";
  response["states"] = std::move(states);
  return response;
}

absl::StatusOr<Json> StateService::Executed(const std::string& namespace_name,
                                            const std::string& state_id,
                                            const ExecutedRequest& request) {
  const absl::Time now = clock_.Now();
  // The path namespace is not checked against the state (contract 2.6).
  absl::StatusOr<NextStateCreator::Task> task =
      store_.Transact([&](Tables& tables) -> absl::StatusOr<NextStateCreator::Task> {
        const State* stored = tables.FindState(state_id);
        if (stored == nullptr) return StateNotFound();
        if (stored->status != StateStatus::kQueued) {
          return absl::InvalidArgumentError("State is not queued");
        }
        State state = *stored;
        state.status = StateStatus::kExecuted;
        state.outputs = request.outputs.empty() ? Json::object() : request.outputs[0];
        state.updated_at = now;
        tables.PutState(state);
        NextStateCreator::Task next{{state.id},       state.identifier, state.namespace_name,
                                    state.graph_name, state.parents,    now};
        for (size_t i = 1; i < request.outputs.size(); ++i) {
          State sibling;
          sibling.id = ids::NewObjectId();
          sibling.node_name = state.node_name;
          sibling.namespace_name = state.namespace_name;
          sibling.identifier = state.identifier;
          sibling.graph_name = state.graph_name;
          sibling.run_id = state.run_id;
          sibling.status = StateStatus::kExecuted;
          sibling.inputs = state.inputs;
          sibling.outputs = request.outputs[i];
          sibling.parents = state.parents;
          sibling.does_unites = false;
          sibling.enqueue_after = ToEpochMillis(now);
          sibling.retry_count = 0;
          sibling.fanout_id = ids::NewUuid4();
          sibling.created_at = now;
          sibling.updated_at = now;
          next.state_ids.push_back(sibling.id);
          absl::Status inserted = tables.InsertState(std::move(sibling));
          if (!inserted.ok()) return absl::InternalError(inserted.message());
        }
        return next;
      });
  if (!task.ok()) return task.status();
  next_states_.Schedule(*std::move(task));
  Json response = Json::object();
  response["status"] = "EXECUTED";
  return response;
}

absl::StatusOr<Json> StateService::Errored(const std::string& namespace_name,
                                           const std::string& state_id,
                                           const ErroredRequest& request) {
  const absl::Time now = clock_.Now();
  absl::BitGen bitgen;
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const State* stored = tables.FindState(state_id);
    if (stored == nullptr) return StateNotFound();
    if (stored->status != StateStatus::kQueued && stored->status != StateStatus::kExecuted) {
      return absl::InvalidArgumentError("State is not queued or executed");
    }
    if (stored->status == StateStatus::kExecuted) {
      return absl::InvalidArgumentError("State is already executed");
    }
    // The template is looked up in the PATH namespace (contract 2.7).
    const GraphTemplate* graph = tables.FindGraph(namespace_name, stored->graph_name);
    if (graph == nullptr) return absl::NotFoundError("Graph template not found");
    State state = *stored;
    bool retry_created = false;
    if (state.retry_count < graph->retry_policy.max_retries) {
      State retry;
      retry.id = ids::NewObjectId();
      retry.node_name = state.node_name;
      retry.namespace_name = state.namespace_name;
      retry.identifier = state.identifier;
      retry.graph_name = state.graph_name;
      retry.run_id = state.run_id;
      retry.status = StateStatus::kCreated;
      retry.inputs = state.inputs;
      retry.parents = state.parents;
      retry.does_unites = state.does_unites;
      retry.fanout_id = state.fanout_id;
      retry.retry_count = state.retry_count + 1;
      retry.enqueue_after = SaturatingAdd(
          ToEpochMillis(now), RetryDelayMs(graph->retry_policy, retry.retry_count, bitgen));
      retry.created_at = now;
      retry.updated_at = now;
      // A duplicate (a retry already exists) still counts as retry_created (contract 4.8).
      tables.InsertState(std::move(retry)).IgnoreError();
      state.status = StateStatus::kRetryCreated;
      retry_created = true;
    } else {
      state.status = StateStatus::kErrored;
    }
    state.error = request.error;
    state.updated_at = now;
    tables.PutState(state);
    Json response = Json::object();
    response["status"] = "ERRORED";
    response["retry_created"] = retry_created;
    return response;
  });
}

absl::StatusOr<Json> StateService::Prune(const std::string& namespace_name,
                                         const std::string& state_id, const PruneRequest& request) {
  const absl::Time now = clock_.Now();
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const State* stored = tables.FindState(state_id);
    if (stored == nullptr) return StateNotFound();
    if (stored->status != StateStatus::kQueued) {
      return absl::InvalidArgumentError("State is not queued");
    }
    State state = *stored;
    state.status = StateStatus::kPruned;
    state.data = request.data;
    state.updated_at = now;
    tables.PutState(state);
    Json response = Json::object();
    response["enqueue_after"] = state.enqueue_after;
    response["status"] = "PRUNED";
    return response;
  });
}

absl::StatusOr<Json> StateService::ReEnqueueAfter(const std::string& namespace_name,
                                                  const std::string& state_id,
                                                  const ReEnqueueAfterRequest& request) {
  const absl::Time now = clock_.Now();
  // No status and no namespace check (contract 2.9).
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const State* stored = tables.FindState(state_id);
    if (stored == nullptr) return StateNotFound();
    State state = *stored;
    state.status = StateStatus::kCreated;
    state.enqueue_after = SaturatingAdd(ToEpochMillis(now), request.enqueue_after);
    state.updated_at = now;
    tables.PutState(state);
    Json response = Json::object();
    response["enqueue_after"] = state.enqueue_after;
    response["status"] = "CREATED";
    return response;
  });
}

absl::StatusOr<Json> StateService::ManualRetry(const std::string& namespace_name,
                                               const std::string& state_id,
                                               const ManualRetryRequest& request) {
  const absl::Time now = clock_.Now();
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const State* stored = tables.FindState(state_id);
    if (stored == nullptr || stored->namespace_name != namespace_name) return StateNotFound();
    State retry;
    retry.id = ids::NewObjectId();
    retry.node_name = stored->node_name;
    retry.namespace_name = stored->namespace_name;
    retry.identifier = stored->identifier;
    retry.graph_name = stored->graph_name;
    retry.run_id = stored->run_id;
    retry.status = StateStatus::kCreated;
    retry.inputs = stored->inputs;
    retry.parents = stored->parents;
    retry.does_unites = stored->does_unites;
    retry.retry_count = 0;
    retry.fanout_id = request.fanout_id;
    retry.manual_retry_fanout_id = request.fanout_id;
    retry.enqueue_after = ToEpochMillis(now);
    retry.created_at = now;
    retry.updated_at = now;
    const std::string retry_id = retry.id;
    if (!tables.InsertState(std::move(retry)).ok()) {
      return absl::AlreadyExistsError("Duplicate retry state detected");
    }
    State original = *tables.FindState(state_id);
    original.status = StateStatus::kRetryCreated;
    original.updated_at = now;
    tables.PutState(original);
    Json response = Json::object();
    response["id"] = retry_id;
    response["status"] = "CREATED";
    return response;
  });
}

absl::StatusOr<Json> StateService::Secrets(const std::string& namespace_name,
                                           const std::string& state_id) {
  return store_.Transact([&](Tables& tables) -> absl::StatusOr<Json> {
    const State* state = tables.FindState(state_id);
    if (state == nullptr) return StateNotFound();
    if (state->namespace_name != namespace_name) {
      return absl::PermissionDeniedError("State belongs to another namespace");
    }
    const GraphTemplate* graph = tables.FindGraph(namespace_name, state->graph_name);
    if (graph == nullptr) return absl::NotFoundError("Graph template not found");
    Json secrets = Json::object();
    for (const auto& [name, encrypted] : graph->secrets) {
      absl::StatusOr<std::string> value = cipher_.Decrypt(encrypted);
      if (!value.ok()) return value.status();
      secrets[name] = *std::move(value);
    }
    Json response = Json::object();
    response["secrets"] = std::move(secrets);
    return response;
  });
}

}  // namespace exosphere::devserver
