#ifndef EXOSPHERE_DEVSERVER_TASK_RUNNER_H_
#define EXOSPHERE_DEVSERVER_TASK_RUNNER_H_

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "common/scheduler.h"
#include "common/thread_pool.h"

namespace exosphere::devserver {

// Background work of the devserver (graph verification, next-state creation): the common
// Scheduler holds delayed tasks on the injected Clock (so tests drive delays with a FakeClock) and
// hands them to a small ThreadPool that runs them. Thread-safe; Post*() never blocks on task
// execution. A task that throws is logged, not fatal.
class TaskRunner {
 public:
  // `clock` must outlive the runner.
  TaskRunner(Clock& clock, int threads);
  // Calls Shutdown().
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Runs `task` as soon as a worker is free. Dropped after Shutdown() began.
  void Post(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs `task` once the clock reaches `due`. Dropped after Shutdown() began.
  void PostAt(absl::Time due, std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

  // Hands delayed tasks that are due by now to the workers, stops accepting tasks, drops delayed
  // ones that are not due yet, runs every task already handed to the workers and joins them.
  // Idempotent; blocks the caller.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  static std::function<void()> Guarded(std::function<void()> task);

  Scheduler scheduler_;

  absl::Mutex mu_;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // Reset (drained and joined) by Shutdown() without holding mu_: draining tasks may Post().
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_TASK_RUNNER_H_
