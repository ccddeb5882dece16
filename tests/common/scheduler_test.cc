#include "common/scheduler.h"

#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"

namespace exosphere {
namespace {

using ::exosphere::testing::FakeClock;

class SchedulerTest : public ::testing::Test {
 protected:
  // Waits until the scheduler thread has run everything due at the fake now.
  void Settle() { scheduler_.WaitUntilIdle(); }

  FakeClock clock_;
  Scheduler scheduler_{clock_};
  absl::Mutex mu_;
  std::vector<int> ran_ ABSL_GUARDED_BY(mu_);

  std::function<void()> Record(int value) {
    return [this, value] {
      absl::MutexLock lock(&mu_);
      ran_.push_back(value);
    };
  }
  std::vector<int> Ran() {
    absl::MutexLock lock(&mu_);
    return ran_;
  }
};

TEST_F(SchedulerTest, RunsClosuresInTimeOrderWhenTheirTimeComes) {
  scheduler_.ScheduleAfter(absl::Seconds(3), Record(3));
  scheduler_.ScheduleAfter(absl::Seconds(1), Record(1));
  scheduler_.ScheduleAfter(absl::Seconds(2), Record(2));
  Settle();
  EXPECT_TRUE(Ran().empty());
  clock_.Advance(absl::Seconds(2));
  Settle();
  EXPECT_EQ(Ran(), (std::vector<int>{1, 2}));
  clock_.Advance(absl::Seconds(1));
  Settle();
  EXPECT_EQ(Ran(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(SchedulerTest, CancelledClosuresNeverRun) {
  const Scheduler::TaskId id = scheduler_.ScheduleAfter(absl::Seconds(1), Record(1));
  scheduler_.ScheduleAfter(absl::Seconds(2), Record(2));
  EXPECT_TRUE(scheduler_.Cancel(id));
  EXPECT_FALSE(scheduler_.Cancel(id));
  clock_.Advance(absl::Seconds(5));
  Settle();
  EXPECT_EQ(Ran(), (std::vector<int>{2}));
}

TEST_F(SchedulerTest, AnEarlierClosureScheduledLaterWakesTheThread) {
  scheduler_.ScheduleAfter(absl::Hours(1), Record(2));
  Settle();
  absl::Notification done;
  scheduler_.ScheduleAfter(absl::Seconds(1), [&] { done.Notify(); });
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(Ran().empty());
}

TEST_F(SchedulerTest, StopDropsPendingClosures) {
  scheduler_.ScheduleAfter(absl::Seconds(1), Record(1));
  scheduler_.Stop();
  clock_.Advance(absl::Seconds(2));
  EXPECT_TRUE(Ran().empty());
}

}  // namespace
}  // namespace exosphere
