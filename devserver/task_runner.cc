#include "devserver/task_runner.h"

#include <exception>
#include <utility>

#include "common/log.h"

namespace exosphere::devserver {

TaskRunner::TaskRunner(Clock& clock, int threads)
    : scheduler_(clock), pool_(std::make_unique<ThreadPool>(threads < 1 ? 1 : threads)) {}

TaskRunner::~TaskRunner() { Shutdown(); }

std::function<void()> TaskRunner::Guarded(std::function<void()> task) {
  return [task = std::move(task)] {
    // Our tasks do not throw, but a third-party library might; keep the process alive.
    try {
      task();
    } catch (const std::exception& e) {
      EXO_LOG(kError, "background_task_failed", "a background task threw", {{"error", e.what()}});
    } catch (...) {
      EXO_LOG(kError, "background_task_failed", "a background task threw a non-exception");
    }
  };
}

void TaskRunner::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (!accepting_) return;
  pool_->Submit(Guarded(std::move(task)));
}

void TaskRunner::PostAt(absl::Time due, std::function<void()> task) {
  {
    absl::MutexLock lock(&mu_);
    if (!accepting_) return;
  }
  scheduler_.ScheduleAt(due, [this, task = std::move(task)]() mutable { Post(std::move(task)); });
}

void TaskRunner::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
  }
  // Delayed tasks that are already due still get handed to the workers (they Post, so this runs
  // while Post is still accepted); later ones are dropped with the scheduler.
  scheduler_.WaitUntilIdle();
  {
    absl::MutexLock lock(&mu_);
    accepting_ = false;
  }
  scheduler_.Stop();
  pool_.reset();
}

}  // namespace exosphere::devserver
