#include "sidecar/core/worker_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/log.h"
#include "sidecar/core/worker_messages.h"

namespace exosphere::sidecar {

namespace {

std::string DescribeFields(const std::vector<std::string>& fields) {
  return absl::StrCat("[", absl::StrJoin(fields, ", "), "]");
}

// Says how two definitions of a node differ, for the conflict error.
std::string DescribeDifference(const NodeSpec& served, const NodeSpec& offered) {
  if (served.input_fields != offered.input_fields) {
    return absl::StrCat("input fields ", DescribeFields(offered.input_fields), " vs ",
                        DescribeFields(served.input_fields));
  }
  if (served.output_fields != offered.output_fields) {
    return absl::StrCat("output fields ", DescribeFields(offered.output_fields), " vs ",
                        DescribeFields(served.output_fields));
  }
  if (served.secret_fields != offered.secret_fields) {
    return absl::StrCat("secret fields ", DescribeFields(offered.secret_fields), " vs ",
                        DescribeFields(served.secret_fields));
  }
  return "different JSON schemas";
}

}  // namespace

int64_t RegisteredWorker::FreeSlots() const {
  return std::max<int64_t>(0, int64_t{slots} - in_flight);
}

absl::StatusOr<RegisteredWorker*> WorkerRegistry::Add(WorkerSpec spec, WorkerSink* sink,
                                                      uint32_t max_message_bytes,
                                                      RouterEffects& effects) {
  auto& served_in_ns = served_[spec.ns];
  for (const auto& node : spec.nodes) {
    auto it = served_in_ns.find(node->name);
    if (it == served_in_ns.end()) continue;
    const ServedNode& served = it->second;
    const std::string& other = served.worker_ids.front();
    if (served.runtime_name != spec.runtime_name) {
      return absl::FailedPreconditionError(
          absl::StrCat("node \"", node->name, "\" in namespace \"", spec.ns,
                       "\" is already served by runtime \"", served.runtime_name, "\" (worker ",
                       other, "); a node name belongs to one runtime per namespace"));
    }
    if (!served.spec->SameDefinition(*node)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node \"", node->name, "\" in namespace \"", spec.ns, "\" is already served by worker ",
          other, " with a different definition: ", DescribeDifference(*served.spec, *node),
          "; give the new definition another node name or stop the old workers"));
    }
  }

  auto worker = std::make_unique<RegisteredWorker>();
  worker->id = absl::StrCat("w-", next_worker_number_++);
  worker->sink = sink;
  worker->slots = spec.slots;
  for (const auto& node : spec.nodes) {
    worker->nodes.emplace(node->name, node);
    ServedNode& served = served_in_ns[node->name];
    if (served.worker_ids.empty()) {
      served.runtime_name = spec.runtime_name;
      served.spec = node;
    }
    served.worker_ids.push_back(worker->id);
  }

  Runtime& runtime = runtimes_[spec.ns][spec.runtime_name];
  bool changed = false;
  for (const auto& node : spec.nodes) {
    auto it = runtime.requested.find(node->name);
    if (it == runtime.requested.end() || !it->second->SameDefinition(*node)) changed = true;
  }
  if (changed) RequestRegistration(spec.ns, spec.runtime_name, runtime, effects);
  worker->join_generation = runtime.generation;
  worker->registered = runtime.registered_generation >= worker->join_generation;
  worker->spec = std::move(spec);

  RegisteredWorker& added = *worker;
  workers_.emplace(added.id, std::move(worker));
  effects.Send(added.sink, WelcomeMessage(added.id, added.spec.ns, max_message_bytes));
  if (added.registered) {
    effects.Send(added.sink, RegistrationMessage(absl::OkStatus(), absl::ZeroDuration()));
    effects.capacity.push_back(added.spec.ns);
  }
  return &added;
}

std::unique_ptr<RegisteredWorker> WorkerRegistry::Remove(absl::string_view worker_id) {
  auto found = workers_.find(worker_id);
  if (found == workers_.end()) return nullptr;
  std::unique_ptr<RegisteredWorker> worker = std::move(found->second);
  workers_.erase(found);
  auto& served_in_ns = served_[worker->spec.ns];
  for (const auto& [name, node] : worker->nodes) {
    auto it = served_in_ns.find(name);
    if (it == served_in_ns.end()) continue;
    auto& ids = it->second.worker_ids;
    ids.erase(std::remove(ids.begin(), ids.end(), worker->id), ids.end());
    if (ids.empty()) served_in_ns.erase(it);
  }
  return worker;
}

RegisteredWorker* WorkerRegistry::Find(absl::string_view worker_id) {
  if (worker_id.empty()) return nullptr;
  auto it = workers_.find(worker_id);
  return it == workers_.end() ? nullptr : it->second.get();
}

void WorkerRegistry::RequestRegistration(const std::string& ns, const std::string& runtime_name,
                                         Runtime& runtime, RouterEffects& effects) {
  // Register every node the runtime serves now, so that one PUT describes the whole runtime.
  for (const auto& [name, served] : served_[ns]) {
    if (served.runtime_name == runtime_name) runtime.requested[name] = served.spec;
  }
  RegistrationRequest request;
  request.ns = ns;
  request.runtime_name = runtime_name;
  for (const auto& [name, node] : runtime.requested) {
    request.nodes.push_back(
        {node->name, node->inputs_schema, node->outputs_schema, node->secret_fields});
  }
  request.generation = ++runtime.generation;
  runtime.unanswered[request.generation] = runtime.requested;
  effects.registrations.push_back(std::move(request));
}

void WorkerRegistry::OnRegistration(const RegistrationOutcome& outcome, RouterEffects& effects) {
  Runtime& runtime = runtimes_[outcome.ns][outcome.runtime_name];
  NodeSet sent;
  if (auto it = runtime.unanswered.find(outcome.generation); it != runtime.unanswered.end()) {
    sent = it->second;
  }
  if (outcome.status.ok() || IsPermanentRegistrationFailure(outcome.status)) {
    runtime.unanswered.erase(runtime.unanswered.begin(),
                             runtime.unanswered.upper_bound(outcome.generation));
  }
  if (IsPermanentRegistrationFailure(outcome.status)) {
    Refuse(outcome, runtime, sent, effects);
    return;
  }
  if (outcome.status.ok() && outcome.generation >= runtime.registered_generation) {
    runtime.registered_generation = outcome.generation;
    for (const auto& [name, spec] : sent) runtime.refused_nodes.erase(name);
    runtime.registered = std::move(sent);
  }
  bool newly_registered = false;
  for (auto& [id, worker] : workers_) {
    if (worker->spec.ns != outcome.ns || worker->spec.runtime_name != outcome.runtime_name ||
        worker->registered) {
      continue;
    }
    if (outcome.status.ok() && worker->join_generation <= outcome.generation) {
      worker->registered = true;
      newly_registered = true;
      effects.Send(worker->sink, RegistrationMessage(absl::OkStatus(), absl::ZeroDuration()));
    } else if (!outcome.status.ok()) {
      worker->registration_failed = true;
      effects.Send(worker->sink, RegistrationMessage(outcome.status, outcome.retry_in));
    }
  }
  if (newly_registered) effects.capacity.push_back(outcome.ns);
}

void WorkerRegistry::Refuse(const RegistrationOutcome& outcome, Runtime& runtime,
                            const NodeSet& sent, RouterEffects& effects) {
  // The nodes the state manager had not accepted before are the ones it refuses now; the workers
  // waiting with one of them are refused, the others stay. When the request still held a node
  // refused before (it was sent before that refusal arrived), that node explains the refusal.
  absl::flat_hash_set<std::string> suspects;
  bool explained = false;
  for (const auto& [name, spec] : sent) {
    auto it = runtime.registered.find(name);
    if (it == runtime.registered.end() || !it->second->SameDefinition(*spec)) {
      suspects.insert(name);
      explained = explained || runtime.refused_nodes.contains(name);
    }
  }
  if (explained) {
    absl::erase_if(suspects,
                   [&](const std::string& name) { return !runtime.refused_nodes.contains(name); });
  }
  runtime.refused_nodes.insert(suspects.begin(), suspects.end());
  std::vector<std::pair<std::string, std::vector<std::string>>> refused;  // worker, its nodes
  for (const auto& [id, worker] : workers_) {
    if (worker->spec.ns != outcome.ns || worker->spec.runtime_name != outcome.runtime_name ||
        worker->registered) {
      continue;
    }
    std::vector<std::string> nodes;
    for (const auto& [name, spec] : worker->nodes) {
      if (suspects.contains(name)) nodes.push_back(name);
    }
    if (!nodes.empty()) {
      std::sort(nodes.begin(), nodes.end());
      refused.emplace_back(id, std::move(nodes));
    }
  }
  for (const auto& [id, nodes] : refused) {
    std::string why =
        absl::StrCat("the state manager refused to register node(s) ", absl::StrJoin(nodes, ", "),
                     " of this worker: ", outcome.status.message(),
                     "; change the node definitions (schemas) before reconnecting");
    // A worker waiting for its registration has no task yet: removing it moves none.
    std::unique_ptr<RegisteredWorker> worker = Remove(id);
    effects.Close(worker->sink, absl::FailedPreconditionError(why));
    effects.Log([why, id = id, ns = outcome.ns, runtime = outcome.runtime_name] {
      EXO_LOG(kError, "worker_registration_refused", why,
              {{"worker", id}, {"namespace", ns}, {"runtime", runtime}});
    });
  }
  if (!runtime.unanswered.empty()) return;  // a newer request's outcome decides the rest
  // What the runtime serves without the refused nodes: register it, or, when the state manager
  // has it already, tell the waiting workers at once.
  runtime.requested = runtime.registered;
  bool changed = false;
  for (const auto& [name, served] : served_[outcome.ns]) {
    if (served.runtime_name != outcome.runtime_name) continue;
    auto it = runtime.registered.find(name);
    if (it == runtime.registered.end() || !it->second->SameDefinition(*served.spec)) {
      changed = true;
    }
  }
  if (changed) {
    RequestRegistration(outcome.ns, outcome.runtime_name, runtime, effects);
    return;
  }
  runtime.registered_generation = runtime.generation;
  bool newly_registered = false;
  for (auto& [id, worker] : workers_) {
    if (worker->spec.ns != outcome.ns || worker->spec.runtime_name != outcome.runtime_name ||
        worker->registered) {
      continue;
    }
    worker->registered = true;
    worker->registration_failed = false;
    newly_registered = true;
    effects.Send(worker->sink, RegistrationMessage(absl::OkStatus(), absl::ZeroDuration()));
  }
  if (newly_registered) effects.capacity.push_back(outcome.ns);
}

bool WorkerRegistry::Eligible(const RegisteredWorker& worker) const {
  return worker.registered && !draining_;
}

RegisteredWorker* WorkerRegistry::Pick(absl::string_view ns, absl::string_view node,
                                       const absl::flat_hash_set<std::string>& avoid_labels) {
  auto served_in_ns = served_.find(ns);
  if (served_in_ns == served_.end()) return nullptr;
  auto served = served_in_ns->second.find(node);
  if (served == served_in_ns->second.end()) return nullptr;
  RegisteredWorker* best = nullptr;
  bool best_avoided = false;
  for (const std::string& worker_id : served->second.worker_ids) {
    RegisteredWorker* worker = workers_.at(worker_id).get();
    if (!Eligible(*worker) || worker->FreeSlots() == 0) continue;
    const bool avoided = !avoid_labels.empty() && avoid_labels.contains(worker->spec.label);
    if (best == nullptr || (best_avoided && !avoided)) {
      best = worker;
      best_avoided = avoided;
      continue;
    }
    if (avoided && !best_avoided) continue;
    // Least loaded: the smaller share of busy slots, then more free slots.
    const int64_t load = int64_t{worker->in_flight} * best->slots;
    const int64_t best_load = int64_t{best->in_flight} * worker->slots;
    if (load < best_load || (load == best_load && worker->FreeSlots() > best->FreeSlots())) {
      best = worker;
    }
  }
  return best;
}

void WorkerRegistry::Reserve(RegisteredWorker& worker, const std::string& state_id) {
  if (worker.tasks.insert(state_id).second) ++worker.in_flight;
}

void WorkerRegistry::Release(absl::string_view worker_id, const std::string& state_id) {
  RegisteredWorker* worker = Find(worker_id);
  if (worker != nullptr && worker->tasks.erase(state_id) > 0) --worker->in_flight;
}

bool WorkerRegistry::Serves(absl::string_view ns, absl::string_view node) const {
  auto served_in_ns = served_.find(ns);
  return served_in_ns != served_.end() &&
         served_in_ns->second.find(node) != served_in_ns->second.end();
}

std::vector<PollGroup> WorkerRegistry::PlanPolls(absl::string_view ns) const {
  std::vector<PollGroup> groups;
  if (draining_) return groups;
  auto served_in_ns = served_.find(ns);
  if (served_in_ns == served_.end()) return groups;
  // Nodes served by the same set of eligible workers share one capacity.
  std::map<std::string, PollGroup> by_workers;
  for (const auto& [name, served] : served_in_ns->second) {
    std::vector<std::string> eligible;
    int64_t capacity = 0;  // slots are bounded per worker, not in number of workers
    for (const std::string& worker_id : served.worker_ids) {
      const RegisteredWorker& worker = *workers_.at(worker_id);
      if (!Eligible(worker)) continue;
      eligible.push_back(worker_id);
      capacity += worker.FreeSlots();
    }
    if (capacity <= 0) continue;
    std::sort(eligible.begin(), eligible.end());
    PollGroup& group = by_workers[absl::StrJoin(eligible, ",")];
    group.node_names.push_back(name);
    group.capacity = static_cast<int>(std::min<int64_t>(capacity, INT32_MAX));
  }
  for (auto& [key, group] : by_workers) groups.push_back(std::move(group));
  std::sort(groups.begin(), groups.end(), [](const PollGroup& a, const PollGroup& b) {
    return a.capacity > b.capacity || (a.capacity == b.capacity && a.node_names < b.node_names);
  });
  return groups;
}

std::vector<std::string> WorkerRegistry::ActiveNamespaces() const {
  std::vector<std::string> namespaces;
  for (const auto& [id, worker] : workers_) {
    if (worker->registered) namespaces.push_back(worker->spec.ns);
  }
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  return namespaces;
}

void WorkerRegistry::BeginDrain(absl::Duration timeout, RouterEffects& effects) {
  draining_ = true;
  for (auto& [id, worker] : workers_) effects.Send(worker->sink, DrainMessage(timeout));
}

void WorkerRegistry::AddStats(RouterStats& stats) const {
  stats.workers = static_cast<int>(workers_.size());
  for (const auto& [id, worker] : workers_) {
    stats.slots += worker->slots;
    stats.busy_slots += worker->in_flight;
    if (worker->registered) ++stats.registered_workers;
    if (!worker->registered && worker->registration_failed) ++stats.registration_failures;
    RouterStats::Namespace& ns = stats.by_namespace[worker->spec.ns];
    ++ns.workers;
    ns.slots += worker->slots;
    ns.busy_slots += worker->in_flight;
  }
}

}  // namespace exosphere::sidecar
