#include "sidecar/task_router.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/log.h"
#include "sidecar/grpc_status.h"
#include "sidecar/quoting.h"
#include "sidecar/sidecar_metrics.h"
#include "sidecar/task_validator.h"

namespace exosphere::sidecar {

struct TaskRouter::Worker {
  std::string id;
  WorkerSpec spec;
  WorkerSink* sink = nullptr;
  uint32_t slots = 0;
  int in_flight = 0;
  // The registration generation of its runtime that includes this worker's nodes.
  uint64_t join_generation = 0;
  bool registered = false;
  bool registration_failed = false;
  absl::flat_hash_map<std::string, std::shared_ptr<const NodeSpec>> nodes;
  absl::flat_hash_set<std::string> tasks;
};

struct TaskRouter::Runtime {
  uint64_t generation = 0;
  uint64_t registered_generation = 0;
  // The node specs of the newest registration request.
  NodeSet requested;
  // The node specs of each request whose outcome has not arrived, by generation.
  std::map<uint64_t, NodeSet> unanswered;
  // The node specs of the newest request the state manager accepted.
  NodeSet registered;
  // Nodes whose workers were refused because the state manager would not register them; a
  // later refusal of a request that still held one is explained by it.
  absl::flat_hash_set<std::string> refused_nodes;
};

struct TaskRouter::ServedNode {
  std::string runtime_name;
  std::shared_ptr<const NodeSpec> spec;
  std::vector<std::string> worker_ids;
};

struct TaskRouter::Task {
  std::string ns;
  ClaimedState state;
  bool inputs_checked = false;
  json::StringMap inputs;
  bool secrets_ready = false;
  json::StringMap secrets;
  Phase phase = Phase::kOrphaned;
  std::string worker_id;  // empty while orphaned
  std::shared_ptr<const NodeSpec> spec;
  absl::Time claimed_at;
  absl::Time sent_at;
  Scheduler::TaskId timer = Scheduler::kNoTask;
  uint64_t attempt = 0;
  int workers_lost = 0;
  std::string last_loss;
  // Labels (worker_label: host and pid for the client libraries) of the workers it was lost on.
  absl::flat_hash_set<std::string> lost_labels;
  bool dispatched_once = false;
};

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

std::string FormatMillis(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration), " ms");
}

}  // namespace

TaskRouter::TaskRouter(TaskRouterOptions options, Scheduler& scheduler, ReportQueue& reports,
                       SecretsFetcher& secrets, CapacityListener& capacity,
                       RegistrationRequester& registrar, SidecarMetrics* metrics)
    : options_(options),
      scheduler_(scheduler),
      reports_(reports),
      secrets_(secrets),
      capacity_(capacity),
      registrar_(registrar),
      metrics_(metrics) {}

TaskRouter::~TaskRouter() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, task] : tasks_) {
    if (task->timer != Scheduler::kNoTask) scheduler_.Cancel(task->timer);
  }
}

absl::StatusOr<std::string> TaskRouter::AddWorker(WorkerSpec spec, WorkerSink* sink,
                                                  uint32_t max_message_bytes) {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    return absl::UnavailableError(
        "the sidecar is draining and accepts no new workers; reconnect "
        "to its replacement");
  }
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

  auto worker = std::make_unique<Worker>();
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
  if (changed) RequestRegistrationLocked(spec.ns, spec.runtime_name, runtime);
  worker->join_generation = runtime.generation;
  worker->registered = runtime.registered_generation >= worker->join_generation;
  worker->spec = std::move(spec);

  Worker& added = *worker;
  workers_.emplace(added.id, std::move(worker));
  v1::SidecarMessage welcome;
  welcome.mutable_welcome()->set_worker_id(added.id);
  welcome.mutable_welcome()->set_namespace_(added.spec.ns);
  welcome.mutable_welcome()->set_sidecar_version(EXOSPHERE_VERSION);
  welcome.mutable_welcome()->set_max_message_bytes(max_message_bytes);
  added.sink->Send(std::move(welcome));
  EXO_LOG(kInfo, "worker_connected", "",
          {{"worker", added.id},
           {"label", added.spec.label},
           {"namespace", added.spec.ns},
           {"runtime", added.spec.runtime_name},
           {"slots", absl::StrCat(added.slots)},
           {"registered", added.registered ? "true" : "false"}});
  if (added.registered) {
    SendRegistrationLocked(added, absl::OkStatus(), absl::ZeroDuration());
    RebalanceLocked(added.spec.ns);
  }
  return added.id;
}

void TaskRouter::RemoveWorker(absl::string_view worker_id, absl::string_view reason) {
  absl::MutexLock lock(&mu_);
  RemoveWorkerLocked(worker_id, reason);
}

void TaskRouter::RemoveWorkerLocked(absl::string_view worker_id, absl::string_view reason) {
  auto found = workers_.find(worker_id);
  if (found == workers_.end()) return;
  std::unique_ptr<Worker> worker = std::move(found->second);
  workers_.erase(found);
  auto& served_in_ns = served_[worker->spec.ns];
  for (const auto& [name, node] : worker->nodes) {
    auto it = served_in_ns.find(name);
    if (it == served_in_ns.end()) continue;
    auto& ids = it->second.worker_ids;
    ids.erase(std::remove(ids.begin(), ids.end(), worker->id), ids.end());
    if (ids.empty()) served_in_ns.erase(it);
  }
  EXO_LOG(kInfo, "worker_disconnected", std::string(reason),
          {{"worker", worker->id},
           {"namespace", worker->spec.ns},
           {"tasks_in_flight", absl::StrCat(worker->tasks.size())}});

  const std::vector<std::string> task_ids(worker->tasks.begin(), worker->tasks.end());
  for (const std::string& state_id : task_ids) {
    auto it = tasks_.find(state_id);
    if (it == tasks_.end()) continue;
    Task& task = *it->second;
    task.worker_id.clear();
    if (task.phase == Phase::kFetchingSecrets) continue;  // OnSecrets picks another worker
    if (task.timer != Scheduler::kNoTask) scheduler_.Cancel(task.timer);
    task.timer = Scheduler::kNoTask;
    ++task.workers_lost;
    task.last_loss = absl::StrCat(worker->id, " (", reason, ")");
    // The other streams of a process that died close one by one, and each looks idle (least
    // loaded) until its own close arrives: without this, a task hops from one dying stream of the
    // process to the next and "takes down" --max-worker-losses workers it never ran on.
    if (!worker->spec.label.empty()) task.lost_labels.insert(worker->spec.label);
    if (task.workers_lost >= options_.max_worker_losses) {
      EXO_LOG(kWarning, "task_abandoned", "task lost too many workers; reporting errored",
              {{"state_id", state_id}, {"node", task.state.node_name}, {"worker", worker->id}});
      FinishLocked(state_id,
                   Report::Errored(
                       state_id, absl::StrCat("task was in flight on ", task.workers_lost,
                                              " workers that were lost (the last: ", task.last_loss,
                                              "); not retried on "
                                              "another worker")),
                   "worker_lost");
      continue;
    }
    EXO_LOG(kInfo, "task_redispatched", "worker lost; giving the task to another worker",
            {{"state_id", state_id}, {"node", task.state.node_name}, {"worker", worker->id}});
    AssignLocked(task);
  }
}

void TaskRouter::SetSlots(absl::string_view worker_id, uint32_t slots) {
  absl::MutexLock lock(&mu_);
  Worker* worker = FindWorkerLocked(worker_id);
  if (worker == nullptr) return;
  const uint32_t before = worker->slots;
  worker->slots = slots;
  EXO_LOG(kDebug, "worker_slots", "", {{"worker", worker->id}, {"slots", absl::StrCat(slots)}});
  if (slots > before) RebalanceLocked(worker->spec.ns);
}

void TaskRouter::HandleResult(absl::string_view worker_id, const v1::TaskResult& result) {
  absl::MutexLock lock(&mu_);
  Worker* worker = FindWorkerLocked(worker_id);
  auto it = tasks_.find(result.state_id());
  if (it == tasks_.end() || it->second->worker_id != worker_id ||
      it->second->phase != Phase::kRunning) {
    EXO_LOG(kWarning, "result_discarded", "no such task in flight on this worker",
            {{"state_id", EscapeForLog(result.state_id())}, {"worker", worker_id}});
    if (worker != nullptr) {
      v1::SidecarMessage reply;
      auto* rejected = reply.mutable_result_rejected();
      rejected->set_state_id(result.state_id());
      rejected->set_reason(v1::ResultRejected::UNKNOWN_TASK);
      rejected->set_message(absl::StrCat(
          "no task with state_id ", QuoteForMessage(result.state_id()),
          " is in flight on this stream (already answered, cancelled, or never sent here); "
          "the result was discarded"));
      worker->sink->Send(std::move(reply));
    }
    return;
  }
  Task& task = *it->second;
  ValidatedResult validated = ValidateResult(*task.spec, result, options_.max_report_bytes);
  if (!validated.violation.empty() && worker != nullptr) {
    EXO_LOG(
        kWarning, "result_invalid", validated.violation,
        {{"state_id", result.state_id()}, {"node", task.state.node_name}, {"worker", worker_id}});
    v1::SidecarMessage reply;
    auto* rejected = reply.mutable_result_rejected();
    rejected->set_state_id(result.state_id());
    rejected->set_reason(v1::ResultRejected::INVALID_RESULT);
    rejected->set_message(
        OutgoingText(absl::StrCat(validated.violation, "; the state was reported errored")));
    worker->sink->Send(std::move(reply));
  }
  const std::string ns = task.ns;
  const absl::Duration duration = scheduler_.clock().Now() - task.sent_at;
  FinishLocked(result.state_id(), std::move(validated.report),
               validated.violation.empty() ? "" : "invalid_result", duration);
  RebalanceLocked(ns);
}

void TaskRouter::RequestRegistrationLocked(const std::string& ns, const std::string& runtime_name,
                                           Runtime& runtime) {
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
  registrar_.Request(std::move(request));
}

void TaskRouter::OnRegistration(const RegistrationOutcome& outcome) {
  absl::MutexLock lock(&mu_);
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
    RefuseRegistrationLocked(outcome, runtime, sent);
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
      SendRegistrationLocked(*worker, absl::OkStatus(), absl::ZeroDuration());
    } else if (!outcome.status.ok()) {
      worker->registration_failed = true;
      SendRegistrationLocked(*worker, outcome.status, outcome.retry_in);
    }
  }
  if (newly_registered) RebalanceLocked(outcome.ns);
}

void TaskRouter::RefuseRegistrationLocked(const RegistrationOutcome& outcome, Runtime& runtime,
                                          const NodeSet& sent) {
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
    const std::string why =
        absl::StrCat("the state manager refused to register node(s) ", absl::StrJoin(nodes, ", "),
                     " of this worker: ", outcome.status.message(),
                     "; change the node definitions (schemas) before reconnecting");
    EXO_LOG(kError, "worker_registration_refused", why,
            {{"worker", id}, {"namespace", outcome.ns}, {"runtime", outcome.runtime_name}});
    workers_.at(id)->sink->Close(absl::FailedPreconditionError(why));
    RemoveWorkerLocked(id, "its nodes were refused by the state manager");
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
    RequestRegistrationLocked(outcome.ns, outcome.runtime_name, runtime);
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
    SendRegistrationLocked(*worker, absl::OkStatus(), absl::ZeroDuration());
  }
  if (newly_registered) RebalanceLocked(outcome.ns);
}

std::vector<PollGroup> TaskRouter::PlanPolls(absl::string_view ns) const {
  absl::MutexLock lock(&mu_);
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
      const Worker& worker = *workers_.at(worker_id);
      if (!EligibleLocked(worker)) continue;
      eligible.push_back(worker_id);
      capacity += FreeSlots(worker);
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

std::vector<std::string> TaskRouter::ActiveNamespaces() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> namespaces;
  for (const auto& [id, worker] : workers_) {
    if (worker->registered) namespaces.push_back(worker->spec.ns);
  }
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  return namespaces;
}

void TaskRouter::Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                          absl::Time claimed_at) {
  absl::MutexLock lock(&mu_);
  for (ClaimedState& state : states) {
    if (tasks_.contains(state.state_id)) {
      // Reporting it twice would be worse than the server's mistake; the first claim owns it.
      EXO_LOG(kError, "claim_duplicate", "state claimed again while in flight; ignored",
              {{"state_id", state.state_id}, {"namespace", ns}});
      continue;
    }
    if (!state.malformed.empty()) {
      EXO_LOG(kError, "claim_malformed", state.malformed, {{"state_id", state.state_id}});
      if (metrics_ != nullptr) {
        metrics_->TaskFailed(ns, "other", "malformed_state");
        metrics_->TaskFinished(ns, "other", SidecarMetrics::Outcome::kErrored, std::nullopt);
      }
      const std::string state_id = state.state_id;
      reports_.Submit(std::string(ns),
                      Report::Errored(state_id, absl::StrCat("the state manager sent a malformed "
                                                             "state: ",
                                                             state.malformed)));
      continue;
    }
    auto task = std::make_unique<Task>();
    task->ns = std::string(ns);
    task->claimed_at = claimed_at;
    task->state = std::move(state);
    Task& added = *task;
    tasks_.emplace(added.state.state_id, std::move(task));
    AssignLocked(added);
  }
}

void TaskRouter::BeginDrain(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = scheduler_.clock().Now() + timeout;
  for (auto& [id, worker] : workers_) {
    v1::SidecarMessage drain;
    drain.mutable_drain()->set_deadline_ms(
        static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(timeout))));
    worker->sink->Send(std::move(drain));
  }
  const std::vector<std::string> orphans(orphans_.begin(), orphans_.end());
  for (const std::string& state_id : orphans) HandBackLocked(state_id);
  EXO_LOG(kInfo, "drain_started", "",
          {{"timeout_ms", absl::StrCat(absl::ToInt64Milliseconds(timeout))},
           {"tasks_in_flight", absl::StrCat(tasks_.size())},
           {"workers", absl::StrCat(workers_.size())}});
}

void TaskRouter::HandBackAll(absl::string_view why) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> state_ids;
  for (const auto& [state_id, task] : tasks_) state_ids.push_back(state_id);
  for (const std::string& state_id : state_ids) {
    Task& task = *tasks_.at(state_id);
    if (Worker* worker = FindWorkerLocked(task.worker_id);
        worker != nullptr && task.phase == Phase::kRunning) {
      v1::SidecarMessage cancel;
      cancel.mutable_cancel()->set_state_id(state_id);
      cancel.mutable_cancel()->set_reason(v1::CancelTask::DRAIN_TIMEOUT);
      cancel.mutable_cancel()->set_message(absl::StrCat("handed back to the state manager: ", why));
      worker->sink->Send(std::move(cancel));
    }
    EXO_LOG(kWarning, "task_handed_back", std::string(why),
            {{"state_id", state_id}, {"node", task.state.node_name}, {"worker", task.worker_id}});
    HandBackLocked(state_id);
  }
}

bool TaskRouter::AwaitNoTasks(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return tasks_.empty(); };
  return scheduler_.clock().AwaitWithDeadline(mu_, absl::Condition(&none), deadline);
}

RouterStats TaskRouter::Stats() const {
  absl::MutexLock lock(&mu_);
  RouterStats stats;
  stats.workers = static_cast<int>(workers_.size());
  stats.draining = draining_;
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
  stats.tasks_in_flight = static_cast<int>(tasks_.size());
  stats.orphaned_tasks = static_cast<int>(orphans_.size());
  return stats;
}

TaskRouter::Worker* TaskRouter::FindWorkerLocked(absl::string_view worker_id) {
  if (worker_id.empty()) return nullptr;
  auto it = workers_.find(worker_id);
  return it == workers_.end() ? nullptr : it->second.get();
}

int64_t TaskRouter::FreeSlots(const Worker& worker) {
  return std::max<int64_t>(0, int64_t{worker.slots} - worker.in_flight);
}

bool TaskRouter::EligibleLocked(const Worker& worker) const {
  return worker.registered && !draining_;
}

TaskRouter::Worker* TaskRouter::PickWorkerLocked(
    absl::string_view ns, absl::string_view node,
    const absl::flat_hash_set<std::string>& avoid_labels) {
  auto served_in_ns = served_.find(ns);
  if (served_in_ns == served_.end()) return nullptr;
  auto served = served_in_ns->second.find(node);
  if (served == served_in_ns->second.end()) return nullptr;
  Worker* best = nullptr;
  bool best_avoided = false;
  for (const std::string& worker_id : served->second.worker_ids) {
    Worker* worker = workers_.at(worker_id).get();
    if (!EligibleLocked(*worker) || FreeSlots(*worker) == 0) continue;
    const bool avoided = avoid_labels.contains(worker->spec.label);
    if (best == nullptr || (best_avoided && !avoided)) {
      best = worker;
      best_avoided = avoided;
      continue;
    }
    if (avoided && !best_avoided) continue;
    // Least loaded: the smaller share of busy slots, then more free slots.
    const int64_t load = int64_t{worker->in_flight} * best->slots;
    const int64_t best_load = int64_t{best->in_flight} * worker->slots;
    if (load < best_load || (load == best_load && FreeSlots(*worker) > FreeSlots(*best))) {
      best = worker;
    }
  }
  return best;
}

void TaskRouter::AssignLocked(Task& task) {
  Worker* worker = PickWorkerLocked(task.ns, task.state.node_name, task.lost_labels);
  if (worker == nullptr) {
    OrphanLocked(task);
    return;
  }
  const std::shared_ptr<const NodeSpec>& spec = worker->nodes.at(task.state.node_name);
  if (!task.inputs_checked) {
    absl::StatusOr<json::StringMap> inputs = ValidateInputs(*spec, task.state.inputs);
    if (!inputs.ok()) {
      EXO_LOG(kWarning, "task_inputs_invalid", std::string(inputs.status().message()),
              {{"state_id", task.state.state_id}, {"node", task.state.node_name}});
      FinishLocked(task.state.state_id,
                   Report::Errored(task.state.state_id, std::string(inputs.status().message())),
                   "invalid_inputs");
      return;
    }
    task.inputs = *std::move(inputs);
    task.inputs_checked = true;
  }
  if (task.timer != Scheduler::kNoTask) {
    scheduler_.Cancel(task.timer);  // the grace timer of an orphan
    task.timer = Scheduler::kNoTask;
  }
  orphans_.erase(task.state.state_id);
  task.worker_id = worker->id;
  task.spec = spec;
  ++worker->in_flight;
  worker->tasks.insert(task.state.state_id);
  if (!spec->secret_fields.empty() && !task.secrets_ready) {
    task.phase = Phase::kFetchingSecrets;
    std::string state_id = task.state.state_id;
    secrets_.Fetch(task.ns, state_id, [this, state_id](absl::StatusOr<json::StringMap> secrets) {
      OnSecrets(state_id, std::move(secrets));
    });
    return;
  }
  SendTaskLocked(task, *worker);
}

void TaskRouter::SendTaskLocked(Task& task, Worker& worker) {
  task.phase = Phase::kRunning;
  task.sent_at = scheduler_.clock().Now();
  if (metrics_ != nullptr) {
    std::optional<absl::Duration> latency;
    if (!task.dispatched_once) latency = task.sent_at - task.claimed_at;
    metrics_->TaskDispatched(task.ns, NodeLabelLocked(task), latency);
  }
  task.dispatched_once = true;
  task.attempt = next_attempt_++;
  v1::SidecarMessage message;
  v1::Task& out = *message.mutable_task();
  out.set_state_id(task.state.state_id);
  out.set_node_name(task.state.node_name);
  out.set_identifier(task.state.identifier);
  out.mutable_inputs()->insert(task.inputs.begin(), task.inputs.end());
  out.mutable_secrets()->insert(task.secrets.begin(), task.secrets.end());
  out.set_deadline_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(task.spec->deadline)));
  out.set_claimed_at_unix_micros(absl::ToUnixMicros(task.claimed_at));
  worker.sink->Send(std::move(message));
  if (task.spec->deadline > absl::ZeroDuration()) {
    const std::string state_id = task.state.state_id;
    const uint64_t attempt = task.attempt;
    task.timer = scheduler_.ScheduleAfter(
        task.spec->deadline, [this, state_id, attempt] { OnDeadline(state_id, attempt); });
  }
}

void TaskRouter::OnSecrets(const std::string& state_id, absl::StatusOr<json::StringMap> secrets) {
  absl::MutexLock lock(&mu_);
  auto it = tasks_.find(state_id);
  if (it == tasks_.end() || it->second->phase != Phase::kFetchingSecrets) return;
  Task& task = *it->second;
  const std::string ns = task.ns;
  if (!secrets.ok()) {
    EXO_LOG(kWarning, "secrets_unavailable", std::string(secrets.status().message()),
            {{"state_id", state_id}, {"node", task.state.node_name}});
    FinishLocked(state_id,
                 Report::Errored(state_id, absl::StrCat("could not fetch the secrets of node \"",
                                                        task.state.node_name,
                                                        "\": ", secrets.status().message())),
                 "secrets");
    RebalanceLocked(ns);
    return;
  }
  absl::StatusOr<json::StringMap> selected = SelectSecrets(*task.spec, *secrets);
  if (!selected.ok()) {
    FinishLocked(state_id, Report::Errored(state_id, std::string(selected.status().message())),
                 "secrets");
    RebalanceLocked(ns);
    return;
  }
  task.secrets = *std::move(selected);
  task.secrets_ready = true;
  if (Worker* worker = FindWorkerLocked(task.worker_id); worker != nullptr) {
    SendTaskLocked(task, *worker);
    return;
  }
  // Its worker left while the secrets were on their way.
  task.worker_id.clear();
  AssignLocked(task);
}

void TaskRouter::OnDeadline(const std::string& state_id, uint64_t attempt) {
  absl::MutexLock lock(&mu_);
  auto it = tasks_.find(state_id);
  if (it == tasks_.end() || it->second->phase != Phase::kRunning ||
      it->second->attempt != attempt) {
    return;
  }
  Task& task = *it->second;
  task.timer = Scheduler::kNoTask;
  const std::string deadline = FormatMillis(task.spec->deadline);
  if (Worker* worker = FindWorkerLocked(task.worker_id); worker != nullptr) {
    v1::SidecarMessage cancel;
    cancel.mutable_cancel()->set_state_id(state_id);
    cancel.mutable_cancel()->set_reason(v1::CancelTask::DEADLINE_EXCEEDED);
    cancel.mutable_cancel()->set_message(
        absl::StrCat("deadline exceeded after ", deadline, "; the state was reported errored"));
    worker->sink->Send(std::move(cancel));
  }
  EXO_LOG(kWarning, "task_deadline_exceeded", "",
          {{"state_id", state_id},
           {"node", task.state.node_name},
           {"worker", task.worker_id},
           {"deadline", deadline}});
  const std::string ns = task.ns;
  FinishLocked(state_id,
               Report::Errored(state_id, absl::StrCat("deadline exceeded after ", deadline,
                                                      " on worker ", task.worker_id)),
               "deadline_exceeded");
  RebalanceLocked(ns);
}

void TaskRouter::OnGraceExpired(const std::string& state_id, uint64_t attempt) {
  absl::MutexLock lock(&mu_);
  auto it = tasks_.find(state_id);
  if (it == tasks_.end() || it->second->phase != Phase::kOrphaned ||
      it->second->attempt != attempt) {
    return;
  }
  Task& task = *it->second;
  task.timer = Scheduler::kNoTask;
  EXO_LOG(kWarning, "task_handed_back", "no worker for the node within the grace period",
          {{"state_id", state_id}, {"node", task.state.node_name}});
  HandBackLocked(state_id);
}

void TaskRouter::HandBackLocked(const std::string& state_id) {
  FinishLocked(state_id,
               Report::RequeueAfter(state_id, absl::ToInt64Milliseconds(options_.handback_delay)),
               "handed_back");
}

std::string TaskRouter::NodeLabelLocked(const Task& task) const {
  auto served_in_ns = served_.find(task.ns);
  if (served_in_ns != served_.end() && served_in_ns->second.count(task.state.node_name) > 0) {
    return task.state.node_name;
  }
  return task.spec != nullptr ? task.spec->name : "other";
}

void TaskRouter::FinishLocked(const std::string& state_id, Report report, absl::string_view failure,
                              std::optional<absl::Duration> duration) {
  auto it = tasks_.find(state_id);
  if (it == tasks_.end()) return;
  Task& task = *it->second;
  if (metrics_ != nullptr) {
    const std::string node = NodeLabelLocked(task);
    SidecarMetrics::Outcome outcome = SidecarMetrics::Outcome::kErrored;
    switch (report.kind) {
      case Report::Kind::kExecuted:
        outcome = SidecarMetrics::Outcome::kExecuted;
        break;
      case Report::Kind::kErrored:
        outcome = SidecarMetrics::Outcome::kErrored;
        break;
      case Report::Kind::kPruned:
        outcome = SidecarMetrics::Outcome::kPruned;
        break;
      case Report::Kind::kRequeueAfter:
        outcome = failure == "handed_back" ? SidecarMetrics::Outcome::kHandedBack
                                           : SidecarMetrics::Outcome::kRequeued;
        break;
    }
    if (!failure.empty() && failure != "handed_back") metrics_->TaskFailed(task.ns, node, failure);
    metrics_->TaskFinished(task.ns, node, outcome, duration);
  }
  if (task.timer != Scheduler::kNoTask) scheduler_.Cancel(task.timer);
  ReleaseSlotLocked(task);
  orphans_.erase(state_id);
  reports_.Submit(task.ns, std::move(report));
  tasks_.erase(it);
}

void TaskRouter::ReleaseSlotLocked(Task& task) {
  Worker* worker = FindWorkerLocked(task.worker_id);
  if (worker == nullptr) return;
  if (worker->tasks.erase(task.state.state_id) > 0) --worker->in_flight;
  task.worker_id.clear();
}

void TaskRouter::OrphanLocked(Task& task) {
  task.phase = Phase::kOrphaned;
  task.worker_id.clear();
  const std::string state_id = task.state.state_id;
  if (draining_) {
    HandBackLocked(state_id);
    return;
  }
  orphans_.insert(state_id);
  if (task.timer != Scheduler::kNoTask) return;  // already waiting out its grace period
  task.attempt = next_attempt_++;
  const uint64_t attempt = task.attempt;
  task.timer = scheduler_.ScheduleAfter(
      options_.reconnect_grace, [this, state_id, attempt] { OnGraceExpired(state_id, attempt); });
}

void TaskRouter::RebalanceLocked(absl::string_view ns) {
  if (!orphans_.empty()) {
    const std::vector<std::string> orphans(orphans_.begin(), orphans_.end());
    for (const std::string& state_id : orphans) {
      Task& task = *tasks_.at(state_id);
      if (task.ns == ns && PickWorkerLocked(task.ns, task.state.node_name) != nullptr) {
        AssignLocked(task);
      }
    }
  }
  capacity_.OnCapacity(ns);
}

void TaskRouter::SendRegistrationLocked(Worker& worker, const absl::Status& status,
                                        absl::Duration retry_in) {
  v1::SidecarMessage message;
  v1::Registration& registration = *message.mutable_registration();
  registration.set_registered(status.ok());
  if (!status.ok()) {
    registration.set_error(OutgoingText(status.message()));
    registration.set_retry_in_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(retry_in)));
  }
  worker.sink->Send(std::move(message));
}

}  // namespace exosphere::sidecar
