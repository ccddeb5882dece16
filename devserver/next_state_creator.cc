#include "devserver/next_state_creator.h"

#include <map>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "common/log.h"
#include "devserver/dependent_string.h"
#include "devserver/node_schema.h"
#include "devserver/python_repr.h"
#include "devserver/unites_readiness.h"

namespace exosphere::devserver {
namespace {

constexpr absl::Duration kWaitForValid = absl::Seconds(300);
constexpr absl::Duration kPollInterval = absl::Seconds(1);

// Python's str(KeyError(text)) is repr(text).
absl::Status KeyError(const std::string& text) {
  return absl::InvalidArgumentError(PythonStringRepr(text));
}

// The state manager's per-run step, over one transaction's view of the tables.
class Step {
 public:
  Step(Tables& tables, const NextStateCreator::Task& task, const GraphTemplate& graph,
       absl::Time now)
      : tables_(tables), task_(task), graph_(graph), now_(now) {
    for (const auto& [identifier, id] : task.parents) {
      if (const State* parent = tables.FindState(id)) parents_[parent->identifier] = parent;
    }
  }

  // Registered input fields of `node` (the keys of the next state's inputs).
  absl::StatusOr<std::vector<std::string>> InputFields(const NodeTemplate& node) {
    const RegisteredNode* registered = tables_.FindNode(node.namespace_name, node.node_name);
    if (registered == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Registered node not found for node name: ", node.node_name,
                       " and namespace: ", node.namespace_name));
    }
    absl::StatusOr<std::vector<std::pair<std::string, const Json*>>> properties =
        SchemaProperties(registered->inputs_schema);
    if (!properties.ok()) return properties.status();
    std::vector<std::string> fields;
    for (const auto& [name, schema] : *properties) fields.push_back(name);
    return fields;
  }

  absl::Status ValidateDependencies(const NodeTemplate& next,
                                    const std::vector<std::string>& fields) {
    for (const std::string& field : fields) {
      const Json* input = FindMember(next.inputs, field);
      if (input == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Field '", field, "' not found in inputs for template '", next.identifier, "'"));
      }
      absl::StatusOr<DependentString> parsed = ParseInput(*input);
      if (!parsed.ok()) return parsed.status();
      for (const DependentString::Dependent& dependent : parsed->dependents()) {
        if (dependent.identifier == "store") continue;
        if (dependent.identifier == task_.identifier) continue;
        auto parent = parents_.find(dependent.identifier);
        if (parent == parents_.end()) {
          return KeyError(absl::StrCat("Identifier '", dependent.identifier,
                                       "' not found in parents for template '", next.identifier,
                                       "'"));
        }
        if (FindMember(parent->second->outputs, dependent.field) == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("Output field '", dependent.field, "' not found on state '",
                           dependent.identifier, "' for template '", next.identifier, "'"));
        }
      }
    }
    return absl::OkStatus();
  }

  // generate_next_state: the new state for template `next` continuing from `current`.
  absl::StatusOr<State> Generate(const NodeTemplate& next, const std::vector<std::string>& fields,
                                 const State& current) {
    Json inputs = Json::object();
    for (const std::string& field : fields) {
      const Json* input = FindMember(next.inputs, field);
      if (input == nullptr) return KeyError(field);
      absl::StatusOr<DependentString> parsed = ParseInput(*input);
      if (!parsed.ok()) return parsed.status();
      std::map<DependentString::Key, Json> values;
      for (const auto& [identifier, name] : parsed->IdentifierFields()) {
        if (identifier == "store") {
          absl::StatusOr<std::string> value = StoreValue(current.run_id, name);
          if (!value.ok()) return value.status();
          values[{identifier, name}] = *value;
        } else if (identifier == current.identifier) {
          const Json* output = FindMember(current.outputs, name);
          if (output == nullptr) {
            return absl::InvalidArgumentError(
                absl::StrCat("Output field '", name, "' not found on current state '",
                             current.identifier, "' for template '", next.identifier, "'"));
          }
          values[{identifier, name}] = *output;
        } else {
          auto parent = parents_.find(identifier);
          if (parent == parents_.end()) return KeyError(identifier);
          const Json* output = FindMember(parent->second->outputs, name);
          if (output == nullptr) return KeyError(name);
          values[{identifier, name}] = *output;
        }
      }
      absl::StatusOr<std::string> rendered = parsed->Render(values);
      if (!rendered.ok()) return rendered.status();
      inputs[field] = *std::move(rendered);
    }
    State state;
    state.id = ids::NewObjectId();
    state.node_name = next.node_name;
    state.identifier = next.identifier;
    state.namespace_name = next.namespace_name;
    state.graph_name = current.graph_name;
    state.run_id = current.run_id;
    state.status = StateStatus::kCreated;
    state.parents = current.parents;
    bool replaced = false;
    for (auto& [identifier, id] : state.parents) {
      if (identifier == current.identifier) {
        id = current.id;
        replaced = true;
      }
    }
    if (!replaced) state.parents.emplace_back(current.identifier, current.id);
    state.inputs = std::move(inputs);
    state.does_unites = next.unites.has_value();
    state.enqueue_after = ToEpochMillis(now_);
    state.fanout_id = ids::NewUuid4();
    state.created_at = now_;
    state.updated_at = now_;
    return state;
  }

  // check_unites_satisfied for unite node `next`.
  absl::StatusOr<bool> UnitesSatisfied(const NodeTemplate& next) {
    const std::string& target = next.unites->identifier;
    const std::string* target_id = nullptr;
    for (const auto& [identifier, id] : task_.parents) {
      if (identifier == target) target_id = &id;
    }
    if (target_id == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Unit identifier not found in parents: ", target));
    }
    for (const std::string& id : tables_.DescendantIds(*target_id)) {
      const State* state = tables_.FindState(id);
      if (state == nullptr || state->namespace_name != task_.namespace_name ||
          state->graph_name != task_.graph_name) {
        continue;
      }
      const std::string* recorded = state->FindParent(target);
      if (recorded == nullptr || *recorded != *target_id) continue;
      if (UnitesBlockedBy(next.unites->strategy, state->status)) return false;
    }
    return true;
  }

  const State* Parent(const std::string& identifier) const {
    auto it = parents_.find(identifier);
    return it == parents_.end() ? nullptr : it->second;
  }

 private:
  static absl::StatusOr<DependentString> ParseInput(const Json& input) {
    if (!input.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Input ", PythonStr(input), " is not a string"));
    }
    return DependentString::Parse(input.get<std::string>());
  }

  absl::StatusOr<std::string> StoreValue(const std::string& run_id, const std::string& key) {
    const std::string* stored =
        tables_.FindStoreValue(run_id, task_.namespace_name, task_.graph_name, key);
    if (stored != nullptr) return *stored;
    const Json* fallback = FindMember(graph_.store_config.default_values, key);
    if (fallback != nullptr && fallback->is_string()) return fallback->get<std::string>();
    return absl::InvalidArgumentError(absl::StrCat("Store value not found for field '", key,
                                                   "' in namespace '", task_.namespace_name,
                                                   "' and graph '", task_.graph_name, "'"));
  }

  Tables& tables_;
  const NextStateCreator::Task& task_;
  const GraphTemplate& graph_;
  const absl::Time now_;
  // Ancestor states of the executed state, by identifier.
  std::map<std::string, const State*> parents_;
};

void SetStatus(Tables& tables, const std::vector<std::string>& ids, StateStatus status,
               const std::optional<std::string>& error) {
  for (const std::string& id : ids) {
    const State* stored = tables.FindState(id);
    if (stored == nullptr) continue;
    State state = *stored;
    state.status = status;
    if (error.has_value()) state.error = *error;
    tables.PutState(state);
  }
}

}  // namespace

void NextStateCreator::Schedule(Task task) {
  tasks_.Post([this, task = std::move(task)] {
    if (Run(task)) {
      tasks_.PostAt(clock_.Now() + kPollInterval, [this, task] { Schedule(task); });
    }
  });
}

void NextStateCreator::ResumeExecutedStates() {
  std::vector<Task> pending;
  const absl::Time now = clock_.Now();
  store_.Transact([&](Tables& tables) {
    for (const std::string& id : tables.StateIdsWithStatus(StateStatus::kExecuted)) {
      const State* state = tables.FindState(id);
      pending.push_back(Task{
          {id}, state->identifier, state->namespace_name, state->graph_name, state->parents, now});
    }
  });
  for (Task& task : pending) Schedule(std::move(task));
}

bool NextStateCreator::Run(const Task& task) {
  const absl::Time now = clock_.Now();
  std::string failure;
  const bool retry = store_.Transact([&](Tables& tables) {
    auto fail = [&](const absl::Status& status) {
      failure = std::string(status.message());
      SetStatus(tables, task.state_ids, StateStatus::kNextCreatedError, failure);
      return false;
    };
    const GraphTemplate* stored = tables.FindGraph(task.namespace_name, task.graph_name);
    if (stored == nullptr) return fail(absl::NotFoundError("404: Graph template not found"));
    if (stored->validation_status == ValidationStatus::kPending) {
      if (now - task.first_attempt < kWaitForValid) return true;
      return fail(absl::InvalidArgumentError(
          absl::StrCat("Graph template is not valid for namespace: ", task.namespace_name,
                       " and graph name: ", task.graph_name, " after 300.0 seconds")));
    }
    if (stored->validation_status != ValidationStatus::kValid) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "Graph template is in a non-validating state: ",
          ValidationStatusName(stored->validation_status), " for namespace: ", task.namespace_name,
          " and graph name: ", task.graph_name)));
    }
    // Work on a copy: PutState/InsertState below must not invalidate what we read.
    const GraphTemplate graph = *stored;
    const NodeTemplate* current_template = graph.FindNode(task.identifier);
    if (current_template == nullptr) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("Current state node template not found for identifier: ", task.identifier)));
    }
    if (!current_template->next_nodes.has_value() || current_template->next_nodes->empty()) {
      SetStatus(tables, task.state_ids, StateStatus::kSuccess, std::nullopt);
      return false;
    }
    std::vector<State> current_states;
    for (const std::string& id : task.state_ids) {
      if (const State* state = tables.FindState(id)) current_states.push_back(*state);
    }
    Step step(tables, task, graph, now);
    std::vector<State> new_states;
    std::vector<const NodeTemplate*> pending_unites;
    for (const std::string& next_identifier : *current_template->next_nodes) {
      const NodeTemplate* next = graph.FindNode(next_identifier);
      if (next == nullptr) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("Next state node template not found for identifier: ", next_identifier)));
      }
      if (next->unites.has_value()) {
        pending_unites.push_back(next);
        continue;
      }
      absl::StatusOr<std::vector<std::string>> fields = step.InputFields(*next);
      if (!fields.ok()) return fail(fields.status());
      absl::Status dependencies = step.ValidateDependencies(*next, *fields);
      if (!dependencies.ok()) return fail(dependencies);
      for (const State& current : current_states) {
        absl::StatusOr<State> state = step.Generate(*next, *fields, current);
        if (!state.ok()) return fail(state.status());
        new_states.push_back(*std::move(state));
      }
    }
    for (State& state : new_states) {
      absl::Status inserted = tables.InsertState(std::move(state));
      if (!inserted.ok()) return fail(inserted);
    }
    SetStatus(tables, task.state_ids, StateStatus::kSuccess, std::nullopt);

    std::vector<State> unite_states;
    for (const NodeTemplate* next : pending_unites) {
      absl::StatusOr<bool> satisfied = step.UnitesSatisfied(*next);
      if (!satisfied.ok()) return fail(satisfied.status());
      if (!*satisfied) continue;
      absl::StatusOr<std::vector<std::string>> fields = step.InputFields(*next);
      if (!fields.ok()) return fail(fields.status());
      absl::Status dependencies = step.ValidateDependencies(*next, *fields);
      if (!dependencies.ok()) return fail(dependencies);
      const State* target = step.Parent(next->unites->identifier);
      if (target == nullptr) return fail(KeyError(next->unites->identifier));
      absl::StatusOr<State> state = step.Generate(*next, *fields, *target);
      if (!state.ok()) return fail(state.status());
      unite_states.push_back(*std::move(state));
    }
    for (State& state : unite_states) {
      // A concurrent check may have created it already (fingerprint); that is expected.
      if (!tables.InsertState(std::move(state)).ok()) break;
    }
    return false;
  });
  if (!failure.empty()) {
    EXO_LOG(kWarning, "next_states_failed", failure,
            {{"namespace", task.namespace_name},
             {"graph", task.graph_name},
             {"state_id", task.state_ids.front()}});
  }
  return retry;
}

}  // namespace exosphere::devserver
