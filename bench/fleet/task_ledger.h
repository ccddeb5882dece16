#ifndef EXOSPHERE_BENCH_FLEET_TASK_LEDGER_H_
#define EXOSPHERE_BENCH_FLEET_TASK_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace exosphere::bench {

// What the fleet's workers saw: every task, which pod ran it, when, and its pickup latency
// (the run's trigger time travels in the task's input "t", in Unix microseconds, so the latency
// is trigger -> task start, measured by one clock). Thread-safe.
class TaskLedger {
 public:
  explicit TaskLedger(int pods);

  // A task arrived at `pod`'s worker.
  void Record(int pod, const std::string& state_id, const std::string& trigger_micros)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets everything (between scenarios).
  void Reset() ABSL_LOCKS_EXCLUDED(mu_);

  int64_t tasks() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until at least `count` tasks arrived or `timeout` passes; returns whether they did.
  bool AwaitTasks(int64_t count, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  struct Summary {
    int64_t tasks = 0;
    int64_t distinct_states = 0;
    // States that arrived more than once (at any pods).
    int64_t duplicate_states = 0;
    double pickup_p50_ms = 0;
    double pickup_p99_ms = 0;
    double pickup_max_ms = 0;
    int64_t min_per_pod = 0;
    int64_t max_per_pod = 0;
    // max/min of the tasks per pod; 0 when some pod ran none.
    double fairness = 0;
    int pods_idle = 0;  // pods that ran no task
  };
  Summary Summarize() const ABSL_LOCKS_EXCLUDED(mu_);

  // Task arrivals after `since`, counted per `bucket` (index 0 = [since, since + bucket)).
  std::vector<int64_t> ArrivalsPerBucket(absl::Time since, absl::Duration bucket) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Task arrivals in [from, to).
  int64_t TasksBetween(absl::Time from, absl::Time to) const ABSL_LOCKS_EXCLUDED(mu_);
  // The time of the first task of each pod after `since` (InfiniteFuture for a pod without one).
  std::vector<absl::Time> FirstTaskPerPodAfter(absl::Time since) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Arrival {
    absl::Time at;
    int pod = 0;
  };

  const int pods_;
  mutable absl::Mutex mu_;
  std::vector<int64_t> per_pod_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<double> pickup_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<Arrival> arrivals_ ABSL_GUARDED_BY(mu_);
  int64_t tasks_ ABSL_GUARDED_BY(mu_) = 0;
};

// The q-quantile (0..1) of unsorted values; 0 for none.
double Quantile(std::vector<double> values, double q);

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_FLEET_TASK_LEDGER_H_
