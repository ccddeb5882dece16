#include "common/scheduler.h"

namespace exosphere {

Scheduler::Scheduler(Clock& clock) : clock_(clock) {
  thread_ = std::thread([this] { Run(); });
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

Scheduler::TaskId Scheduler::ScheduleAt(absl::Time when, std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  queue_.emplace(std::make_pair(when, id), std::move(work));
  times_.emplace(id, when);
  ++generation_;
  return id;
}

Scheduler::TaskId Scheduler::ScheduleAfter(absl::Duration delay, std::function<void()> work) {
  return ScheduleAt(clock_.Now() + delay, std::move(work));
}

bool Scheduler::Cancel(TaskId id) {
  absl::MutexLock lock(&mu_);
  auto it = times_.find(id);
  if (it == times_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  times_.erase(it);
  return true;
}

size_t Scheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void Scheduler::WaitUntilIdle() const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ ||
           (!running_ && (queue_.empty() || queue_.begin()->first.first > clock_.Now()));
  };
  mu_.Await(absl::Condition(&idle));
}

void Scheduler::Run() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      running_ = false;
      while (work == nullptr) {
        if (stopping_) return;
        if (queue_.empty()) {
          auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return stopping_ || !queue_.empty();
          };
          mu_.Await(absl::Condition(&wake));
          continue;
        }
        const absl::Time due = queue_.begin()->first.first;
        if (clock_.Now() < due) {
          // Wake early when an earlier task is scheduled or on shutdown.
          const uint64_t seen = generation_;
          auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return stopping_ || generation_ != seen;
          };
          clock_.AwaitWithDeadline(mu_, absl::Condition(&changed), due);
          continue;
        }
        auto first = queue_.begin();
        work = std::move(first->second);
        times_.erase(first->first.second);
        queue_.erase(first);
        running_ = true;
      }
    }
    work();
  }
}

}  // namespace exosphere
