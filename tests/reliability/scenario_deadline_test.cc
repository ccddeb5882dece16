// Scenario 2 of issue 4: a worker does not answer within the node's deadline. Rules under test:
// the sidecar tells the worker to cancel, reports the state errored ("deadline exceeded after
// ..."), and discards the late result with a log line (result_discarded) and a ResultRejected
// to the worker; the graph's retry policy decides what happens next. The hung tasks run on
// reliability workers (the client library stops a cancelled task); the late results come from a
// LateWorker, which ignores cancels the way a careless worker in any language could.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "tests/reliability/late_worker.h"
#include "tests/reliability/node_names.h"
#include "tests/reliability/reliability_graphs.h"
#include "tests/reliability/reliability_stack.h"
#include "tests/reliability/scenario_support.h"
#include "tests/support/status_matchers.h"

namespace exosphere::reliability {
namespace {

constexpr absl::Duration kDeadline = absl::Milliseconds(400);
constexpr absl::Duration kWait = absl::Seconds(60);
constexpr char kDeadlineMessage[] = "deadline exceeded after ";

std::string Text(const json::Json& state, const std::string& field) {
  auto it = state.find(field);
  return it != state.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Waits until the first attempt of every run of `runs` was reported errored (its state is
// ERRORED or RETRY_CREATED); returns the time since `since`. The state manager offers no
// notification, so this polls it.
absl::StatusOr<absl::Duration> AwaitFirstAttemptsErrored(ReliabilityStack& stack,
                                                         const std::vector<std::string>& runs,
                                                         absl::Time since) {
  const absl::Time deadline = absl::Now() + kWait;
  while (true) {
    bool all = true;
    for (const std::string& run : runs) {
      absl::StatusOr<std::vector<json::Json>> states = stack.rest().RunStates(run);
      if (!states.ok()) return states.status();
      bool errored = false;
      for (const json::Json& state : *states) {
        const std::string status = Text(state, "status");
        errored = errored || status == "ERRORED" || status == "RETRY_CREATED";
      }
      all = all && errored;
    }
    if (all) return absl::Now() - since;
    if (absl::Now() > deadline) return absl::DeadlineExceededError("first attempts not errored");
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST(ReliabilityScenarioTest, DeadlineCancelsReportsErroredAndDiscardsTheLateResult) {
  const ScenarioScale scale = ScenarioScale::FromEnv();
  ScenarioRecord record("deadline");
  ReliabilityStackOptions options;
  options.workers = 4;
  options.worker_slots = 4;
  // Every node declares the deadline.
  options.worker_flags = {"--nodes=fanout,sleep,hang",
                          absl::StrCat("--deadline-ms=", absl::ToInt64Milliseconds(kDeadline))};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReliabilityStack> stack, ReliabilityStack::Start(options));
  LateWorkerOptions late_options;
  late_options.sidecar_address = stack->sidecar_address();
  late_options.ns = stack->ns();
  late_options.deadline = kDeadline;
  late_options.answer_after = kDeadline * 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LateWorker> late_worker,
                       LateWorker::Start(late_options, kWait));
  json::Json fan = FanOutGraph(stack->ns(), kSleepNode, {{"sleep_ms", "5"}});
  fan["retry_policy"] = FastRetryPolicy(1);
  ASSERT_OK(stack->UpsertGraph("fan", fan));
  // A hung state is retried once (and hangs again): RETRY_CREATED, then ERRORED.
  json::Json hang = SingleNodeGraph(stack->ns(), kHangNode);
  hang["retry_policy"] = FastRetryPolicy(1);
  ASSERT_OK(stack->UpsertGraph("hang", hang));
  json::Json late = SingleNodeGraph(stack->ns(), kLateNode);
  late["retry_policy"] = FastRetryPolicy(0);
  ASSERT_OK(stack->UpsertGraph("late", late));

  const int rounds = scale.Rounds(4);
  const int chunk = scale.states / rounds + 1;
  constexpr int kHangsPerRound = 3;
  std::vector<std::string> hang_runs;
  std::vector<std::string> late_runs;
  for (int round = 0; round < rounds; ++round) {
    // The faults first, so that they hold slots while the load runs beside them.
    const absl::Time triggered_at = absl::Now();
    std::vector<std::string> round_runs;
    for (int i = 0; i < kHangsPerRound; ++i) {
      ASSERT_OK_AND_ASSIGN(std::string run, stack->TriggerRun("hang"));
      hang_runs.push_back(run);
      round_runs.push_back(run);
    }
    // Answered at twice the deadline: cancelled at the deadline, it answers anyway, too late.
    ASSERT_OK_AND_ASSIGN(std::string run, stack->TriggerRun("late"));
    late_runs.push_back(run);
    round_runs.push_back(run);
    ASSERT_OK(stack->TriggerRun("fan", {{"count", absl::StrCat(chunk)}}).status());
    record.AddFaults("hung_task", kHangsPerRound);
    record.AddFaults("late_task");
    ASSERT_OK_AND_ASSIGN(absl::Duration errored,
                         AwaitFirstAttemptsErrored(*stack, round_runs, triggered_at));
    record.AddRecoveryTime(errored);
  }
  record.AddFaults("hung_retry", static_cast<int64_t>(hang_runs.size()));

  ASSERT_OK_AND_ASSIGN(StateFacts facts,
                       stack->AwaitRunsSettled(scale.SettleTimeout(absl::Seconds(120))));
  // Every late result reached the sidecar, was refused to the worker and dropped with a log line.
  EXPECT_TRUE(late_worker->AwaitCounts(
      [&](const LateWorker::Counts& counts) {
        return counts.rejected_unknown >= static_cast<int64_t>(late_runs.size());
      },
      kWait));
  const LateWorker::Counts late_counts = late_worker->counts();
  EXPECT_EQ(late_counts.tasks, static_cast<int64_t>(late_runs.size()));
  EXPECT_EQ(late_counts.cancels, late_counts.tasks);
  size_t discarded = 0;
  ASSERT_OK(stack->sidecar()
                .WaitForStderrLine(
                    [&](const std::string& line) {
                      return absl::StrContains(line, "result_discarded") &&
                             ++discarded >= late_runs.size();
                    },
                    kWait)
                .status());
  const FaultProxyStats stats = stack->proxy().Stats();
  EXPECT_TRUE(AllStatesTerminal(facts, stats, scale.states));

  // "deadline exceeded after 400 ms on worker w-3"
  const std::string message =
      absl::StrCat(kDeadlineMessage, absl::ToInt64Milliseconds(kDeadline), " ms");
  for (const std::string& run : late_runs) {
    ASSERT_OK_AND_ASSIGN(std::vector<json::Json> states, stack->rest().RunStates(run));
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(Text(states[0], "status"), "ERRORED") << states[0].dump();
    EXPECT_TRUE(absl::StrContains(Text(states[0], "error"), message)) << states[0].dump();
    // The late result was never reported.
    EXPECT_EQ(stats.AppliedFor(Text(states[0], "id")).executed, 0);
  }
  for (const std::string& run : hang_runs) {
    ASSERT_OK_AND_ASSIGN(std::vector<json::Json> states, stack->rest().RunStates(run));
    ASSERT_EQ(states.size(), 2u);
    for (const json::Json& state : states) {
      EXPECT_TRUE(absl::StrContains(Text(state, "error"), message)) << state.dump();
    }
  }
  ASSERT_OK_AND_ASSIGN(harness::PrometheusSamples metrics, stack->SidecarMetrics());
  const double deadline_errors =
      metrics.Sum("exosphere_sidecar_task_failures_total", {"reason=\"deadline_exceeded\""});
  EXPECT_GE(deadline_errors, static_cast<double>(2 * hang_runs.size() + late_runs.size()));
  record.AddRecoveries("errored_at_deadline", static_cast<int64_t>(deadline_errors));
  record.AddRecoveries("late_result_discarded", late_counts.rejected_unknown);
  record.SetStates(facts.total_states, static_cast<int64_t>(stats.claims.size()));
  record.Print();
}

}  // namespace
}  // namespace exosphere::reliability
