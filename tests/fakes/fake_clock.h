#ifndef EXOSPHERE_TESTS_FAKES_FAKE_CLOCK_H_
#define EXOSPHERE_TESTS_FAKES_FAKE_CLOCK_H_

#include <cstdint>
#include <map>
#include <set>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"

namespace exosphere::testing {

// A Clock that moves only when a test calls Advance() or SetNow(). Threads blocked in
// AwaitWithDeadline wake when the fake time reaches their deadline or their condition changes.
// Thread-safe. The mutexes of waiting threads must outlive any concurrent Advance() call.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000));

  absl::Time Now() const override;
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) const override;

  void Advance(absl::Duration duration);
  void SetNow(absl::Time time);

  // Blocks the test (in real time, up to `timeout`) until `count` threads wait on this clock
  // with a deadline still ahead. Lets a test advance time only once the code under test is
  // parked on a deadline; a waiter that an Advance() has released but that has not returned yet
  // does not count, so "advance, then await the next park" cannot see the old wait.
  bool AwaitWaiters(int count, absl::Duration timeout = absl::Seconds(10)) const;
  int waiters() const;

 private:
  void WakeWaiters();

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  // Mutex of each blocked waiter and how many waiters block on it.
  mutable std::map<absl::Mutex*, int> waiting_ ABSL_GUARDED_BY(mu_);
  mutable int waiter_count_ ABSL_GUARDED_BY(mu_) = 0;
  // The deadline of each blocked waiter.
  mutable std::multiset<absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::testing

#endif  // EXOSPHERE_TESTS_FAKES_FAKE_CLOCK_H_
