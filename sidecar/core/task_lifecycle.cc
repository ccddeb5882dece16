#include "sidecar/core/task_lifecycle.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/core/task_validator.h"
#include "sidecar/core/worker_messages.h"
#include "sidecar/transport/quoting.h"

namespace exosphere::sidecar {

struct TaskLifecycle::Task {
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

std::string FormatMillis(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration), " ms");
}

TaskOutcome OutcomeOf(const Report& report) {
  switch (report.kind) {
    case Report::Kind::kExecuted:
      return TaskOutcome::kExecuted;
    case Report::Kind::kErrored:
      return TaskOutcome::kErrored;
    case Report::Kind::kPruned:
      return TaskOutcome::kPruned;
    case Report::Kind::kRequeueAfter:
      return TaskOutcome::kRequeued;
  }
  return TaskOutcome::kErrored;
}

}  // namespace

TaskLifecycle::TaskLifecycle(TaskLifecycleOptions options, Scheduler& scheduler,
                             WorkerRegistry& registry, TimerCallback on_timer)
    : options_(options),
      scheduler_(scheduler),
      registry_(registry),
      on_timer_(std::move(on_timer)) {}

TaskLifecycle::~TaskLifecycle() {
  for (auto& [id, task] : tasks_) CancelTimer(*task);
}

void TaskLifecycle::Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                             absl::Time claimed_at, RouterEffects& effects) {
  for (ClaimedState& state : states) {
    if (tasks_.contains(state.state_id)) {
      // Reporting it twice would be worse than the server's mistake; the first claim owns it.
      effects.Log([state_id = state.state_id, ns = std::string(ns)] {
        EXO_LOG(kError, "claim_duplicate", "state claimed again while in flight; ignored",
                {{"state_id", state_id}, {"namespace", ns}});
      });
      continue;
    }
    if (!state.malformed.empty()) {
      effects.Log([state_id = state.state_id, why = state.malformed] {
        EXO_LOG(kError, "claim_malformed", why, {{"state_id", state_id}});
      });
      effects.finished.push_back({std::string(ns), "other", TaskOutcome::kErrored,
                                  FailureReason::kMalformedState, std::nullopt});
      effects.reports.emplace_back(
          std::string(ns),
          Report::Errored(state.state_id, absl::StrCat("the state manager sent a malformed state: ",
                                                       state.malformed)));
      continue;
    }
    auto task = std::make_unique<Task>();
    task->ns = std::string(ns);
    task->claimed_at = claimed_at;
    task->state = std::move(state);
    Task& added = *task;
    tasks_.emplace(added.state.state_id, std::move(task));
    Assign(added, effects);
  }
}

void TaskLifecycle::OnResult(RegisteredWorker* worker, absl::string_view worker_id,
                             const v1::TaskResult& result, RouterEffects& effects) {
  auto it = tasks_.find(result.state_id());
  if (it == tasks_.end() || it->second->worker_id != worker_id ||
      it->second->phase != Phase::kRunning) {
    effects.Log([state_id = EscapeForLog(result.state_id()), worker = std::string(worker_id)] {
      EXO_LOG(kWarning, "result_discarded", "no such task in flight on this worker",
              {{"state_id", state_id}, {"worker", worker}});
    });
    if (worker != nullptr) {
      effects.Send(worker->sink,
                   ResultRejectedMessage(
                       result.state_id(), v1::ResultRejected::UNKNOWN_TASK,
                       absl::StrCat("no task with state_id ", QuoteForMessage(result.state_id()),
                                    " is in flight on this stream (already answered, cancelled, "
                                    "or never sent here); the result was discarded")));
    }
    return;
  }
  Task& task = *it->second;
  ValidatedResult validated = ValidateResult(*task.spec, result, options_.max_report_bytes);
  if (!validated.violation.empty() && worker != nullptr) {
    effects.Log([violation = validated.violation, state_id = result.state_id(),
                 node = task.state.node_name, worker = std::string(worker_id)] {
      EXO_LOG(kWarning, "result_invalid", violation,
              {{"state_id", state_id}, {"node", node}, {"worker", worker}});
    });
    effects.Send(worker->sink,
                 ResultRejectedMessage(
                     result.state_id(), v1::ResultRejected::INVALID_RESULT,
                     absl::StrCat(validated.violation, "; the state was reported errored")));
  }
  const std::string ns = task.ns;
  const absl::Duration duration = scheduler_.clock().Now() - task.sent_at;
  Finish(result.state_id(), std::move(validated.report),
         validated.violation.empty() ? FailureReason::kNone : FailureReason::kInvalidResult,
         effects, duration);
  Rebalance(ns, effects);
}

void TaskLifecycle::OnWorkerLost(const RegisteredWorker& worker, absl::string_view reason,
                                 RouterEffects& effects) {
  for (const std::string& state_id : worker.tasks) {
    auto it = tasks_.find(state_id);
    if (it == tasks_.end()) continue;
    Task& task = *it->second;
    task.worker_id.clear();
    if (task.phase == Phase::kFetchingSecrets) continue;  // OnSecrets picks another worker
    CancelTimer(task);
    ++task.workers_lost;
    task.last_loss = absl::StrCat(worker.id, " (", reason, ")");
    // The other streams of a process that died close one by one, and each looks idle (least
    // loaded) until its own close arrives: without this, a task hops from one dying stream of the
    // process to the next and "takes down" --max-worker-losses workers it never ran on.
    if (!worker.spec.label.empty()) task.lost_labels.insert(worker.spec.label);
    if (task.workers_lost >= options_.max_worker_losses) {
      effects.Log([state_id, node = task.state.node_name, worker_id = worker.id] {
        EXO_LOG(kWarning, "task_abandoned", "task lost too many workers; reporting errored",
                {{"state_id", state_id}, {"node", node}, {"worker", worker_id}});
      });
      Finish(state_id,
             Report::Errored(state_id,
                             absl::StrCat("task was in flight on ", task.workers_lost,
                                          " workers that were lost (the last: ", task.last_loss,
                                          "); not retried on another worker")),
             FailureReason::kWorkerLost, effects);
      continue;
    }
    effects.Log([state_id, node = task.state.node_name, worker_id = worker.id] {
      EXO_LOG(kInfo, "task_redispatched", "worker lost; giving the task to another worker",
              {{"state_id", state_id}, {"node", node}, {"worker", worker_id}});
    });
    Assign(task, effects);
  }
}

void TaskLifecycle::Assign(Task& task, RouterEffects& effects) {
  RegisteredWorker* worker = registry_.Pick(task.ns, task.state.node_name, task.lost_labels);
  if (worker == nullptr) {
    Orphan(task, effects);
    return;
  }
  const std::shared_ptr<const NodeSpec>& spec = worker->nodes.at(task.state.node_name);
  if (!task.inputs_checked) {
    absl::StatusOr<json::StringMap> inputs = ValidateInputs(*spec, task.state.inputs);
    if (!inputs.ok()) {
      std::string why(inputs.status().message());
      effects.Log([why, state_id = task.state.state_id, node = task.state.node_name] {
        EXO_LOG(kWarning, "task_inputs_invalid", why, {{"state_id", state_id}, {"node", node}});
      });
      Finish(task.state.state_id, Report::Errored(task.state.state_id, std::move(why)),
             FailureReason::kInvalidInputs, effects);
      return;
    }
    task.inputs = *std::move(inputs);
    task.inputs_checked = true;
    // The raw JSON is not needed any more; the checked strings are what the worker gets.
    task.state.inputs = json::Json();
  }
  CancelTimer(task);  // the grace timer of an orphan
  orphans_.erase(task.state.state_id);
  task.worker_id = worker->id;
  task.spec = spec;
  registry_.Reserve(*worker, task.state.state_id);
  if (!spec->secret_fields.empty() && !task.secrets_ready) {
    task.phase = Phase::kFetchingSecrets;
    effects.secrets.push_back({task.ns, task.state.state_id});
    return;
  }
  Send(task, *worker, effects);
}

void TaskLifecycle::Send(Task& task, RegisteredWorker& worker, RouterEffects& effects) {
  task.phase = Phase::kRunning;
  task.sent_at = scheduler_.clock().Now();
  std::optional<absl::Duration> latency;
  if (!task.dispatched_once) latency = task.sent_at - task.claimed_at;
  effects.dispatched.push_back({task.ns, NodeLabel(task), latency});
  task.dispatched_once = true;
  effects.Send(worker.sink,
               TaskMessage(task.state.state_id, task.state.node_name, task.state.identifier,
                           task.inputs, task.secrets, task.spec->deadline, task.claimed_at));
  if (task.spec->deadline > absl::ZeroDuration()) ScheduleTimer(task, task.spec->deadline);
}

void TaskLifecycle::OnSecrets(const std::string& state_id, absl::StatusOr<json::StringMap> secrets,
                              RouterEffects& effects) {
  auto it = tasks_.find(state_id);
  if (it == tasks_.end() || it->second->phase != Phase::kFetchingSecrets) return;
  Task& task = *it->second;
  const std::string ns = task.ns;
  if (!secrets.ok()) {
    effects.Log(
        [why = std::string(secrets.status().message()), state_id, node = task.state.node_name] {
          EXO_LOG(kWarning, "secrets_unavailable", why, {{"state_id", state_id}, {"node", node}});
        });
    Finish(state_id,
           Report::Errored(state_id,
                           absl::StrCat("could not fetch the secrets of node \"",
                                        task.state.node_name, "\": ", secrets.status().message())),
           FailureReason::kSecrets, effects);
    Rebalance(ns, effects);
    return;
  }
  absl::StatusOr<json::StringMap> selected = SelectSecrets(*task.spec, *secrets);
  if (!selected.ok()) {
    Finish(state_id, Report::Errored(state_id, std::string(selected.status().message())),
           FailureReason::kSecrets, effects);
    Rebalance(ns, effects);
    return;
  }
  task.secrets = *std::move(selected);
  task.secrets_ready = true;
  if (RegisteredWorker* worker = registry_.Find(task.worker_id); worker != nullptr) {
    Send(task, *worker, effects);
    return;
  }
  // Its worker left while the secrets were on their way.
  task.worker_id.clear();
  Assign(task, effects);
}

void TaskLifecycle::OnTimer(const std::string& state_id, uint64_t attempt, RouterEffects& effects) {
  auto it = tasks_.find(state_id);
  if (it == tasks_.end() || it->second->attempt != attempt) return;
  Task& task = *it->second;
  if (task.phase == Phase::kOrphaned) {
    task.timer = Scheduler::kNoTask;
    effects.Log([state_id, node = task.state.node_name] {
      EXO_LOG(kWarning, "task_handed_back", "no worker for the node within the grace period",
              {{"state_id", state_id}, {"node", node}});
    });
    HandBack(state_id, effects);
    return;
  }
  if (task.phase != Phase::kRunning) return;
  task.timer = Scheduler::kNoTask;
  const std::string deadline = FormatMillis(task.spec->deadline);
  if (RegisteredWorker* worker = registry_.Find(task.worker_id); worker != nullptr) {
    effects.Send(worker->sink, CancelMessage(state_id, v1::CancelTask::DEADLINE_EXCEEDED,
                                             absl::StrCat("deadline exceeded after ", deadline,
                                                          "; the state was reported errored")));
  }
  effects.Log([state_id, node = task.state.node_name, worker = task.worker_id, deadline] {
    EXO_LOG(kWarning, "task_deadline_exceeded", "",
            {{"state_id", state_id}, {"node", node}, {"worker", worker}, {"deadline", deadline}});
  });
  const std::string ns = task.ns;
  Finish(state_id,
         Report::Errored(state_id, absl::StrCat("deadline exceeded after ", deadline, " on worker ",
                                                task.worker_id)),
         FailureReason::kDeadlineExceeded, effects);
  Rebalance(ns, effects);
}

void TaskLifecycle::BeginDrain(RouterEffects& effects) {
  const std::vector<std::string> orphans(orphans_.begin(), orphans_.end());
  for (const std::string& state_id : orphans) HandBack(state_id, effects);
}

void TaskLifecycle::HandBackAll(absl::string_view why, RouterEffects& effects) {
  std::vector<std::string> state_ids;
  state_ids.reserve(tasks_.size());
  for (const auto& [state_id, task] : tasks_) state_ids.push_back(state_id);
  for (const std::string& state_id : state_ids) {
    Task& task = *tasks_.at(state_id);
    if (RegisteredWorker* worker = registry_.Find(task.worker_id);
        worker != nullptr && task.phase == Phase::kRunning) {
      effects.Send(worker->sink,
                   CancelMessage(state_id, v1::CancelTask::DRAIN_TIMEOUT,
                                 absl::StrCat("handed back to the state manager: ", why)));
    }
    effects.Log(
        [why = std::string(why), state_id, node = task.state.node_name, worker = task.worker_id] {
          EXO_LOG(kWarning, "task_handed_back", why,
                  {{"state_id", state_id}, {"node", node}, {"worker", worker}});
        });
    HandBack(state_id, effects);
  }
}

void TaskLifecycle::HandBack(const std::string& state_id, RouterEffects& effects) {
  Finish(state_id,
         Report::RequeueAfter(state_id, absl::ToInt64Milliseconds(options_.handback_delay)),
         FailureReason::kNone, effects, std::nullopt, TaskOutcome::kHandedBack);
}

std::string TaskLifecycle::NodeLabel(const Task& task) const {
  if (registry_.Serves(task.ns, task.state.node_name)) return task.state.node_name;
  return task.spec != nullptr ? task.spec->name : "other";
}

void TaskLifecycle::Finish(const std::string& state_id, Report report, FailureReason failure,
                           RouterEffects& effects, std::optional<absl::Duration> duration,
                           std::optional<TaskOutcome> outcome) {
  auto it = tasks_.find(state_id);
  if (it == tasks_.end()) return;
  Task& task = *it->second;
  effects.finished.push_back(
      {task.ns, NodeLabel(task), outcome.value_or(OutcomeOf(report)), failure, duration});
  CancelTimer(task);
  registry_.Release(task.worker_id, state_id);
  orphans_.erase(state_id);
  effects.reports.emplace_back(task.ns, std::move(report));
  tasks_.erase(it);
}

void TaskLifecycle::Orphan(Task& task, RouterEffects& effects) {
  task.phase = Phase::kOrphaned;
  task.worker_id.clear();
  const std::string state_id = task.state.state_id;
  if (registry_.draining()) {
    HandBack(state_id, effects);
    return;
  }
  orphans_.insert(state_id);
  if (task.timer != Scheduler::kNoTask) return;  // already waiting out its grace period
  ScheduleTimer(task, options_.reconnect_grace);
}

void TaskLifecycle::Rebalance(absl::string_view ns, RouterEffects& effects) {
  if (!orphans_.empty()) {
    const std::vector<std::string> orphans(orphans_.begin(), orphans_.end());
    for (const std::string& state_id : orphans) {
      Task& task = *tasks_.at(state_id);
      if (task.ns == ns && registry_.Pick(task.ns, task.state.node_name) != nullptr) {
        Assign(task, effects);
      }
    }
  }
  effects.capacity.emplace_back(ns);
}

void TaskLifecycle::ScheduleTimer(Task& task, absl::Duration delay) {
  task.attempt = next_attempt_++;
  task.timer =
      scheduler_.ScheduleAfter(delay, [this, state_id = task.state.state_id,
                                       attempt = task.attempt] { on_timer_(state_id, attempt); });
}

void TaskLifecycle::CancelTimer(Task& task) {
  if (task.timer != Scheduler::kNoTask) scheduler_.Cancel(task.timer);
  task.timer = Scheduler::kNoTask;
}

}  // namespace exosphere::sidecar
