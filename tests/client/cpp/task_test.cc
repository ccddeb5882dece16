#include "exosphere/client/task.h"

#include <thread>

#include "gtest/gtest.h"

namespace exosphere::client {
namespace {

TEST(TaskTest, ExposesItsFieldsAndEmptyForAbsentKeys) {
  const Task task("s1", "node", "id", {{"a", "1"}}, {{"k", "v"}});
  EXPECT_EQ(task.state_id(), "s1");
  EXPECT_EQ(task.node_name(), "node");
  EXPECT_EQ(task.identifier(), "id");
  EXPECT_EQ(task.input("a"), "1");
  EXPECT_EQ(task.input("missing"), "");
  EXPECT_EQ(task.secret("k"), "v");
  EXPECT_EQ(task.deadline(), absl::InfiniteFuture());
  EXPECT_FALSE(task.IsCancelled());
}

TEST(TaskTest, SeesCancellationFromAnotherThread) {
  auto token = std::make_shared<CancellationToken>();
  const Task task("s1", "node", "id", {}, {}, token);
  std::thread canceller([token] { token->Cancel("deadline exceeded"); });
  EXPECT_TRUE(task.WaitForCancellation(absl::Seconds(10)));
  canceller.join();
  EXPECT_TRUE(task.IsCancelled());
  EXPECT_EQ(task.cancellation()->reason(), "deadline exceeded");
}

TEST(CancellationTokenTest, KeepsTheFirstReasonAndTimesOutWhenNotSet) {
  CancellationToken token;
  EXPECT_FALSE(token.WaitForCancellation(absl::Milliseconds(1)));
  token.Cancel("first");
  token.Cancel("second");
  EXPECT_EQ(token.reason(), "first");
  EXPECT_TRUE(token.WaitForCancellation(absl::ZeroDuration()));
}

}  // namespace
}  // namespace exosphere::client
