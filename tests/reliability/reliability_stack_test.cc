#include "tests/reliability/reliability_stack.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/reliability/node_names.h"
#include "tests/reliability/reliability_graphs.h"
#include "tests/support/status_matchers.h"
#include <sys/stat.h>
#include <sys/wait.h>

namespace exosphere::reliability {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Duration kSettle = absl::Seconds(60);
constexpr absl::Duration kTaskWait = absl::Seconds(30);

std::unique_ptr<ReliabilityStack> StartStack(ReliabilityStackOptions options = {}) {
  absl::StatusOr<std::unique_ptr<ReliabilityStack>> stack = ReliabilityStack::Start(options);
  EXPECT_TRUE(stack.ok()) << stack.status();
  return stack.ok() ? *std::move(stack) : nullptr;
}

ReliabilityStackOptions WithWorkers(int workers) {
  ReliabilityStackOptions options;
  options.workers = workers;
  return options;
}

std::string CommandLine(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"));
  std::stringstream text;
  text << in.rdbuf();
  return absl::StrReplaceAll(text.str(), {{std::string(1, '\0'), " "}});
}

TEST(ReliabilityStackTest, RunsTrivialGraphsToCompletionAndVerifiesThem) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("noop", SingleNodeGraph(stack->ns(), kNoopNode)));
  ASSERT_OK(
      stack->UpsertGraph("sleep", SingleNodeGraph(stack->ns(), kSleepNode, {{"sleep_ms", "100"}})));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> runs, stack->TriggerRuns("noop", 10));
  EXPECT_THAT(runs, SizeIs(10));
  ASSERT_OK(stack->TriggerRun("sleep").status());

  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(kSettle));
  EXPECT_TRUE(facts.Clean()) << facts.Summary();
  EXPECT_EQ(facts.runs, 11);
  EXPECT_EQ(facts.total_states, 11);
  EXPECT_EQ(facts.Count("SUCCESS"), 11);
  EXPECT_THAT(facts.stuck_states, IsEmpty());
  EXPECT_THAT(facts.Summary(), HasSubstr("runs=11 settled=yes"));

  const FaultProxyStats stats = stack->proxy().Stats();
  EXPECT_EQ(stats.TotalApplied(EndpointKind::kExecuted), 11);
  EXPECT_THAT(stats.StatesWithDuplicateExecuted(), IsEmpty());
  EXPECT_GE(stats.Requests("PUT", EndpointKind::kRegisterNodes), 1);
  EXPECT_GE(stats.Requests("POST", EndpointKind::kEnqueue), 1);
  EXPECT_EQ(stats.claims.size(), 11u);
  EXPECT_THAT(stats.StatesWithUndeliveredClaims(), IsEmpty());
  // Graph calls went to the devserver directly, not through the proxy.
  EXPECT_EQ(stats.Requests(EndpointKind::kGraph), 0);
  EXPECT_EQ(stats.Requests(EndpointKind::kTrigger), 0);
}

TEST(ReliabilityStackTest, RunsAFanOut) {
  auto stack = StartStack(WithWorkers(2));
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("fan", FanOutGraph(stack->ns(), kNoopNode)));
  ASSERT_OK(stack->TriggerRun("fan", {{"count", "25"}}).status());
  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(kSettle));
  EXPECT_TRUE(facts.Clean()) << facts.Summary();
  // 25 outputs: the root plus 24 fan-out siblings, and one child for each of them.
  EXPECT_EQ(facts.runs, 1);
  EXPECT_EQ(facts.total_states, 50);
  EXPECT_EQ(facts.Count("SUCCESS"), 50);
  EXPECT_EQ(stack->proxy().Stats().TotalApplied(EndpointKind::kExecuted), 26);
}

TEST(ReliabilityStackTest, VerificationReportsStatesThatNeverFinish) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("hang", SingleNodeGraph(stack->ns(), kHangNode)));
  ASSERT_OK(stack->TriggerRun("hang").status());
  ASSERT_OK_AND_ASSIGN(std::string state_id, stack->AwaitWorkerTask(0, kHangNode, kTaskWait));

  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(absl::Milliseconds(200)));
  EXPECT_FALSE(facts.settled);
  EXPECT_FALSE(facts.Clean());
  EXPECT_EQ(facts.runs_pending, 1);
  EXPECT_EQ(facts.left_queued, 1);
  EXPECT_THAT(facts.stuck_states, ElementsAre(state_id));
  EXPECT_THAT(facts.stuck_by_undelivered_claim, IsEmpty());  // the sidecar got this one
  EXPECT_GE(facts.waited, absl::Milliseconds(200));
}

TEST(ReliabilityStackTest, VerificationSeparatesClaimsLostInTransit) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("noop", SingleNodeGraph(stack->ns(), kNoopNode)));
  FaultRule lost_claims;
  lost_claims.kind = FaultKind::kDrop;
  lost_claims.phase = FaultPhase::kAfterForward;
  lost_claims.endpoints = {EndpointKind::kEnqueue};
  ASSERT_OK(stack->proxy().SetRules({lost_claims}));
  ASSERT_OK(stack->TriggerRun("noop").status());
  // Every claim reply stays lost: the sidecar never learns that it holds the state.
  ASSERT_TRUE(stack->proxy().AwaitStats(
      [](const FaultProxyStats& stats) { return !stats.claims.empty(); }, kSettle));

  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(absl::Milliseconds(300)));
  EXPECT_FALSE(facts.Clean());
  EXPECT_EQ(facts.left_queued, 1);
  EXPECT_THAT(facts.stuck_by_undelivered_claim, ElementsAre(facts.stuck_states.at(0)));
  EXPECT_THAT(facts.Summary(), HasSubstr("by_undelivered_claim=1"));
}

TEST(ReliabilityStackTest, VerificationCatchesADuplicateExecutedReport) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("noop", SingleNodeGraph(stack->ns(), kNoopNode)));
  ASSERT_OK(stack->TriggerRun("noop").status());
  ASSERT_OK_AND_ASSIGN(std::string state_id, stack->AwaitWorkerTask(0, kNoopNode, kTaskWait));
  ASSERT_OK_AND_ASSIGN(StateFacts first, stack->AwaitRunsSettled(kSettle));
  ASSERT_TRUE(first.Clean()) << first.Summary();

  // re-enqueue-after has no status guard (contract 6.5): the finished state runs again and the
  // state manager applies a second executed report for it.
  httplib::Client client("127.0.0.1", stack->proxy().port());
  httplib::Result requeued = client.Post(
      absl::StrCat("/v0/namespace/", stack->ns(), "/state/", state_id, "/re-enqueue-after").c_str(),
      httplib::Headers{{"x-api-key", ReliabilityStack::kApiKey}}, R"({"enqueue_after": 1})",
      "application/json");
  ASSERT_TRUE(requeued);
  ASSERT_EQ(requeued->status, 200) << requeued->body;
  ASSERT_TRUE(stack->proxy().AwaitStats(
      [&](const FaultProxyStats& stats) { return stats.AppliedFor(state_id).executed == 2; },
      kSettle));

  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(kSettle));
  EXPECT_TRUE(facts.settled);
  EXPECT_THAT(facts.duplicate_executed, ElementsAre(state_id));
  EXPECT_FALSE(facts.Clean());
  EXPECT_EQ(stack->proxy().Stats().AppliedFor(state_id).re_enqueue_after, 1);
}

TEST(ReliabilityStackTest, KillsAndRestartsTheSidecarOnTheSameSocketAndFlags) {
  ReliabilityStackOptions options;
  options.sidecar_flags = {"--drain-timeout-ms=1500", "--dev-db={dir}/x.db"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const std::string address = stack->sidecar_address();
  const std::string flags = CommandLine(stack->sidecar().pid());
  EXPECT_THAT(flags, HasSubstr("--drain-timeout-ms=1500"));
  EXPECT_THAT(flags, HasSubstr(absl::StrCat("--dev-db=", stack->dir(), "/x.db")));
  EXPECT_THAT(stack->RestartSidecar(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("running")));

  ASSERT_OK(stack->KillSidecar());
  EXPECT_FALSE(stack->SidecarRunning());
  ASSERT_OK(stack->RestartSidecar());
  EXPECT_TRUE(stack->SidecarRunning());
  EXPECT_EQ(stack->sidecar_address(), address);
  EXPECT_EQ(CommandLine(stack->sidecar().pid()), flags);

  // The worker reconnects to the new sidecar on its own.
  ASSERT_OK(stack->UpsertGraph("noop", SingleNodeGraph(stack->ns(), kNoopNode)));
  ASSERT_OK(stack->TriggerRuns("noop", 3).status());
  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(kSettle));
  EXPECT_TRUE(facts.Clean()) << facts.Summary();
  EXPECT_EQ(facts.Count("SUCCESS"), 3);

  ASSERT_OK_AND_ASSIGN(int status, stack->StopSidecar(absl::Seconds(20)));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ReliabilityStackTest, KillsWorkersAndStartsNewOnes) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->KillWorker(0));
  EXPECT_FALSE(stack->worker(0).Running());
  EXPECT_THAT(stack->KillWorker(5), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("5")));

  ASSERT_OK_AND_ASSIGN(size_t index, stack->StartWorker({"--nodes=noop"}));
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(stack->worker_count(), 2u);
  ASSERT_OK(stack->UpsertGraph("noop", SingleNodeGraph(stack->ns(), kNoopNode)));
  ASSERT_OK(stack->TriggerRuns("noop", 2).status());
  ASSERT_OK(stack->AwaitWorkerTask(1, kNoopNode, kTaskWait).status());
  ASSERT_OK(stack->AwaitWorkerTask(1, kNoopNode, kTaskWait, /*skip=*/1).status());
  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(kSettle));
  EXPECT_TRUE(facts.Clean()) << facts.Summary();
}

TEST(ReliabilityStackTest, PoisonExitEndsTheWorkerProcess) {
  ReliabilityStackOptions options;
  options.worker_flags = {"--nodes=poison"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("poison", SingleNodeGraph(stack->ns(), kPoisonNode)));
  ASSERT_OK(stack->TriggerRun("poison", {{"poison", "exit"}}).status());
  ASSERT_OK(stack->AwaitWorkerTask(0, kPoisonNode, kTaskWait).status());
  ASSERT_OK_AND_ASSIGN(int exited, stack->worker(0).Wait(absl::Seconds(20)));
  EXPECT_TRUE(WIFEXITED(exited));
  EXPECT_EQ(WEXITSTATUS(exited), kPoisonExitCode);
}

TEST(ReliabilityStackTest, PoisonAbortOnceLeavesAMarkerThenAborts) {
  ReliabilityStackOptions options;
  options.worker_flags = {"--nodes=poison"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("poison", SingleNodeGraph(stack->ns(), kPoisonNode)));
  ASSERT_OK(stack->TriggerRun("poison", {{"poison", "abort_once"}}).status());
  ASSERT_OK_AND_ASSIGN(std::string state_id, stack->AwaitWorkerTask(0, kPoisonNode, kTaskWait));
  ASSERT_OK_AND_ASSIGN(int aborted, stack->worker(0).Wait(absl::Seconds(20)));
  ASSERT_TRUE(WIFSIGNALED(aborted));
  EXPECT_EQ(WTERMSIG(aborted), SIGABRT);
  struct stat marker;
  EXPECT_EQ(stat(absl::StrCat(stack->dir(), "/markers/", state_id).c_str(), &marker), 0);
}

TEST(ReliabilityStackTest, WorkflowsCompleteThroughTransientProxyFaults) {
  ReliabilityStackOptions options = WithWorkers(2);
  options.proxy_seed = 11;
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_OK(stack->UpsertGraph("noop", SingleNodeGraph(stack->ns(), kNoopNode)));
  FaultRule busy;
  busy.name = "busy";
  busy.kind = FaultKind::kStatus;
  busy.status = 503;
  busy.probability = 0.3;
  busy.endpoints = {EndpointKind::kExecuted, EndpointKind::kEnqueue};
  FaultRule slow;
  slow.name = "slow";
  slow.kind = FaultKind::kDelay;
  slow.delay = absl::Milliseconds(1);
  slow.max_delay = absl::Milliseconds(20);
  slow.probability = 0.5;
  ASSERT_OK(stack->proxy().SetRules({slow, busy}));
  ASSERT_OK(stack->TriggerRuns("noop", 30).status());
  ASSERT_OK_AND_ASSIGN(StateFacts facts, stack->AwaitRunsSettled(kSettle));
  EXPECT_TRUE(facts.Clean()) << facts.Summary();
  EXPECT_EQ(facts.Count("SUCCESS"), 30);
  EXPECT_GT(stack->proxy().Stats().FaultsOfRule("busy"), 0);
}

}  // namespace
}  // namespace exosphere::reliability
