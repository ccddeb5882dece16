#include "client/cpp/internal/task_executor.h"

#include <algorithm>
#include <utility>

namespace exosphere::client::internal {

TaskExecutor::TaskExecutor(int threads) {
  absl::MutexLock lock(&join_mu_);
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Loop(); });
    thread_ids_.push_back(threads_.back().get_id());
  }
}

TaskExecutor::~TaskExecutor() { Shutdown(); }

bool TaskExecutor::Submit(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return false;
  queue_.push_back(std::move(work));
  return true;
}

void TaskExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  absl::MutexLock lock(&join_mu_);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

bool TaskExecutor::IsExecutorThread() const {
  return std::find(thread_ids_.begin(), thread_ids_.end(), std::this_thread::get_id()) !=
         thread_ids_.end();
}

void TaskExecutor::Loop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      auto has_work_or_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || shutting_down_;
      };
      mu_.Await(absl::Condition(&has_work_or_done));
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace exosphere::client::internal
