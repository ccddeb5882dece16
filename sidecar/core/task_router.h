#ifndef EXOSPHERE_SIDECAR_CORE_TASK_ROUTER_H_
#define EXOSPHERE_SIDECAR_CORE_TASK_ROUTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/scheduler.h"
#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/core/capacity_listener.h"
#include "sidecar/core/claim_target.h"
#include "sidecar/core/component_stats.h"
#include "sidecar/core/node_spec.h"
#include "sidecar/core/registration_requester.h"
#include "sidecar/core/report_queue.h"
#include "sidecar/core/router_effects.h"
#include "sidecar/core/secrets_fetcher.h"
#include "sidecar/core/task_lifecycle.h"
#include "sidecar/core/worker_registry.h"
#include "sidecar/core/worker_sink.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

class SidecarMetrics;

using TaskRouterOptions = TaskLifecycleOptions;

// The sidecar's core: connected workers and the nodes they serve (WorkerRegistry), and every
// claimed state until its report is handed to the ReportQueue (TaskLifecycle). Each claimed
// state leaves the router exactly once, as one report.
//
// Thread-safe. Every call decides under one mutex, for a short critical section that only
// touches memory, and collects what it decided to do outside (RouterEffects). The effects are
// carried out after that mutex is released: messages to worker streams, registration requests
// and reports in the order the critical sections ran (a second mutex is taken before the first
// is released, so that a Welcome precedes the worker's Registration and a Task precedes its
// Cancel); secrets fetches, capacity signals, metrics and log lines after that. The peers must
// never call back into the router from inside those calls (see their contracts).
class TaskRouter final : public ClaimTarget {
 public:
  // `metrics` is optional and not owned.
  TaskRouter(TaskRouterOptions options, Scheduler& scheduler, ReportQueue& reports,
             SecretsFetcher& secrets, CapacityListener& capacity, RegistrationRequester& registrar,
             SidecarMetrics* metrics = nullptr);
  ~TaskRouter() override;
  TaskRouter(const TaskRouter&) = delete;
  TaskRouter& operator=(const TaskRouter&) = delete;

  // Adds a worker whose Hello was validated; returns its id ("w-1", "w-2", ...). The router sends
  // the Welcome and later Registration messages through `sink`, which must stay valid until
  // RemoveWorker returns. Errors: kFailedPrecondition when a node conflicts with one served by
  // another worker (different definition or runtime); kUnavailable while draining.
  absl::StatusOr<std::string> AddWorker(WorkerSpec spec, WorkerSink* sink,
                                        uint32_t max_message_bytes) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets a worker (its stream ended). Its tasks go to other workers or wait for one. Once it
  // returns, the router never uses the worker's sink again. Idempotent.
  void RemoveWorker(absl::string_view worker_id, absl::string_view reason) ABSL_LOCKS_EXCLUDED(mu_);
  void SetSlots(absl::string_view worker_id, uint32_t slots) ABSL_LOCKS_EXCLUDED(mu_);
  // A worker's answer. Unknown, duplicate and late results are answered with ResultRejected.
  void HandleResult(absl::string_view worker_id, const v1::TaskResult& result)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Registrar outcome for a runtime's node set.
  void OnRegistration(const RegistrationOutcome& outcome) ABSL_LOCKS_EXCLUDED(mu_);

  // ClaimTarget: what a namespace's poller may claim now, largest capacity first (empty while
  // draining), and where the claimed states go.
  std::vector<PollGroup> PlanPolls(absl::string_view ns) const override ABSL_LOCKS_EXCLUDED(mu_);
  void Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                absl::Time claimed_at) override ABSL_LOCKS_EXCLUDED(mu_);
  // Namespaces that have at least one registered worker.
  std::vector<std::string> ActiveNamespaces() const ABSL_LOCKS_EXCLUDED(mu_);

  // Stops dispatching new work: tells every worker to drain within `timeout`, refuses new
  // workers, hands back tasks waiting for a worker. Idempotent.
  void BeginDrain(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Hands every task still in flight back to the state manager and tells its worker to cancel.
  void HandBackAll(absl::string_view why) ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until no task is in flight (and every report decided has reached the report queue)
  // or `deadline` (of the scheduler's clock) passes; returns whether none is left.
  bool AwaitNoTasks(absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_, order_mu_);

  RouterStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One call's critical section: locks mu_ on construction; on destruction takes order_mu_,
  // releases mu_ and carries out the effects collected meanwhile.
  class ABSL_SCOPED_LOCKABLE Transaction {
   public:
    explicit Transaction(TaskRouter& router) ABSL_EXCLUSIVE_LOCK_FUNCTION(router.mu_);
    ~Transaction() ABSL_UNLOCK_FUNCTION();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    RouterEffects& effects() { return effects_; }

   private:
    TaskRouter& router_;
    RouterEffects effects_;
  };

  void RemoveWorkerLocked(absl::string_view worker_id, absl::string_view reason,
                          RouterEffects& effects) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnSecrets(const std::string& state_id, absl::StatusOr<json::StringMap> secrets)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnTimer(const std::string& state_id, uint64_t attempt) ABSL_LOCKS_EXCLUDED(mu_);
  // The effects whose order matters; called with order_mu_ held.
  void CarryOutOrdered(RouterEffects& effects) ABSL_EXCLUSIVE_LOCKS_REQUIRED(order_mu_);
  void CarryOutRest(RouterEffects& effects) ABSL_LOCKS_EXCLUDED(mu_, order_mu_);

  ReportQueue& reports_;
  SecretsFetcher& secrets_;
  CapacityListener& capacity_;
  RegistrationRequester& registrar_;
  SidecarMetrics* const metrics_;
  Scheduler& scheduler_;

  mutable absl::Mutex mu_;
  // Held while the ordered effects of one critical section are carried out; taken before mu_ is
  // released. Never held while taking mu_.
  mutable absl::Mutex order_mu_ ABSL_ACQUIRED_AFTER(mu_);
  WorkerRegistry registry_ ABSL_GUARDED_BY(mu_);
  TaskLifecycle lifecycle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_TASK_ROUTER_H_
