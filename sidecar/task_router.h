#ifndef EXOSPHERE_SIDECAR_TASK_ROUTER_H_
#define EXOSPHERE_SIDECAR_TASK_ROUTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/scheduler.h"
#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/capacity_listener.h"
#include "sidecar/node_spec.h"
#include "sidecar/registration_requester.h"
#include "sidecar/report_queue.h"
#include "sidecar/secrets_fetcher.h"
#include "sidecar/sidecar_metrics_fwd.h"
#include "sidecar/states_client.h"
#include "sidecar/worker_sink.h"

namespace exosphere::sidecar {

struct TaskRouterOptions {
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

// Nodes of one namespace that are served by exactly the same workers, so that claiming up to
// `capacity` states of any mix of them can never claim more than those workers can run.
struct PollGroup {
  std::vector<std::string> node_names;  // sorted
  int capacity = 0;
};

struct RouterStats {
  struct Namespace {
    int workers = 0;
    int64_t slots = 0;
    int64_t busy_slots = 0;
  };
  int workers = 0;
  int registered_workers = 0;
  // Workers waiting for a registration that failed at least once.
  int registration_failures = 0;
  int64_t slots = 0;
  int64_t busy_slots = 0;
  int tasks_in_flight = 0;  // claimed, not yet handed to the report queue
  int orphaned_tasks = 0;   // waiting for a worker after theirs was lost
  bool draining = false;
  std::map<std::string, Namespace> by_namespace;
};

// The sidecar's core: connected workers, the nodes they serve, and every claimed state until its
// report is handed to the ReportQueue. It decides which worker runs a state (the least-loaded one
// serving the node), reserves the slot, gets secrets, sends the task, enforces deadlines, turns
// results into reports, and re-dispatches or hands back the tasks of lost workers.
//
// Each claimed state leaves the router exactly once, as one report. Thread-safe: every method
// takes one internal mutex for a short, non-blocking critical section; calls into the sinks and
// listeners are made with that mutex held, so they must not call back (see their contracts).
class TaskRouter {
 public:
  // `metrics` is optional and not owned.
  TaskRouter(TaskRouterOptions options, Scheduler& scheduler, ReportQueue& reports,
             SecretsFetcher& secrets, CapacityListener& capacity, RegistrationRequester& registrar,
             SidecarMetrics* metrics = nullptr);
  ~TaskRouter();
  TaskRouter(const TaskRouter&) = delete;
  TaskRouter& operator=(const TaskRouter&) = delete;

  // Adds a worker whose Hello was validated; returns its id ("w-1", "w-2", ...). The router sends
  // the Welcome and later Registration messages through `sink`, which must stay valid until
  // RemoveWorker returns. Errors: kFailedPrecondition when a node conflicts with one served by
  // another worker (different definition or runtime); kUnavailable while draining.
  absl::StatusOr<std::string> AddWorker(WorkerSpec spec, WorkerSink* sink,
                                        uint32_t max_message_bytes) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets a worker (its stream ended). Its tasks go to other workers or wait for one. Idempotent.
  void RemoveWorker(absl::string_view worker_id, absl::string_view reason) ABSL_LOCKS_EXCLUDED(mu_);
  void SetSlots(absl::string_view worker_id, uint32_t slots) ABSL_LOCKS_EXCLUDED(mu_);
  // A worker's answer. Unknown, duplicate and late results are answered with ResultRejected.
  void HandleResult(absl::string_view worker_id, const v1::TaskResult& result)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Registrar outcome for a runtime's node set.
  void OnRegistration(const RegistrationOutcome& outcome) ABSL_LOCKS_EXCLUDED(mu_);

  // What a namespace's poller may claim now, largest capacity first; empty while draining.
  std::vector<PollGroup> PlanPolls(absl::string_view ns) const ABSL_LOCKS_EXCLUDED(mu_);
  // Namespaces that have at least one registered worker.
  std::vector<std::string> ActiveNamespaces() const ABSL_LOCKS_EXCLUDED(mu_);
  // Takes charge of states just claimed in `ns`; `claimed_at` is when the claim reply arrived.
  void Dispatch(absl::string_view ns, std::vector<ClaimedState> states, absl::Time claimed_at)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stops dispatching new work: tells every worker to drain within `timeout`, refuses new
  // workers, hands back tasks waiting for a worker. Idempotent.
  void BeginDrain(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Hands every task still in flight back to the state manager and tells its worker to cancel.
  void HandBackAll(absl::string_view why) ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until no task is in flight or `deadline` (of the scheduler's clock) passes; returns
  // whether none is left.
  bool AwaitNoTasks(absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_);

  RouterStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Worker;
  struct Task;
  struct Runtime;
  struct ServedNode;

  enum class Phase { kFetchingSecrets, kRunning, kOrphaned };
  using NodeSet = std::map<std::string, std::shared_ptr<const NodeSpec>>;

  Worker* FindWorkerLocked(absl::string_view worker_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveWorkerLocked(absl::string_view worker_id, absl::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Asks the registrar to register every node `runtime` serves in `ns` now.
  void RequestRegistrationLocked(const std::string& ns, const std::string& runtime_name,
                                 Runtime& runtime) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A registration refused for good (`sent` is what it asked for): refuses the workers that
  // brought the nodes the state manager had not accepted before, and registers the rest.
  void RefuseRegistrationLocked(const RegistrationOutcome& outcome, Runtime& runtime,
                                const NodeSet& sent) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The eligible worker serving `node` in `ns` with a free slot and the lowest load, or null.
  // Workers labelled like one in `avoid_labels` are taken only when no other worker qualifies.
  Worker* PickWorkerLocked(absl::string_view ns, absl::string_view node,
                           const absl::flat_hash_set<std::string>& avoid_labels = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Assigns a task to a worker (or orphans it) and moves it on: fetch secrets or send.
  void AssignLocked(Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendTaskLocked(Task& task, Worker& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnSecrets(const std::string& state_id, absl::StatusOr<json::StringMap> secrets)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnDeadline(const std::string& state_id, uint64_t attempt) ABSL_LOCKS_EXCLUDED(mu_);
  void OnGraceExpired(const std::string& state_id, uint64_t attempt) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes the task from its worker (freeing the slot) and from the router, and submits `report`.
  // A non-empty `failure` is the reason the sidecar itself reported the state errored (for the
  // metrics); requeue reports of the sidecar's own making are hand-backs.
  void FinishLocked(const std::string& state_id, Report report, absl::string_view failure = "",
                    std::optional<absl::Duration> duration = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandBackLocked(const std::string& state_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The node label of a task: its node if a worker serves it, "other" otherwise (bounded).
  std::string NodeLabelLocked(const Task& task) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseSlotLocked(Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OrphanLocked(Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives orphaned tasks of `ns` to workers with free slots, then tells the poller if slots are
  // still free.
  void RebalanceLocked(absl::string_view ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendRegistrationLocked(Worker& worker, const absl::Status& status, absl::Duration retry_in)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static int64_t FreeSlots(const Worker& worker);
  bool EligibleLocked(const Worker& worker) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TaskRouterOptions options_;
  Scheduler& scheduler_;
  ReportQueue& reports_;
  SecretsFetcher& secrets_;
  CapacityListener& capacity_;
  RegistrationRequester& registrar_;
  SidecarMetrics* const metrics_;

  mutable absl::Mutex mu_;
  uint64_t next_worker_number_ ABSL_GUARDED_BY(mu_) = 1;
  // Distinguishes the timers of successive attempts of one task.
  uint64_t next_attempt_ ABSL_GUARDED_BY(mu_) = 1;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<Worker>> workers_ ABSL_GUARDED_BY(mu_);
  // Keyed by namespace, then runtime name.
  std::map<std::string, std::map<std::string, Runtime, std::less<>>, std::less<>> runtimes_
      ABSL_GUARDED_BY(mu_);
  // Keyed by namespace, then node name.
  std::map<std::string, std::map<std::string, ServedNode, std::less<>>, std::less<>> served_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<Task>> tasks_ ABSL_GUARDED_BY(mu_);
  // State ids of the tasks waiting for a worker (a subset of tasks_).
  absl::flat_hash_set<std::string> orphans_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TASK_ROUTER_H_
