#include "common/thread_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace exosphere {
namespace {

TEST(ThreadPoolTest, RunsEverythingSubmittedBeforeDestruction) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 1000; ++i) pool.Submit([&] { count.fetch_add(1); });
  }
  EXPECT_EQ(count.load(), 1000);
}

TEST(ThreadPoolTest, ASlowClosureDoesNotHoldUpTheOthers) {
  ThreadPool pool(2);
  absl::Notification release;
  absl::Notification other_ran;
  pool.Submit([&] { release.WaitForNotification(); });
  pool.Submit([&] { other_ran.Notify(); });
  EXPECT_TRUE(other_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release.Notify();
}

}  // namespace
}  // namespace exosphere
