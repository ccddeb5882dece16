#include "sidecar/services/task_batching.h"

#include <deque>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::sidecar {
namespace {

using ::testing::ElementsAre;

v1::SidecarMessage TaskMessage(const std::string& id, size_t input_bytes = 0) {
  v1::SidecarMessage message;
  message.mutable_task()->set_state_id(id);
  message.mutable_task()->set_node_name("node");
  if (input_bytes > 0)
    (*message.mutable_task()->mutable_inputs())["x"] = std::string(input_bytes, 'x');
  return message;
}

v1::SidecarMessage CancelMessage(const std::string& id) {
  v1::SidecarMessage message;
  message.mutable_cancel()->set_state_id(id);
  return message;
}

// What the stream would write, message by message: a task's id, "[a b]" for a batch, "cancel:x".
std::vector<std::string> Describe(const std::deque<v1::SidecarMessage>& outbox) {
  std::vector<std::string> described;
  for (const v1::SidecarMessage& message : outbox) {
    if (message.has_task()) {
      described.push_back(message.task().state_id());
    } else if (message.has_task_batch()) {
      std::string ids;
      for (const v1::Task& task : message.task_batch().tasks()) {
        ids += (ids.empty() ? "" : " ") + task.state_id();
      }
      described.push_back("[" + ids + "]");
    } else {
      described.push_back("cancel:" + message.cancel().state_id());
    }
  }
  return described;
}

TEST(CoalesceLeadingTasksTest, TasksAtTheFrontBecomeOneBatchInOrderUpToTheNextOtherMessage) {
  std::deque<v1::SidecarMessage> outbox = {TaskMessage("a"),   TaskMessage("b"), TaskMessage("c"),
                                           CancelMessage("z"), TaskMessage("d"), TaskMessage("e")};
  EXPECT_EQ(CoalesceLeadingTasks(outbox), 3u);
  EXPECT_THAT(Describe(outbox), ElementsAre("[a b c]", "cancel:z", "d", "e"));
  // The batch carries the tasks whole.
  EXPECT_EQ(outbox.front().task_batch().tasks(1).node_name(), "node");
}

TEST(CoalesceLeadingTasksTest, ALoneTaskOrAnotherMessageAtTheFrontIsLeftAsItIs) {
  std::deque<v1::SidecarMessage> lone = {TaskMessage("a"), CancelMessage("z"), TaskMessage("b")};
  EXPECT_EQ(CoalesceLeadingTasks(lone), 0u);
  EXPECT_THAT(Describe(lone), ElementsAre("a", "cancel:z", "b"));
  std::deque<v1::SidecarMessage> other = {CancelMessage("z"), TaskMessage("a"), TaskMessage("b")};
  EXPECT_EQ(CoalesceLeadingTasks(other), 0u);
  EXPECT_THAT(Describe(other), ElementsAre("cancel:z", "a", "b"));
  std::deque<v1::SidecarMessage> empty;
  EXPECT_EQ(CoalesceLeadingTasks(empty), 0u);
}

TEST(CoalesceLeadingTasksTest, ABatchStopsBeforeTheTaskThatWouldTakeItOverTheLimit) {
  std::deque<v1::SidecarMessage> outbox = {TaskMessage("a", 400), TaskMessage("b", 400),
                                           TaskMessage("c", 400)};
  EXPECT_EQ(CoalesceLeadingTasks(outbox, 1000), 2u);
  EXPECT_THAT(Describe(outbox), ElementsAre("[a b]", "c"));
  // Whatever its contents, the written message stays within the limit.
  EXPECT_LE(outbox.front().ByteSizeLong(), 1000u);
}

TEST(CoalesceLeadingTasksTest, ATaskLargerThanTheLimitGoesAlone) {
  std::deque<v1::SidecarMessage> outbox = {TaskMessage("big", 2000), TaskMessage("a"),
                                           TaskMessage("b")};
  EXPECT_EQ(CoalesceLeadingTasks(outbox, 1000), 0u);
  EXPECT_THAT(Describe(outbox), ElementsAre("big", "a", "b"));
  std::deque<v1::SidecarMessage> after = {TaskMessage("a"), TaskMessage("big", 2000)};
  EXPECT_EQ(CoalesceLeadingTasks(after, 1000), 0u);
  EXPECT_THAT(Describe(after), ElementsAre("a", "big"));
}

TEST(CoalesceLeadingTasksTest, TheDefaultLimitIsTheOneTheProtocolPromises) {
  // Three tasks of 400 KiB: two fit under 1 MiB, the third goes in the next message.
  std::deque<v1::SidecarMessage> outbox = {TaskMessage("a", 400 << 10), TaskMessage("b", 400 << 10),
                                           TaskMessage("c", 400 << 10)};
  EXPECT_EQ(CoalesceLeadingTasks(outbox), 2u);
  EXPECT_LT(outbox.front().ByteSizeLong(), size_t{1} << 20);
  EXPECT_THAT(Describe(outbox), ElementsAre("[a b]", "c"));
}

}  // namespace
}  // namespace exosphere::sidecar
