#include "tests/fakes/fake_clock.h"

#include <iterator>
#include <vector>

namespace exosphere::testing {

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                  absl::Time deadline) const {
  {
    absl::MutexLock lock(&mu_);
    ++waiting_[&mu];
    ++waiter_count_;
    deadlines_.insert(deadline);
  }
  // absl::Mutex re-evaluates a waiter's condition whenever the mutex is released, so Advance()
  // wakes us by briefly locking `mu` after moving the time.
  auto done = [&]() { return condition.Eval() || Now() >= deadline; };
  mu.Await(absl::Condition(&done));
  const bool satisfied = condition.Eval();
  {
    absl::MutexLock lock(&mu_);
    if (--waiting_[&mu] == 0) waiting_.erase(&mu);
    --waiter_count_;
    deadlines_.erase(deadlines_.find(deadline));
  }
  return satisfied;
}

void FakeClock::Advance(absl::Duration duration) {
  {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }
  WakeWaiters();
}

void FakeClock::SetNow(absl::Time time) {
  {
    absl::MutexLock lock(&mu_);
    now_ = time;
  }
  WakeWaiters();
}

void FakeClock::WakeWaiters() {
  std::vector<absl::Mutex*> mutexes;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [mutex, count] : waiting_) mutexes.push_back(mutex);
  }
  // Not holding mu_ here: a waiter holds its own mutex while it registers with us.
  for (absl::Mutex* mutex : mutexes) {
    mutex->Lock();
    mutex->Unlock();
  }
}

bool FakeClock::AwaitWaiters(int count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const auto ahead = std::distance(deadlines_.upper_bound(now_), deadlines_.end());
    return ahead >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

int FakeClock::waiters() const {
  absl::MutexLock lock(&mu_);
  return waiter_count_;
}

}  // namespace exosphere::testing
