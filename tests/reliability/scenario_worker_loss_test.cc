// Scenario 1 of issue 4: a worker dies (kill -9) or its stream breaks with tasks in flight.
// Rules under test (sidecar flags): each lost task goes to another live worker serving its node;
// a task in flight on --max-worker-losses lost workers is reported errored; a task with no worker
// for its node within --reconnect-grace-ms is handed back (re-enqueue-after
// --handback-delay-ms).
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "tests/reliability/node_names.h"
#include "tests/reliability/reliability_graphs.h"
#include "tests/reliability/reliability_stack.h"
#include "tests/reliability/scenario_support.h"
#include "tests/support/status_matchers.h"
#include <sys/wait.h>

namespace exosphere::reliability {
namespace {

constexpr int kWorkers = 4;
constexpr int kMaxWorkerLosses = 2;
constexpr absl::Duration kReconnectGrace = absl::Seconds(1);
constexpr absl::Duration kWait = absl::Seconds(60);

// Restarts every worker that dies (a poison node aborts its process) until every state of `runs`
// is settled; returns how many it restarted.
absl::StatusOr<int> KeepWorkersAlive(ReliabilityStack& stack, const std::vector<std::string>& runs,
                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int restarted = 0;
  // Workers already dead on entry (killed earlier by the test) are not this call's to replace.
  std::vector<bool> replaced;
  for (size_t i = 0; i < stack.worker_count(); ++i) replaced.push_back(!stack.worker(i).Running());
  while (absl::Now() < deadline) {
    bool settled = true;
    for (const std::string& run : runs) {
      absl::StatusOr<std::vector<json::Json>> states = stack.rest().RunStates(run);
      if (!states.ok()) return states.status();
      for (const json::Json& state : *states) {
        const std::string status = state.value("status", "");
        settled = settled && status != "CREATED" && status != "QUEUED" && status != "EXECUTED";
      }
    }
    if (settled) return restarted;
    const size_t count = stack.worker_count();
    replaced.resize(count, false);
    for (size_t i = 0; i < count; ++i) {
      if (replaced[i] || stack.worker(i).Running()) continue;
      replaced[i] = true;
      absl::StatusOr<size_t> started = stack.StartWorker();
      // A poison task can reach a new worker before it prints `ready` and take it down at once
      // (kFailedPrecondition: its stdout closed); the next pass replaces it like any other.
      if (!started.ok() && started.status().code() != absl::StatusCode::kFailedPrecondition) {
        return started.status();
      }
      ++restarted;
    }
    // Neither the state manager nor the processes offer one event to wait on for "a run settled
    // or a worker died": wait for the next applied report, bounded so that deaths are seen.
    const int64_t reports = stack.proxy().Stats().TotalApplied(EndpointKind::kErrored) +
                            stack.proxy().Stats().TotalApplied(EndpointKind::kExecuted);
    stack.proxy().AwaitStats(
        [&](const FaultProxyStats& stats) {
          return stats.TotalApplied(EndpointKind::kErrored) +
                     stats.TotalApplied(EndpointKind::kExecuted) >
                 reports;
        },
        absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("poison runs did not settle");
}

// The live worker with the lowest index, or -1.
int FirstLiveWorker(ReliabilityStack& stack) {
  for (size_t i = 0; i < stack.worker_count(); ++i) {
    if (stack.worker(i).Running()) return static_cast<int>(i);
  }
  return -1;
}

TEST(ReliabilityScenarioTest, WorkerLossReassignsErrorsAfterMaxLossesAndHandsBackAfterGrace) {
  const ScenarioScale scale = ScenarioScale::FromEnv();
  ScenarioRecord record("worker_loss");
  ReliabilityStackOptions options;
  options.workers = kWorkers;
  options.worker_slots = 4;
  options.worker_flags = {"--nodes=fanout,sleep,poison"};
  options.sidecar_flags = {
      absl::StrCat("--max-worker-losses=", kMaxWorkerLosses),
      absl::StrCat("--reconnect-grace-ms=", absl::ToInt64Milliseconds(kReconnectGrace)),
      "--handback-delay-ms=100"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReliabilityStack> stack, ReliabilityStack::Start(options));
  json::Json fan = FanOutGraph(stack->ns(), kSleepNode, {{"sleep_ms", "40"}});
  fan["retry_policy"] = FastRetryPolicy(3);
  ASSERT_OK(stack->UpsertGraph("fan", fan));
  json::Json poison = SingleNodeGraph(stack->ns(), kPoisonNode);
  poison["retry_policy"] = FastRetryPolicy(0);
  ASSERT_OK(stack->UpsertGraph("poison", poison));
  json::Json slow = SingleNodeGraph(stack->ns(), kSleepNode);
  slow["retry_policy"] = FastRetryPolicy(0);
  ASSERT_OK(stack->UpsertGraph("slow", slow));

  // 1. kill -9 a worker with tasks in flight, once per round, while the load runs; start a
  // replacement. Every task it had must be finished by the others.
  const int rounds = scale.Rounds(5);
  const int chunk = scale.states / rounds + 1;
  for (int round = 0; round < rounds; ++round) {
    ASSERT_OK(stack->TriggerRun("fan", {{"count", absl::StrCat(chunk)}}).status());
    const int victim = FirstLiveWorker(*stack);
    ASSERT_GE(victim, 0);
    ASSERT_OK(stack
                  ->AwaitWorkerTask(static_cast<size_t>(victim), kSleepNode, kWait,
                                    TasksStartedBy(stack->worker(static_cast<size_t>(victim))))
                  .status());
    const std::vector<std::string> in_flight =
        UnreportedTasksOf(stack->worker(static_cast<size_t>(victim)), stack->proxy().Stats());
    const absl::Time killed_at = absl::Now();
    ASSERT_OK(stack->KillWorker(static_cast<size_t>(victim)));
    record.AddFaults("worker_kill9");
    ASSERT_OK_AND_ASSIGN(absl::Duration recovered,
                         AwaitReportsApplied(stack->proxy(), in_flight, killed_at, kWait));
    record.AddRecoveryTime(recovered);
    record.AddRecoveries("tasks_reassigned", static_cast<int64_t>(in_flight.size()));
    ASSERT_OK(stack->StartWorker().status());
  }

  // 2. Poison: "abort" takes down every worker that runs it, so after --max-worker-losses it is
  // reported errored; "abort_once" takes down one and then succeeds on another.
  std::vector<std::string> abort_runs;
  std::vector<std::string> poison_runs;
  for (int i = 0; i < scale.Rounds(2); ++i) {
    ASSERT_OK_AND_ASSIGN(std::string run, stack->TriggerRun("poison", {{"poison", "abort"}}));
    abort_runs.push_back(run);
    poison_runs.push_back(run);
  }
  const int abort_once = scale.Rounds(3);
  for (int i = 0; i < abort_once; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string run, stack->TriggerRun("poison", {{"poison", "abort_once"}}));
    poison_runs.push_back(run);
  }
  ASSERT_OK(KeepWorkersAlive(*stack, poison_runs, scale.SettleTimeout(kWait)).status());
  for (const std::string& run : abort_runs) {
    ASSERT_OK_AND_ASSIGN(std::vector<json::Json> states, stack->rest().RunStates(run));
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].value("status", ""), "ERRORED");
    EXPECT_TRUE(absl::StrContains(
        states[0].value("error", ""),
        absl::StrCat("in flight on ", kMaxWorkerLosses, " workers that were lost")))
        << states[0].dump();
  }
  record.AddRecoveries("errored_after_max_losses", static_cast<int64_t>(abort_runs.size()));
  record.AddRecoveries("reassigned_after_crash", abort_once);

  ASSERT_OK_AND_ASSIGN(StateFacts so_far, stack->AwaitRunsSettled(scale.SettleTimeout(kWait)));
  ASSERT_TRUE(so_far.settled) << so_far.Summary();

  // 3. The only worker serving the node dies with long tasks in flight and none comes back
  // within the grace period: the tasks are handed back to the state manager, and run once
  // workers are back. (The idle workers go first, so that no task is reassigned on the way.)
  for (size_t i = 0; i < stack->worker_count(); ++i) {
    if (stack->worker(i).Running()) {
      ASSERT_OK(stack->KillWorker(i));
    }
  }
  const int long_tasks = 8;
  ASSERT_OK_AND_ASSIGN(size_t lone, stack->StartWorker({absl::StrCat("--slots=", long_tasks)}));
  std::vector<std::string> long_runs;
  for (int i = 0; i < long_tasks; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string run, stack->TriggerRun("slow", {{"sleep_ms", "1500"}}));
    long_runs.push_back(run);
  }
  ASSERT_OK(stack->AwaitWorkerTask(lone, kSleepNode, kWait, long_tasks - 1).status());
  const std::vector<std::string> handed =
      UnreportedTasksOf(stack->worker(lone), stack->proxy().Stats());
  ASSERT_OK(stack->KillWorker(lone));
  const absl::Time all_killed_at = absl::Now();
  record.AddFaults("last_worker_kill9");
  ASSERT_EQ(handed.size(), static_cast<size_t>(long_tasks));
  ASSERT_OK_AND_ASSIGN(absl::Duration handed_back,
                       AwaitReportsApplied(stack->proxy(), handed, all_killed_at, kWait));
  EXPECT_GE(handed_back, kReconnectGrace);
  record.AddRecoveryTime(handed_back);
  const FaultProxyStats after_grace = stack->proxy().Stats();
  for (const std::string& id : handed) {
    EXPECT_EQ(after_grace.AppliedFor(id).re_enqueue_after, 1) << id;
    EXPECT_EQ(after_grace.AppliedFor(id).Finishing(), 0) << id;
  }
  record.AddRecoveries("handed_back", static_cast<int64_t>(handed.size()));
  ASSERT_OK(stack->StartWorkers(kWorkers).status());

  ASSERT_OK_AND_ASSIGN(StateFacts facts,
                       stack->AwaitRunsSettled(scale.SettleTimeout(absl::Seconds(120))));
  const FaultProxyStats stats = stack->proxy().Stats();
  EXPECT_TRUE(AllStatesTerminal(facts, stats, scale.states));
  for (const std::string& run : long_runs) {
    ASSERT_OK_AND_ASSIGN(std::vector<json::Json> states, stack->rest().RunStates(run));
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].value("status", ""), "SUCCESS") << states[0].dump();
  }
  // Every worker a poison task took down (the others were killed by the test).
  int aborted = 0;
  for (size_t i = 0; i < stack->worker_count(); ++i) {
    absl::StatusOr<int> status = stack->worker(i).Wait(absl::ZeroDuration());
    if (status.ok() && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGABRT) ++aborted;
  }
  record.AddFaults("worker_abort", aborted);
  record.SetStates(facts.total_states, static_cast<int64_t>(stats.claims.size()));
  record.Print();
}

}  // namespace
}  // namespace exosphere::reliability
