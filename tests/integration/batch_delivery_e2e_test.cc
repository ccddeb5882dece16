// A claimed batch reaches its worker whole, with no other traffic on the stream to push it out:
// every task of a fan-out waits for all of its siblings to have arrived before it answers, so a
// task held back in the sidecar (or in gRPC's buffers, see WorkerStream::StartNextWriteLocked)
// would leave the barrier short.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

#include "exosphere/client/client.h"
#include "tests/support/sidecar_stack.h"
#include "tests/support/splitter_node.h"
#include "tests/support/status_matchers.h"

namespace exosphere {
namespace {

using ::exosphere::testing::SidecarStack;

constexpr int kSiblings = 8;

// Counts arrivals; each arrival waits until `expected` have arrived, or the timeout passes.
class Barrier {
 public:
  explicit Barrier(int expected) : expected_(expected) {}
  // Whether every expected arrival happened in time.
  bool ArriveAndWait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    ++arrived_;
    auto full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return arrived_ >= expected_; };
    return mu_.AwaitWithTimeout(absl::Condition(&full), timeout);
  }
  int arrived() {
    absl::MutexLock lock(&mu_);
    return arrived_;
  }

 private:
  const int expected_;
  absl::Mutex mu_;
  int arrived_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(BatchDeliveryTest, EveryTaskOfAClaimedBatchReachesAWorkerThatWaitsForAllOfThem) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SidecarStack> stack,
                       SidecarStack::Start(SidecarStack::Options{}));
  Barrier barrier(kSiblings);
  auto sibling = client::MakeNode({"sibling", {"item"}, {"met"}}, [&](const client::Task&) {
    const bool together = barrier.ArriveAndWait(absl::Seconds(20));
    return client::NodeResult::Output({{"met", together ? "all" : "alone"}});
  });
  auto splitter = testing::MakeSplitterNode("splitter");
  client::RuntimeOptions options;
  options.sidecar_address = stack->sidecar_address();
  options.workers = kSiblings;  // one stream with a slot for every sibling
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<client::Runtime> runtime,
                       client::Runtime::Create("batch", "batch-rt", {sibling, splitter}, options));
  ASSERT_OK(runtime->Start());
  ASSERT_OK(runtime->WaitUntilRegistered(absl::Seconds(30)));

  client::StateManagerOptions sm_options;
  sm_options.sidecar_address = stack->sidecar_address();
  client::StateManager state_manager("batch", sm_options);
  std::vector<client::GraphNode> graph(2);
  graph[0] = {"splitter", "split", {{"count", "${{ store.count }}"}}, {"siblings"}};
  graph[1] = {"sibling", "siblings", {{"item", "${{ split.outputs.item }}"}}, {}};
  client::StoreConfig store;
  store.required_keys = {"count"};
  ASSERT_OK(state_manager.UpsertGraph("fan", graph, {}, std::nullopt, store).status());
  ASSERT_OK_AND_ASSIGN(std::string run,
                       state_manager.Trigger("fan", {}, {{"count", absl::StrCat(kSiblings)}}));
  ASSERT_OK_AND_ASSIGN(client::RunStates outcome, state_manager.WaitForRun(run));
  EXPECT_EQ(outcome.status, client::RunStatus::kSuccess);
  EXPECT_EQ(barrier.arrived(), kSiblings);
  const std::vector<client::RunState> siblings = outcome.StatesOf("siblings");
  ASSERT_EQ(siblings.size(), static_cast<size_t>(kSiblings));
  for (const client::RunState& state : siblings) {
    EXPECT_EQ(state.outputs.at("met"), "all")
        << state.state_id << " waited alone: its batch was held back";
  }
  runtime.reset();
}

}  // namespace
}  // namespace exosphere
