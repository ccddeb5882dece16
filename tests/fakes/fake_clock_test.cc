#include "tests/fakes/fake_clock.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace exosphere::testing {
namespace {

TEST(FakeClockTest, AdvanceWakesAWaiterWhoseDeadlinePassed) {
  FakeClock clock;
  const absl::Time deadline = clock.Now() + absl::Seconds(5);
  absl::Mutex mu;
  bool woke = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    static constexpr bool kNever = false;
    EXPECT_FALSE(clock.AwaitWithDeadline(mu, absl::Condition(&kNever), deadline));
    woke = true;
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  clock.Advance(absl::Seconds(4));
  {
    absl::MutexLock lock(&mu);
    EXPECT_FALSE(woke);
  }
  clock.Advance(absl::Seconds(1));
  waiter.join();
  EXPECT_TRUE(woke);
}

TEST(FakeClockTest, ConditionEndsTheWaitBeforeTheDeadline) {
  FakeClock clock;
  absl::Mutex mu;
  bool ready = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(clock.AwaitWithDeadline(mu, absl::Condition(&ready), clock.Now() + absl::Hours(1)));
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  {
    absl::MutexLock lock(&mu);
    ready = true;
  }
  waiter.join();
  EXPECT_EQ(clock.waiters(), 0);
}

}  // namespace
}  // namespace exosphere::testing
