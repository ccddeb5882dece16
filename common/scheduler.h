#ifndef EXOSPHERE_COMMON_SCHEDULER_H_
#define EXOSPHERE_COMMON_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"

namespace exosphere {

// Runs closures at points in time of a Clock, on one thread of its own: deadlines, retry delays,
// grace periods. Closures must be quick and must not block (hand slow work to a ThreadPool).
// Thread-safe; owns its thread. Closures still pending at destruction never run.
class Scheduler {
 public:
  using TaskId = uint64_t;
  static constexpr TaskId kNoTask = 0;

  explicit Scheduler(Clock& clock);
  // Stops (see Stop) and frees what is still pending.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Schedules `work`; returns an id for Cancel (never kNoTask).
  TaskId ScheduleAt(absl::Time when, std::function<void()> work) ABSL_LOCKS_EXCLUDED(mu_);
  TaskId ScheduleAfter(absl::Duration delay, std::function<void()> work) ABSL_LOCKS_EXCLUDED(mu_);
  // True when the closure had not started yet and now never will.
  bool Cancel(TaskId id) ABSL_LOCKS_EXCLUDED(mu_);

  // Joins the thread; closures pending now or scheduled later never run. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until no closure is running and none is due at the clock's current time. With a
  // FakeClock this is how a test knows that advancing time has had its effect.
  void WaitUntilIdle() const ABSL_LOCKS_EXCLUDED(mu_);

  Clock& clock() const { return clock_; }
  size_t pending() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  Clock& clock_;
  mutable absl::Mutex mu_;
  // Ordered by (time, id) so that equal times run in submission order.
  std::map<std::pair<absl::Time, TaskId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TaskId, absl::Time> times_ ABSL_GUARDED_BY(mu_);
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace exosphere

#endif  // EXOSPHERE_COMMON_SCHEDULER_H_
