// Scenario 4 of issue 4: SIGTERM or SIGINT. Rules under test: the sidecar stops claiming at
// once, tells workers to drain, lets tasks in flight finish within --drain-timeout-ms, hands back
// what did not finish (re-enqueue-after), flushes every report and exits 0; a second signal hands
// back what it can and exits at once (with --journal-dir, as recommended, the next sidecar sends
// what it could not). Each round stops the sidecar mid-run and starts a new one.
#include <signal.h>

#include <cstdio>
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

constexpr absl::Duration kDrainTimeout = absl::Seconds(1);
// Longer than the drain timeout, so that these tasks are handed back on every stop.
constexpr char kLongSleepMs[] = "2500";
// A drained sidecar exits within the drain timeout plus the time to flush its reports and close;
// a second signal within its 2 s hand-back budget. Generous: this bounds "exits", it is no
// benchmark (the measured times are printed).
constexpr absl::Duration kExitSlack = absl::Seconds(10);
constexpr absl::Duration kWait = absl::Seconds(60);

enum class Stop { kSigterm, kSigint, kTwice };

std::string StopName(Stop stop) {
  switch (stop) {
    case Stop::kSigterm:
      return "sigterm";
    case Stop::kSigint:
      return "sigint";
    case Stop::kTwice:
      return "second_signal";
  }
  return "?";
}

TEST(ReliabilityScenarioTest, DrainOnSignalFinishesOrHandsBackEveryTaskAndExitsZero) {
  const ScenarioScale scale = ScenarioScale::FromEnv();
  ScenarioRecord record("drain");
  ReliabilityStackOptions options;
  options.workers = 4;
  options.worker_slots = 4;
  options.worker_flags = {"--nodes=fanout,sleep"};
  options.sidecar_flags = {
      absl::StrCat("--drain-timeout-ms=", absl::ToInt64Milliseconds(kDrainTimeout)),
      "--handback-delay-ms=100", "--journal-dir={dir}/journal"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReliabilityStack> stack, ReliabilityStack::Start(options));
  json::Json fan = FanOutGraph(stack->ns(), kSleepNode, {{"sleep_ms", "30"}});
  fan["retry_policy"] = FastRetryPolicy(3);
  ASSERT_OK(stack->UpsertGraph("fan", fan));
  json::Json slow = SingleNodeGraph(stack->ns(), kSleepNode);
  slow["retry_policy"] = FastRetryPolicy(0);
  ASSERT_OK(stack->UpsertGraph("slow", slow));

  const std::vector<Stop> kinds = {Stop::kSigterm, Stop::kSigint, Stop::kTwice};
  const int rounds = scale.Rounds(4);
  const int chunk = scale.states / rounds + 1;
  for (int round = 0; round < rounds; ++round) {
    const Stop stop = kinds[static_cast<size_t>(round) % kinds.size()];
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> long_runs,
                         stack->TriggerRuns("slow", 2, {{"sleep_ms", kLongSleepMs}}));
    std::vector<std::string> long_states;
    for (const std::string& run : long_runs) {
      ASSERT_OK_AND_ASSIGN(std::vector<json::Json> states, stack->rest().RunStates(run));
      ASSERT_EQ(states.size(), 1u);
      long_states.push_back(states[0].value("id", ""));
    }
    ASSERT_OK(stack->TriggerRun("fan", {{"count", absl::StrCat(chunk)}}).status());
    // Stop mid-chunk, with tasks in flight.
    const FaultProxyStats before = stack->proxy().Stats();
    const int64_t executed_before = before.TotalApplied(EndpointKind::kExecuted);
    ASSERT_TRUE(stack->proxy().AwaitStats(
        [&](const FaultProxyStats& stats) {
          if (stats.TotalApplied(EndpointKind::kExecuted) < executed_before + chunk / 4) {
            return false;
          }
          // The long tasks were claimed (and so sent to a worker, which had the slot).
          for (const std::string& id : long_states) {
            auto claim = stats.claims.find(id);
            if (claim == stats.claims.end() || claim->second.delivered == 0) return false;
          }
          return true;
        },
        kWait));
    const int64_t handed_back_before =
        stack->proxy().Stats().TotalApplied(EndpointKind::kReEnqueueAfter);

    const absl::Time signalled_at = absl::Now();
    stack->sidecar().Signal(stop == Stop::kSigint ? SIGINT : SIGTERM);
    if (stop == Stop::kTwice) {
      // The second signal once the first one is being handled (the sidecar says it drains).
      const absl::Time drain_deadline = absl::Now() + kWait;
      while (true) {
        absl::StatusOr<harness::PrometheusSamples> metrics = stack->SidecarMetrics();
        ASSERT_OK(metrics.status());
        if (metrics->Sum("exosphere_sidecar_draining") == 1) break;
        ASSERT_LT(absl::Now(), drain_deadline);
        absl::SleepFor(absl::Milliseconds(5));
      }
      stack->sidecar().Signal(SIGTERM);
    }
    ASSERT_OK_AND_ASSIGN(int status, stack->sidecar().Wait(kDrainTimeout + kExitSlack));
    const absl::Duration exited_after = absl::Now() - signalled_at;
    ASSERT_TRUE(WIFEXITED(status)) << StopName(stop) << " status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << StopName(stop);
    record.AddFaults(StopName(stop));
    std::printf("[reliability] drain round %d: %s, exited 0 after %lld ms\n", round,
                StopName(stop).c_str(),
                static_cast<long long>(absl::ToInt64Milliseconds(exited_after)));

    // After a drain nothing the stopped sidecar claimed is left without a report: each state it
    // held was finished or handed back. A second signal gives the reports 2 s only; what it could
    // not deliver is in the journal, and the next sidecar sends it.
    const FaultProxyStats after = stack->proxy().Stats();
    std::vector<std::string> held;
    for (const auto& [id, claim] : after.claims) {
      const AppliedReports applied = after.AppliedFor(id);
      if (applied.Finishing() == 0 && applied.re_enqueue_after == 0) held.push_back(id);
    }
    if (stop != Stop::kTwice) {
      EXPECT_TRUE(held.empty()) << held.size() << " claimed states without a report after "
                                << StopName(stop) << ", first " << held.front();
    } else {
      record.AddRecoveries("reported_by_next_sidecar", static_cast<int64_t>(held.size()));
    }

    const absl::Time restarted_at = absl::Now();
    ASSERT_OK(stack->RestartSidecar());
    ASSERT_OK_AND_ASSIGN(absl::Duration recovered,
                         AwaitProgress(stack->proxy(), after.TotalApplied(EndpointKind::kExecuted),
                                       restarted_at, kWait));
    record.AddRecoveryTime(exited_after + recovered);
    ASSERT_OK(AwaitReportsApplied(stack->proxy(), held, restarted_at, kWait).status());
    const int64_t handed_back =
        stack->proxy().Stats().TotalApplied(EndpointKind::kReEnqueueAfter) - handed_back_before;
    EXPECT_GE(handed_back, 2) << "the long tasks outlive the drain timeout";
    record.AddRecoveries("handed_back", handed_back);
  }

  ASSERT_OK_AND_ASSIGN(StateFacts facts,
                       stack->AwaitRunsSettled(scale.SettleTimeout(absl::Seconds(120))));
  const FaultProxyStats stats = stack->proxy().Stats();
  EXPECT_TRUE(AllStatesTerminal(facts, stats, scale.states));
  // The handed-back long tasks ran again and finished once a sidecar stayed up.
  EXPECT_EQ(facts.Count("ERRORED"), 0) << facts.Summary();
  record.SetStates(facts.total_states, static_cast<int64_t>(stats.claims.size()));
  record.Print();
}

}  // namespace
}  // namespace exosphere::reliability
