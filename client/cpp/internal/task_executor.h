#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_TASK_EXECUTOR_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_TASK_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace exosphere::client::internal {

// The worker threads of a Runtime: a fixed number of threads running submitted closures in
// FIFO order, so that at most `threads` nodes execute at once. Thread-safe; owns its threads.
class TaskExecutor {
 public:
  explicit TaskExecutor(int threads);
  // Shuts down (see Shutdown).
  ~TaskExecutor();
  TaskExecutor(const TaskExecutor&) = delete;
  TaskExecutor& operator=(const TaskExecutor&) = delete;

  // Queues `work`. Returns false (and drops it) once Shutdown began.
  bool Submit(std::function<void()> work) ABSL_LOCKS_EXCLUDED(mu_);

  // Runs what is queued, then joins the threads. Blocks; idempotent; must not be called from
  // one of the executor's own threads.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_, join_mu_);

  // Whether the caller is one of the executor's threads.
  bool IsExecutorThread() const;

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex join_mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(join_mu_);
  // Written by the constructor only.
  std::vector<std::thread::id> thread_ids_;
};

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_TASK_EXECUTOR_H_
