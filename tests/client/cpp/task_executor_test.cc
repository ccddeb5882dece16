#include "client/cpp/internal/task_executor.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace exosphere::client::internal {
namespace {

TEST(TaskExecutorTest, RunsEverythingSubmittedBeforeShutdown) {
  std::atomic<int> ran{0};
  TaskExecutor executor(3);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(executor.Submit([&ran] { ++ran; }));
  executor.Shutdown();
  EXPECT_EQ(ran.load(), 50);
}

TEST(TaskExecutorTest, RefusesWorkAfterShutdown) {
  TaskExecutor executor(1);
  executor.Shutdown();
  EXPECT_FALSE(executor.Submit([] {}));
  executor.Shutdown();  // idempotent
}

TEST(TaskExecutorTest, RunsClosuresOnSeveralThreadsAtOnce) {
  TaskExecutor executor(2);
  absl::Notification first_running;
  absl::Notification second_ran;
  executor.Submit([&] {
    first_running.Notify();
    // Finishes only when the second closure ran, which needs a second thread.
    second_ran.WaitForNotification();
  });
  ASSERT_TRUE(first_running.WaitForNotificationWithTimeout(absl::Seconds(10)));
  executor.Submit([&] { second_ran.Notify(); });
  EXPECT_TRUE(second_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  executor.Shutdown();
}

}  // namespace
}  // namespace exosphere::client::internal
