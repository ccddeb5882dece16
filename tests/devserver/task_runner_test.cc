#include "devserver/task_runner.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"

namespace exosphere::devserver {
namespace {

class TaskRunnerTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
};

TEST_F(TaskRunnerTest, RunsPostedTasks) {
  TaskRunner runner(clock_, 2);
  absl::Notification done;
  runner.Post([&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST_F(TaskRunnerTest, DelayedTasksWaitForTheClock) {
  TaskRunner runner(clock_, 1);
  absl::Notification done;
  runner.PostAt(clock_.Now() + absl::Seconds(5), [&] { done.Notify(); });
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  EXPECT_FALSE(done.HasBeenNotified());
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST_F(TaskRunnerTest, ShutdownRunsDueWorkAndDropsLaterWork) {
  std::atomic<int> immediate{0};
  std::atomic<int> due{0};
  std::atomic<int> delayed{0};
  {
    TaskRunner runner(clock_, 1);
    absl::Notification release;
    runner.Post([&] { release.WaitForNotification(); });
    for (int i = 0; i < 5; ++i) runner.Post([&] { ++immediate; });
    runner.PostAt(clock_.Now() + absl::Hours(1), [&] { ++delayed; });
    runner.PostAt(clock_.Now(), [&] { ++due; });
    runner.PostAt(clock_.Now() - absl::Seconds(1), [&] { ++due; });
    release.Notify();
    runner.Shutdown();
    runner.Post([&] { ++immediate; });
  }
  EXPECT_EQ(immediate.load(), 5);
  EXPECT_EQ(due.load(), 2);
  EXPECT_EQ(delayed.load(), 0);
}

TEST_F(TaskRunnerTest, AThrowingTaskDoesNotStopTheRunner) {
  TaskRunner runner(clock_, 1);
  absl::Notification done;
  runner.Post([] { throw std::runtime_error("boom"); });
  runner.Post([&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

}  // namespace
}  // namespace exosphere::devserver
