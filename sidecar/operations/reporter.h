#ifndef EXOSPHERE_SIDECAR_OPERATIONS_REPORTER_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_REPORTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/scheduler.h"
#include "sidecar/core/component_stats.h"
#include "sidecar/core/report_queue.h"
#include "sidecar/operations/journal.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct ReporterOptions {
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  // The re-enqueue-after delay of a state handed back because every report was refused.
  absl::Duration hand_back_delay = absl::Seconds(1);
  // The pollers' limit of unsent reports (PollerOptions::max_unsent_reports): a settled report
  // that brings the count below it runs the drained callback. Zero: never.
  uint64_t unsent_limit = 0;
};

// Delivers every report to the state manager: each one independently and without blocking a
// thread (so a slow one holds up no other), retrying transient failures (connection errors,
// timeouts, 5xx, 408, 429, and 401 because a rotated API key may come back) with capped
// exponential backoff and jitter until the server accepts it or refuses it for good. A retried
// report refused because the state is not QUEUED counts as applied: the first attempt landed.
// A report refused for good is replaced by the next one of FallbackAfterRefusal (errored, a
// shorter errored, a hand-back), so that the state does not stay QUEUED; only a refused
// hand-back, or a state that is not QUEUED, leaves nothing to send. Thread-safe.
class Reporter final : public ReportQueue {
 public:
  // Called after each delivered report (on a pool thread, no lock held), e.g. to wake a poller:
  // an executed report usually makes new states claimable.
  using DeliveredCallback = std::function<void(const std::string& ns, const Report& report)>;
  // Called when a settled report brings the unsent count from options.unsent_limit down to one
  // below it (on the settling thread, no lock held), so that paused pollers claim again at once.
  using DrainedCallback = std::function<void()>;

  // `journal` (optional, not owned) records each report when submitted and when settled.
  Reporter(StatesClient& client, Scheduler& scheduler, ReporterOptions options,
           DeliveredCallback on_delivered = nullptr, DrainedCallback on_drained = nullptr,
           Journal* journal = nullptr);
  ~Reporter() override;
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  void Submit(std::string ns, Report report) override ABSL_LOCKS_EXCLUDED(mu_);
  // Sends again a report a previous run had decided but maybe not delivered (read back from the
  // journal, where it already is). A 400 "not queued" on its first attempt means the previous
  // run's attempt landed.
  void Resubmit(std::string ns, Report report) ABSL_LOCKS_EXCLUDED(mu_);

  // No attempt starts after this, and outcomes that arrive later are ignored; called before the
  // HTTP client and the scheduler are torn down. Reports not delivered yet stay unsent (the
  // journal has them).
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Reports submitted and neither delivered nor refused yet.
  uint64_t unsent() const ABSL_LOCKS_EXCLUDED(mu_);
  ReporterStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until at most `count` reports are unsent, or `deadline` (scheduler clock) passes;
  // returns whether the count was reached.
  bool AwaitUnsentAtMost(uint64_t count, absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until every submitted report is settled or `deadline` passes.
  bool AwaitIdle(absl::Time deadline) const { return AwaitUnsentAtMost(0, deadline); }

 private:
  struct Pending;
  void Enqueue(std::string ns, Report report, bool resent) ABSL_LOCKS_EXCLUDED(mu_);
  void Attempt(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  void OnAttemptDone(uint64_t id, const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // A refusal for good: sends the fallback report, or settles when none is left.
  void OnRefused(uint64_t id, Pending& pending, const absl::Status& status)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Settle(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  StatesClient& client_;
  Scheduler& scheduler_;
  const ReporterOptions options_;
  const DeliveredCallback on_delivered_;
  const DrainedCallback on_drained_;
  Journal* const journal_;

  mutable absl::Mutex mu_;
  ReporterStats stats_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // Attempts whose outcome callback has not finished; the destructor waits for them.
  int attempts_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Every report not settled yet. An entry is touched by one attempt at a time.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Pending>> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_REPORTER_H_
