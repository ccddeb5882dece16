#ifndef EXOSPHERE_SIDECAR_CORE_TASK_LIFECYCLE_H_
#define EXOSPHERE_SIDECAR_CORE_TASK_LIFECYCLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "common/scheduler.h"
#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/core/router_effects.h"
#include "sidecar/core/task_outcome.h"
#include "sidecar/core/worker_registry.h"
#include "sidecar/transport/json_util.h"
#include "sidecar/transport/report.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct TaskLifecycleOptions {
  // A task in flight on this many workers that were lost is reported errored instead of being
  // dispatched once more.
  int max_worker_losses = 3;
  // How long a task whose worker was lost waits for another worker serving its node before it is
  // handed back to the state manager.
  absl::Duration reconnect_grace = absl::Seconds(10);
  // The re-enqueue-after delay used when handing a state back.
  absl::Duration handback_delay = absl::Seconds(1);
  // Largest report body the state manager accepts (see ValidateResult).
  size_t max_report_bytes = 8 << 20;
};

// Every claimed state from its claim until its one report: it picks a worker (through the
// WorkerRegistry), waits for the secrets, sends the task, enforces the deadline, turns the
// result into the report, and re-dispatches, orphans or hands back the task when its worker is
// lost. Each task's timer (its deadline while running, its grace period while orphaned) fires
// through `on_timer`, which must take the router's lock and call OnTimer.
//
// Not thread-safe: the TaskRouter's lock guards it. Scheduling and cancelling timers is done
// under that lock (in-memory and non-blocking); everything else that leaves the router is
// appended to the RouterEffects it is given.
class TaskLifecycle {
 public:
  using TimerCallback = std::function<void(const std::string& state_id, uint64_t attempt)>;

  TaskLifecycle(TaskLifecycleOptions options, Scheduler& scheduler, WorkerRegistry& registry,
                TimerCallback on_timer);
  // Cancels the pending timers.
  ~TaskLifecycle();
  TaskLifecycle(const TaskLifecycle&) = delete;
  TaskLifecycle& operator=(const TaskLifecycle&) = delete;

  // Takes charge of states just claimed in `ns`; `claimed_at` is when the claim reply arrived.
  void Dispatch(absl::string_view ns, std::vector<ClaimedState> states, absl::Time claimed_at,
                RouterEffects& effects);
  // A worker's answer; unknown, duplicate and late results are answered with ResultRejected.
  void OnResult(RegisteredWorker* worker, absl::string_view worker_id, const v1::TaskResult& result,
                RouterEffects& effects);
  void OnSecrets(const std::string& state_id, absl::StatusOr<json::StringMap> secrets,
                 RouterEffects& effects);
  // A task's deadline (running) or grace period (orphaned) passed.
  void OnTimer(const std::string& state_id, uint64_t attempt, RouterEffects& effects);
  // `worker` (already removed from the registry) was lost: its tasks go to other workers,
  // wait for one, or are reported errored after too many losses.
  void OnWorkerLost(const RegisteredWorker& worker, absl::string_view reason,
                    RouterEffects& effects);
  // Gives orphaned tasks of `ns` to workers with free slots, then signals the namespace's
  // capacity so that its poller claims again.
  void Rebalance(absl::string_view ns, RouterEffects& effects);
  // Hands back the tasks waiting for a worker (the registry refuses new work from now on).
  void BeginDrain(RouterEffects& effects);
  // Hands every task back to the state manager, telling running workers to cancel.
  void HandBackAll(absl::string_view why, RouterEffects& effects);

  bool empty() const { return tasks_.empty(); }
  size_t size() const { return tasks_.size(); }
  size_t orphans() const { return orphans_.size(); }

 private:
  enum class Phase { kFetchingSecrets, kRunning, kOrphaned };
  struct Task;

  // Assigns a task to a worker (or orphans it) and moves it on: fetch secrets or send.
  void Assign(Task& task, RouterEffects& effects);
  void Send(Task& task, RegisteredWorker& worker, RouterEffects& effects);
  void Orphan(Task& task, RouterEffects& effects);
  // Frees the task's slot, forgets it and appends its report and outcome to `effects`.
  // `failure` is why the sidecar itself reported it errored; `duration` how long its worker had
  // it; `outcome` overrides the one the report's kind implies (a hand-back).
  void Finish(const std::string& state_id, Report report, FailureReason failure,
              RouterEffects& effects, std::optional<absl::Duration> duration = std::nullopt,
              std::optional<TaskOutcome> outcome = std::nullopt);
  void HandBack(const std::string& state_id, RouterEffects& effects);
  // The node label of a task: its node if a worker serves it, "other" otherwise (bounded).
  std::string NodeLabel(const Task& task) const;
  void ScheduleTimer(Task& task, absl::Duration delay);
  void CancelTimer(Task& task);

  const TaskLifecycleOptions options_;
  Scheduler& scheduler_;
  WorkerRegistry& registry_;
  const TimerCallback on_timer_;
  // Distinguishes the timers of successive attempts of one task.
  uint64_t next_attempt_ = 1;
  absl::flat_hash_map<std::string, std::unique_ptr<Task>> tasks_;
  // State ids of the tasks waiting for a worker (a subset of tasks_).
  absl::flat_hash_set<std::string> orphans_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_TASK_LIFECYCLE_H_
