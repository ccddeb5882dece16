// End to end: real exosphere-devserver and exosphere-sidecar processes, C++ workers (Runtime)
// and the graph client (StateManager) in this process. Each test uses its own namespace.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "examples/cpp/demo_graph.h"
#include "examples/cpp/example_nodes.h"
#include "exosphere/client/runtime.h"
#include "exosphere/client/state_manager.h"
#include "tests/support/sidecar_stack.h"
#include "tests/support/status_matchers.h"
#include <sys/wait.h>

namespace exosphere::client {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::SidecarStack;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kRunTimeout = absl::Seconds(60);

// The statuses of a graph node's states, in creation order.
std::vector<StateStatus> StatusesOf(const RunStates& states, const std::string& identifier) {
  std::vector<StateStatus> statuses;
  for (const RunState& state : states.StatesOf(identifier)) statuses.push_back(state.status);
  return statuses;
}

std::vector<std::string> OutputsOf(const RunStates& states, const std::string& identifier,
                                   const std::string& field) {
  std::vector<std::string> values;
  for (const RunState& state : states.StatesOf(identifier)) {
    auto it = state.outputs.find(field);
    values.push_back(it == state.outputs.end() ? "<missing>" : it->second);
  }
  return values;
}

std::string Describe(const RunStates& states) {
  std::string text;
  for (const RunState& state : states.states) {
    text += state.identifier + " " + ToString(state.status) + " " + state.error + "\n";
  }
  return text;
}

class RuntimeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SidecarStack::Options stack_options;
    stack_options.devserver_flags = {"--log-level=warn"};
    // A short drain timeout keeps the drain test quick.
    stack_options.sidecar_flags = {"--drain-timeout-ms=2000", "--log-level=warn"};
    ASSERT_OK_AND_ASSIGN(stack_, SidecarStack::Start(std::move(stack_options)));
    StateManagerOptions options;
    options.sidecar_address = stack_->sidecar_address();
    state_manager_ = std::make_unique<StateManager>(Namespace(), options);
  }

  // One namespace per test keeps registrations and graphs apart.
  static std::string Namespace() {
    return std::string("e2e-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // Starts a worker serving `nodes` and waits until they are registered.
  void StartWorker(const std::string& runtime_name, std::vector<std::shared_ptr<BaseNode>> nodes,
                   int workers = 2) {
    RuntimeOptions options;
    options.sidecar_address = stack_->sidecar_address();
    options.workers = workers;
    options.initial_backoff = absl::Milliseconds(20);
    options.log_sink = [this, sink = DefaultLogSink()](LogSeverity severity,
                                                       const std::string& message) {
      sink(severity, message);
      absl::MutexLock lock(&log_mu_);
      logs_.push_back(message);
    };
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Runtime> runtime,
                         Runtime::Create(Namespace(), runtime_name, std::move(nodes), options));
    ASSERT_OK(runtime->Start());
    ASSERT_OK(runtime->WaitUntilRegistered(absl::Seconds(20)));
    runtimes_.push_back(std::move(runtime));
  }

  // Upserts a graph, triggers it and waits for the run to end.
  absl::StatusOr<RunStates> Run(const std::string& graph_name, const std::vector<GraphNode>& nodes,
                                const StringMap& inputs = {}, const StringMap& store = {},
                                const std::optional<RetryPolicy>& retry = std::nullopt,
                                const StringMap& secrets = {},
                                const std::optional<StoreConfig>& store_config = std::nullopt) {
    absl::StatusOr<Graph> graph =
        state_manager_->UpsertGraph(graph_name, nodes, secrets, retry, store_config);
    if (!graph.ok()) return graph.status();
    absl::StatusOr<std::string> run_id = state_manager_->Trigger(graph_name, inputs, store);
    if (!run_id.ok()) return run_id.status();
    return state_manager_->WaitForRun(*run_id, kRunTimeout);
  }

  // Waits until a worker logged a line containing `part`.
  bool AwaitLog(const std::string& part, absl::Duration timeout) {
    absl::MutexLock lock(&log_mu_);
    auto logged = [this, &part]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(log_mu_) {
      for (const std::string& line : logs_) {
        if (absl::StrContains(line, part)) return true;
      }
      return false;
    };
    return log_mu_.AwaitWithTimeout(absl::Condition(&logged), timeout);
  }

  absl::Mutex log_mu_;
  std::vector<std::string> logs_ ABSL_GUARDED_BY(log_mu_);
  // Declared after the log (the workers log until they stop) and first of the rest: the workers
  // stop before the sidecar they are connected to.
  std::unique_ptr<SidecarStack> stack_;
  std::unique_ptr<StateManager> state_manager_;
  std::vector<std::unique_ptr<Runtime>> runtimes_;
};

TEST_F(RuntimeE2eTest, DemoGraphRunsChainFanOutUniteStoreAndSecret) {
  StartWorker("examples", examples::ExampleNodes());
  ASSERT_OK_AND_ASSIGN(
      RunStates states,
      Run("demo", examples::DemoGraphNodes(), {{"text", "  one two   three "}}, {{"suffix", "?!"}},
          std::nullopt, {{"signing_key", "k"}}, examples::DemoStoreConfig()));
  ASSERT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  EXPECT_THAT(OutputsOf(states, "normalize", "text"), ElementsAre("one two three"));
  EXPECT_THAT(OutputsOf(states, "split", "word"), UnorderedElementsAre("one", "two", "three"));
  EXPECT_THAT(OutputsOf(states, "shout", "loud"),
              UnorderedElementsAre("ONE?!", "TWO?!", "THREE?!"));
  // The unite runs once, after every branch.
  EXPECT_THAT(OutputsOf(states, "collect", "summary"),
              ElementsAre("3 words shouted: \"one two three\""));
  EXPECT_THAT(OutputsOf(states, "sign", "signature"), ElementsAre(MatchesRegex("[0-9a-f]{16}")));
  EXPECT_EQ(states.states.size(), 9u);
  for (const RunState& state : states.states) {
    EXPECT_EQ(state.status, StateStatus::kSuccess) << state.identifier;
  }

  // Without a store value the graph's default applies.
  ASSERT_OK_AND_ASSIGN(std::string run_id, state_manager_->Trigger("demo", {{"text", "hi"}}));
  ASSERT_OK_AND_ASSIGN(RunStates defaulted, state_manager_->WaitForRun(run_id, kRunTimeout));
  EXPECT_THAT(OutputsOf(defaulted, "shout", "loud"), ElementsAre("HI!"));
}

TEST_F(RuntimeE2eTest, RetryPolicyRunsAFailingNodeAgainUntilItSucceeds) {
  std::atomic<int> attempts{0};
  StartWorker("retry",
              {MakeNode({"flaky", {}, {"attempt"}}, [&attempts](const Task&) -> NodeResult {
                const int attempt = ++attempts;
                if (attempt < 3)
                  return absl::UnavailableError("attempt " + std::to_string(attempt) + " failed");
                return StringMap{{"attempt", std::to_string(attempt)}};
              })});
  RetryPolicy retry;
  retry.max_retries = 3;
  retry.strategy = RetryStrategy::kFixed;
  retry.backoff_factor = absl::Milliseconds(10);
  ASSERT_OK_AND_ASSIGN(RunStates states, Run("retry", {{"flaky", "flaky"}}, {}, {}, retry));
  EXPECT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  EXPECT_THAT(
      StatusesOf(states, "flaky"),
      ElementsAre(StateStatus::kRetryCreated, StateStatus::kRetryCreated, StateStatus::kSuccess));
  EXPECT_EQ(states.states[0].error, "attempt 1 failed");
  EXPECT_THAT(OutputsOf(states, "flaky", "attempt").back(), "3");
}

TEST_F(RuntimeE2eTest, ExhaustedRetriesLeaveTheStateErrored) {
  StartWorker("fail", {MakeNode({"broken", {}, {}}, [](const Task&) -> NodeResult {
                throw std::runtime_error("the database is gone");
              })});
  RetryPolicy retry;
  retry.max_retries = 1;
  retry.strategy = RetryStrategy::kFixed;
  retry.backoff_factor = absl::Milliseconds(10);
  ASSERT_OK_AND_ASSIGN(RunStates states, Run("fail", {{"broken", "broken"}}, {}, {}, retry));
  EXPECT_EQ(states.status, RunStatus::kFailed);
  EXPECT_THAT(StatusesOf(states, "broken"),
              ElementsAre(StateStatus::kRetryCreated, StateStatus::kErrored));
  EXPECT_EQ(states.states.back().error, "the database is gone");
}

TEST_F(RuntimeE2eTest, OutputLackingADeclaredFieldIsErroredByTheWorker) {
  StartWorker("validate", {MakeNode({"sloppy", {}, {"result", "score"}}, [](const Task&) {
                return StringMap{{"result", "x"}};
              })});
  RetryPolicy no_retries;
  no_retries.max_retries = 0;
  ASSERT_OK_AND_ASSIGN(RunStates states,
                       Run("validate", {{"sloppy", "sloppy"}}, {}, {}, no_retries));
  EXPECT_EQ(states.status, RunStatus::kFailed);
  ASSERT_THAT(StatusesOf(states, "sloppy"), ElementsAre(StateStatus::kErrored));
  EXPECT_THAT(states.states[0].error, HasSubstr("lacks the declared output field \"score\""));
}

TEST_F(RuntimeE2eTest, PruneStopsItsBranch) {
  std::atomic<int> after_calls{0};
  StartWorker("prune", {MakeNode({"gate", {"keep"}, {"value"}},
                                 [](const Task& task) -> NodeResult {
                                   if (task.input("keep") != "yes") {
                                     return NodeResult::Prune({{"reason", "not wanted"}});
                                   }
                                   return StringMap{{"value", "kept"}};
                                 }),
                        MakeNode({"after", {"value"}, {}}, [&after_calls](const Task&) {
                          ++after_calls;
                          return NodeResult();
                        })});
  ASSERT_OK_AND_ASSIGN(
      RunStates states,
      Run("prune", {{"gate", "gate", {{"keep", "no"}}, {"after"}},
                    {"after", "after", {{"value", "${{ gate.outputs.value }}"}}}}));
  EXPECT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  EXPECT_THAT(StatusesOf(states, "gate"), ElementsAre(StateStatus::kPruned));
  EXPECT_TRUE(states.StatesOf("after").empty());
  EXPECT_EQ(after_calls.load(), 0);
}

TEST_F(RuntimeE2eTest, RequeueAfterRunsTheSameStateAgainLater) {
  absl::Mutex mu;
  std::map<std::string, int> calls_by_state;
  StartWorker("requeue", {MakeNode({"patient", {}, {"calls"}}, [&](const Task& task) -> NodeResult {
                int calls;
                {
                  absl::MutexLock lock(&mu);
                  calls = ++calls_by_state[task.state_id()];
                }
                if (calls == 1) return NodeResult::RequeueAfter(absl::Milliseconds(50));
                return StringMap{{"calls", std::to_string(calls)}};
              })});
  ASSERT_OK_AND_ASSIGN(RunStates states, Run("requeue", {{"patient", "patient"}}));
  EXPECT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  EXPECT_THAT(StatusesOf(states, "patient"), ElementsAre(StateStatus::kSuccess));
  EXPECT_THAT(OutputsOf(states, "patient", "calls"), ElementsAre("2"));
}

// Zero outputs finish the state with empty outputs; the state manager still creates the next
// states once (they just cannot reference its outputs).
TEST_F(RuntimeE2eTest, ZeroOutputsFinishTheStateAndNextNodesStillRun) {
  StartWorker("quiet", {MakeNode({"nothing", {}, {"x"}}, [](const Task&) { return NodeResult(); }),
                        MakeNode({"after", {"label"}, {"seen"}}, [](const Task& task) {
                          return StringMap{{"seen", task.input("label")}};
                        })});
  ASSERT_OK_AND_ASSIGN(RunStates states,
                       Run("quiet", {{"nothing", "nothing", {}, {"after"}},
                                     {"after", "after", {{"label", "constant"}}}}));
  EXPECT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  ASSERT_THAT(StatusesOf(states, "nothing"), ElementsAre(StateStatus::kSuccess));
  EXPECT_TRUE(states.StatesOf("nothing")[0].outputs.empty());
  EXPECT_THAT(OutputsOf(states, "after", "seen"), ElementsAre("constant"));
}

TEST_F(RuntimeE2eTest, WorkersWithDifferentNodesAndSlotsShareOneGraph) {
  StartWorker("producer",
              {MakeNode({"produce", {"count"}, {"item"}},
                        [](const Task& task) {
                          std::vector<StringMap> items;
                          for (int i = 0; i < std::stoi(task.input("count")); ++i) {
                            items.push_back({{"item", std::to_string(i)}});
                          }
                          return NodeResult::Outputs(std::move(items));
                        })},
              /*workers=*/1);
  absl::Mutex mu;
  int running = 0;
  int max_running = 0;
  StartWorker("consumer",
              {MakeNode({"consume", {"item"}, {"done"}},
                        [&](const Task& task) {
                          {
                            absl::MutexLock lock(&mu);
                            max_running = std::max(max_running, ++running);
                          }
                          // Simulated work, so that the consumer's tasks overlap.
                          absl::SleepFor(absl::Milliseconds(20));
                          absl::MutexLock lock(&mu);
                          --running;
                          return StringMap{{"done", "item " + task.input("item")}};
                        })},
              /*workers=*/3);
  ASSERT_OK_AND_ASSIGN(
      RunStates states,
      Run("pipeline", {{"produce", "produce", {{"count", "6"}}, {"consume"}},
                       {"consume", "consume", {{"item", "${{ produce.outputs.item }}"}}}}));
  EXPECT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  EXPECT_EQ(states.StatesOf("consume").size(), 6u);
  absl::MutexLock lock(&mu);
  EXPECT_LE(max_running, 3);
}

// The sidecar drains on SIGTERM: the task in flight finishes and is reported, the worker closes
// its stream and reconnects to the sidecar that replaces it.
TEST_F(RuntimeE2eTest, SidecarDrainLetsTheTaskFinishAndTheWorkerFollowsItsSuccessor) {
  absl::Notification started;
  absl::Notification release;
  StartWorker("drain", {MakeNode({"slow", {}, {"done"}}, [&](const Task&) {
                started.Notify();
                // Bounded, so that a failed assertion cannot leave the worker stuck here.
                release.WaitForNotificationWithTimeout(absl::Seconds(60));
                return StringMap{{"done", "yes"}};
              })});
  ASSERT_OK(state_manager_->UpsertGraph("drain", {{"slow", "slow"}}).status());
  ASSERT_OK_AND_ASSIGN(std::string run_id, state_manager_->Trigger("drain"));
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(30)));

  // The sidecar waits for the task (its drain timeout is 2 s) and then exits.
  stack_->sidecar().Signal(SIGTERM);
  ASSERT_TRUE(AwaitLog("The sidecar is draining", absl::Seconds(30)));
  release.Notify();
  ASSERT_OK_AND_ASSIGN(int wait_status, stack_->sidecar().Wait(absl::Seconds(30)));
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;

  ASSERT_OK(stack_->StartSidecar());
  ASSERT_OK(runtimes_[0]->WaitUntilRegistered(absl::Seconds(30)));
  ASSERT_OK_AND_ASSIGN(RunStates states, state_manager_->WaitForRun(run_id, kRunTimeout));
  EXPECT_EQ(states.status, RunStatus::kSuccess) << Describe(states);
  EXPECT_THAT(OutputsOf(states, "slow", "done"), ElementsAre("yes"));
}

}  // namespace
}  // namespace exosphere::client
