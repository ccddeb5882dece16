#include "sidecar/core/task_router.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/metrics/sidecar_metrics.h"

namespace exosphere::sidecar {

TaskRouter::Transaction::Transaction(TaskRouter& router) : router_(router) { router_.mu_.Lock(); }

TaskRouter::Transaction::~Transaction() {
  // Hand over hand: whoever decided first carries out its ordered effects first.
  router_.order_mu_.Lock();
  router_.mu_.Unlock();
  router_.CarryOutOrdered(effects_);
  router_.order_mu_.Unlock();
  router_.CarryOutRest(effects_);
}

TaskRouter::TaskRouter(TaskRouterOptions options, Scheduler& scheduler, ReportQueue& reports,
                       SecretsFetcher& secrets, CapacityListener& capacity,
                       RegistrationRequester& registrar, SidecarMetrics* metrics)
    : reports_(reports),
      secrets_(secrets),
      capacity_(capacity),
      registrar_(registrar),
      metrics_(metrics),
      scheduler_(scheduler),
      lifecycle_(
          options, scheduler, registry_,
          [this](const std::string& state_id, uint64_t attempt) { OnTimer(state_id, attempt); }) {}

TaskRouter::~TaskRouter() = default;

absl::StatusOr<std::string> TaskRouter::AddWorker(WorkerSpec spec, WorkerSink* sink,
                                                  uint32_t max_message_bytes) {
  Transaction tx(*this);
  if (registry_.draining()) {
    return absl::UnavailableError(
        "the sidecar is draining and accepts no new workers; reconnect to its replacement");
  }
  absl::StatusOr<RegisteredWorker*> added =
      registry_.Add(std::move(spec), sink, max_message_bytes, tx.effects());
  if (!added.ok()) return added.status();
  const RegisteredWorker& worker = **added;
  tx.effects().Log([id = worker.id, label = worker.spec.label, ns = worker.spec.ns,
                    runtime = worker.spec.runtime_name, slots = worker.slots,
                    registered = worker.registered] {
    EXO_LOG(kInfo, "worker_connected", "",
            {{"worker", id},
             {"label", label},
             {"namespace", ns},
             {"runtime", runtime},
             {"slots", absl::StrCat(slots)},
             {"registered", registered ? "true" : "false"}});
  });
  if (worker.registered) lifecycle_.Rebalance(worker.spec.ns, tx.effects());
  return worker.id;
}

void TaskRouter::RemoveWorker(absl::string_view worker_id, absl::string_view reason) {
  Transaction tx(*this);
  RemoveWorkerLocked(worker_id, reason, tx.effects());
}

void TaskRouter::RemoveWorkerLocked(absl::string_view worker_id, absl::string_view reason,
                                    RouterEffects& effects) {
  std::unique_ptr<RegisteredWorker> worker = registry_.Remove(worker_id);
  if (worker == nullptr) return;
  effects.Log([id = worker->id, ns = worker->spec.ns, reason = std::string(reason),
               tasks = worker->tasks.size()] {
    EXO_LOG(kInfo, "worker_disconnected", reason,
            {{"worker", id}, {"namespace", ns}, {"tasks_in_flight", absl::StrCat(tasks)}});
  });
  lifecycle_.OnWorkerLost(*worker, reason, effects);
}

void TaskRouter::SetSlots(absl::string_view worker_id, uint32_t slots) {
  Transaction tx(*this);
  RegisteredWorker* worker = registry_.Find(worker_id);
  if (worker == nullptr) return;
  const uint32_t before = worker->slots;
  worker->slots = slots;
  tx.effects().Log([id = worker->id, slots] {
    EXO_LOG(kDebug, "worker_slots", "", {{"worker", id}, {"slots", absl::StrCat(slots)}});
  });
  if (slots > before) lifecycle_.Rebalance(worker->spec.ns, tx.effects());
}

void TaskRouter::HandleResult(absl::string_view worker_id, const v1::TaskResult& result) {
  Transaction tx(*this);
  lifecycle_.OnResult(registry_.Find(worker_id), worker_id, result, tx.effects());
}

void TaskRouter::OnRegistration(const RegistrationOutcome& outcome) {
  Transaction tx(*this);
  const size_t capacity_before = tx.effects().capacity.size();
  registry_.OnRegistration(outcome, tx.effects());
  // Workers became registered: orphans waiting for them can go now.
  if (tx.effects().capacity.size() > capacity_before) {
    lifecycle_.Rebalance(outcome.ns, tx.effects());
  }
}

std::vector<PollGroup> TaskRouter::PlanPolls(absl::string_view ns) const {
  absl::MutexLock lock(&mu_);
  return registry_.PlanPolls(ns);
}

std::vector<std::string> TaskRouter::ActiveNamespaces() const {
  absl::MutexLock lock(&mu_);
  return registry_.ActiveNamespaces();
}

void TaskRouter::Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                          absl::Time claimed_at) {
  Transaction tx(*this);
  lifecycle_.Dispatch(ns, std::move(states), claimed_at, tx.effects());
}

void TaskRouter::OnSecrets(const std::string& state_id, absl::StatusOr<json::StringMap> secrets) {
  Transaction tx(*this);
  lifecycle_.OnSecrets(state_id, std::move(secrets), tx.effects());
}

void TaskRouter::OnTimer(const std::string& state_id, uint64_t attempt) {
  Transaction tx(*this);
  lifecycle_.OnTimer(state_id, attempt, tx.effects());
}

void TaskRouter::BeginDrain(absl::Duration timeout) {
  Transaction tx(*this);
  if (registry_.draining()) return;
  registry_.BeginDrain(timeout, tx.effects());
  lifecycle_.BeginDrain(tx.effects());
  tx.effects().Log([timeout, tasks = lifecycle_.size(), workers = registry_.size()] {
    EXO_LOG(kInfo, "drain_started", "",
            {{"timeout_ms", absl::StrCat(absl::ToInt64Milliseconds(timeout))},
             {"tasks_in_flight", absl::StrCat(tasks)},
             {"workers", absl::StrCat(workers)}});
  });
}

void TaskRouter::HandBackAll(absl::string_view why) {
  Transaction tx(*this);
  lifecycle_.HandBackAll(why, tx.effects());
}

bool TaskRouter::AwaitNoTasks(absl::Time deadline) const {
  mu_.Lock();
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lifecycle_.empty(); };
  const bool none_left =
      scheduler_.clock().AwaitWithDeadline(mu_, absl::Condition(&none), deadline);
  // The call that finished the last task may still be handing its report to the queue: it took
  // order_mu_ before releasing mu_, so taking order_mu_ now waits for it.
  order_mu_.Lock();
  mu_.Unlock();
  order_mu_.Unlock();
  return none_left;
}

RouterStats TaskRouter::Stats() const {
  absl::MutexLock lock(&mu_);
  RouterStats stats;
  registry_.AddStats(stats);
  stats.draining = registry_.draining();
  stats.tasks_in_flight = static_cast<int>(lifecycle_.size());
  stats.orphaned_tasks = static_cast<int>(lifecycle_.orphans());
  return stats;
}

void TaskRouter::CarryOutOrdered(RouterEffects& effects) {
  // Each stream's messages in one SendAll, up to its close: a claimed batch spread over a few
  // workers leaves in one flush per worker. Only the order within a stream matters.
  std::vector<std::pair<WorkerSink*, std::vector<v1::SidecarMessage>>> batches;
  auto batch_of = [&batches](WorkerSink* sink) -> std::vector<v1::SidecarMessage>& {
    for (auto& [batch_sink, messages] : batches) {
      if (batch_sink == sink) return messages;
    }
    return batches.emplace_back(sink, std::vector<v1::SidecarMessage>()).second;
  };
  for (RouterEffects::StreamAction& action : effects.streams) {
    std::vector<v1::SidecarMessage>& messages = batch_of(action.sink);
    if (action.message.has_value()) {
      messages.push_back(*std::move(action.message));
      continue;
    }
    if (!messages.empty()) action.sink->SendAll(std::exchange(messages, {}));
    action.sink->Close(action.close_status);
  }
  for (auto& [sink, messages] : batches) {
    if (!messages.empty()) sink->SendAll(std::move(messages));
  }
  for (RegistrationRequest& request : effects.registrations) {
    registrar_.Request(std::move(request));
  }
  for (auto& [ns, report] : effects.reports) reports_.Submit(std::move(ns), std::move(report));
}

void TaskRouter::CarryOutRest(RouterEffects& effects) {
  for (RouterEffects::SecretsRequest& request : effects.secrets) {
    secrets_.Fetch(std::move(request.ns), request.state_id,
                   [this, state_id = request.state_id](absl::StatusOr<json::StringMap> secrets) {
                     OnSecrets(state_id, std::move(secrets));
                   });
  }
  if (metrics_ != nullptr) {
    for (const RouterEffects::Dispatched& event : effects.dispatched) {
      metrics_->TaskDispatched(event.ns, event.node, event.latency);
    }
    for (const RouterEffects::Finished& event : effects.finished) {
      if (event.failure != FailureReason::kNone) {
        metrics_->TaskFailed(event.ns, event.node, FailureReasonName(event.failure));
      }
      metrics_->TaskFinished(event.ns, event.node, event.outcome, event.duration);
    }
  }
  // One signal per namespace, however many slots this call freed.
  std::sort(effects.capacity.begin(), effects.capacity.end());
  effects.capacity.erase(std::unique(effects.capacity.begin(), effects.capacity.end()),
                         effects.capacity.end());
  for (const std::string& ns : effects.capacity) capacity_.OnCapacity(ns);
  for (const auto& line : effects.logs) line();
}

}  // namespace exosphere::sidecar
