#ifndef EXOSPHERE_DEVSERVER_CRON_SCHEDULER_H_
#define EXOSPHERE_DEVSERVER_CRON_SCHEDULER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "devserver/run_service.h"
#include "devserver/store.h"

namespace exosphere::devserver {

// Fires cron triggers like the newest state manager (contract 4.12): at every multiple of
// `check_interval` (one minute by default, so at each minute boundary) it claims the due PENDING
// records one at a time, triggers the graph with an empty body, marks the record TRIGGERED or
// FAILED (kept for 720 hours), and inserts the following fire times up to and including the first
// one after the check time, so missed slots are caught up one by one. Owns one thread; times come
// from the injected Clock. Thread-safe.
class CronScheduler {
 public:
  // All references must outlive the scheduler. Call Start() to begin.
  CronScheduler(Store& store, RunService& runs, const Clock& clock, absl::Duration check_interval);
  // Calls Shutdown().
  ~CronScheduler();
  CronScheduler(const CronScheduler&) = delete;
  CronScheduler& operator=(const CronScheduler&) = delete;

  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the thread (waiting for a check in progress). Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  // One check as of `now`, on the calling thread. Returns how many records fired.
  int CheckDue(absl::Time now);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  Store& store_;
  RunService& runs_;
  const Clock& clock_;
  const absl::Duration check_interval_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_CRON_SCHEDULER_H_
