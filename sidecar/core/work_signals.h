#ifndef EXOSPHERE_SIDECAR_CORE_WORK_SIGNALS_H_
#define EXOSPHERE_SIDECAR_CORE_WORK_SIGNALS_H_

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

#include "sidecar/core/capacity_listener.h"

namespace exosphere::sidecar {

// Where the sidecar's parts say that a namespace may have states to claim: the router when
// workers gain free slots, the reporter when an executed report lands (and when its backlog of
// unsent reports drains, see ReporterOptions::unsent_limit), the Graphs service when a run is
// triggered. The pollers listen. The router and the pollers both depend on this board and
// not on each other (the pollers hand claimed states to the router through ClaimTarget), so the
// sidecar is built in one order with no pointer bound after construction. Thread-safe.
class WorkSignals final : public CapacityListener {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Same promises as CapacityListener::OnCapacity: never blocks, never calls back.
    virtual void OnCapacity(absl::string_view ns) = 0;
    virtual void OnLikelyWork(absl::string_view ns) = 0;
    // The unsent reports fell below the limit that pauses claims, in every namespace.
    virtual void OnReportsDrained() = 0;
  };

  WorkSignals() = default;
  WorkSignals(const WorkSignals&) = delete;
  WorkSignals& operator=(const WorkSignals&) = delete;

  void OnCapacity(absl::string_view ns) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnLikelyWork(absl::string_view ns) ABSL_LOCKS_EXCLUDED(mu_);
  void OnReportsDrained() ABSL_LOCKS_EXCLUDED(mu_);

  // Delivers the signals to `listener` until Unlisten, which returns once no signal is being
  // delivered to it. Signals while nobody listens are dropped: nothing claims before the pollers
  // exist, and a new poller claims at once.
  void Listen(Listener& listener) ABSL_LOCKS_EXCLUDED(mu_);
  void Unlisten() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Signals hold it shared (they may run at once); Listen and Unlisten hold it exclusively, so
  // that the listener is never called after Unlisten returns.
  absl::Mutex mu_;
  Listener* listener_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_WORK_SIGNALS_H_
