#ifndef EXOSPHERE_COMMON_THREAD_POOL_H_
#define EXOSPHERE_COMMON_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace exosphere {

// A fixed set of threads running submitted closures in FIFO order. Used for the blocking work
// (HTTP calls) that must never run on gRPC reactor threads. Thread-safe; owns its threads.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // Runs every closure already submitted, then joins the threads.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `work`; never blocks. Closures submitted after shutdown began are dropped with a log
  // line (nothing should submit then).
  void Submit(std::function<void()> work) ABSL_LOCKS_EXCLUDED(mu_);

  // Closures queued and not yet started.
  size_t queued() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace exosphere

#endif  // EXOSPHERE_COMMON_THREAD_POOL_H_
