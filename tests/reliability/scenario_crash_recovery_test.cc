// Scenario 5 of issue 4: the sidecar itself is killed (kill -9) mid-run and restarted with the
// same --journal-dir. Rules under test: the journal records claimed states and finished but
// unreported results; on start the sidecar re-sends the results and hands back the claimed
// states it cannot finish (re-enqueue-after --handback-delay-ms). Reports are slowed and some
// answers lost on the way, so that each kill finds results waiting in the journal and reports
// the state manager applied without the sidecar learning it.
//
// Each kill is timed while the sidecar's claim request is held by the proxy before forwarding:
// a claim reply that reaches a sidecar killed before it journals the claim strands its states
// whatever the sidecar does (contract 6.1, tests/reliability/README.md). The poller claims one
// request at a time and journals each reply before the next claim, so once a claim is held
// every earlier claim is in the journal.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "tests/reliability/node_names.h"
#include "tests/reliability/reliability_graphs.h"
#include "tests/reliability/reliability_stack.h"
#include "tests/reliability/scenario_support.h"
#include "tests/support/status_matchers.h"

namespace exosphere::reliability {
namespace {

constexpr absl::Duration kWait = absl::Seconds(60);

TEST(ReliabilityScenarioTest, CrashRecoveryResendsJournaledResultsAndHandsBackClaimedStates) {
  const ScenarioScale scale = ScenarioScale::FromEnv();
  ScenarioRecord record("crash_recovery");
  ReliabilityStackOptions options;
  options.workers = 4;
  options.worker_slots = 4;
  options.worker_flags = {"--nodes=fanout,sleep"};
  options.proxy_seed = 5;
  options.sidecar_flags = {"--journal-dir={dir}/journal", "--handback-delay-ms=100"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReliabilityStack> stack, ReliabilityStack::Start(options));
  json::Json fan = FanOutGraph(stack->ns(), kSleepNode, {{"sleep_ms", "30"}});
  fan["retry_policy"] = FastRetryPolicy(3);
  ASSERT_OK(stack->UpsertGraph("fan", fan));
  // Tasks still running at each kill: the new sidecar must hand them back.
  json::Json slow = SingleNodeGraph(stack->ns(), kSleepNode, {{"sleep_ms", "1500"}});
  slow["retry_policy"] = FastRetryPolicy(0);
  ASSERT_OK(stack->UpsertGraph("slow", slow));
  constexpr int kSlowPerRound = 3;

  FaultRule slow_reports;
  slow_reports.name = "slow-reports";
  slow_reports.kind = FaultKind::kDelay;
  slow_reports.probability = 0.3;
  slow_reports.delay = absl::Milliseconds(50);
  slow_reports.max_delay = absl::Milliseconds(300);
  slow_reports.endpoints = {EndpointKind::kExecuted, EndpointKind::kErrored};
  FaultRule lost_answers;
  lost_answers.name = "lost-answers";
  lost_answers.kind = FaultKind::kDrop;
  lost_answers.phase = FaultPhase::kAfterForward;
  lost_answers.probability = 0.05;
  lost_answers.endpoints = {EndpointKind::kExecuted, EndpointKind::kErrored};
  ASSERT_OK(stack->proxy().SetRules({slow_reports, lost_answers}));

  const int rounds = scale.Rounds(4);
  const int chunk = scale.states / rounds + 1;
  for (int round = 0; round < rounds; ++round) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> slow_runs,
                         stack->TriggerRuns("slow", kSlowPerRound));
    std::vector<std::string> slow_states;
    for (const std::string& run : slow_runs) {
      ASSERT_OK_AND_ASSIGN(std::vector<json::Json> states, stack->rest().RunStates(run));
      ASSERT_EQ(states.size(), 1u);
      slow_states.push_back(states[0].value("id", ""));
    }
    ASSERT_OK(stack->TriggerRun("fan", {{"count", absl::StrCat(chunk)}}).status());
    const int64_t executed_before = stack->proxy().Stats().TotalApplied(EndpointKind::kExecuted);
    // Mid-chunk, and the slow tasks were claimed (so they run on workers).
    ASSERT_TRUE(stack->proxy().AwaitStats(
        [&](const FaultProxyStats& stats) {
          if (stats.TotalApplied(EndpointKind::kExecuted) < executed_before + chunk / 4) {
            return false;
          }
          for (const std::string& id : slow_states) {
            auto claim = stats.claims.find(id);
            if (claim == stats.claims.end() || claim->second.delivered == 0) return false;
          }
          return true;
        },
        kWait));

    const std::string hold = absl::StrCat("hold-claims-", round);
    FaultRule hold_claims;
    hold_claims.name = hold;
    hold_claims.kind = FaultKind::kBlackhole;
    hold_claims.endpoints = {EndpointKind::kEnqueue};
    ASSERT_OK(stack->proxy().AddRule(hold_claims));
    ASSERT_TRUE(stack->proxy().AwaitStats(
        [&](const FaultProxyStats& stats) { return stats.FaultsOfRule(hold) > 0; }, kWait));
    ASSERT_OK_AND_ASSIGN(harness::PrometheusSamples before_kill, stack->SidecarMetrics());
    const double journaled = before_kill.Sum("exosphere_sidecar_journal_live_entries");
    record.AddRecoveries("already_applied",
                         static_cast<int64_t>(before_kill.Sum("exosphere_sidecar_reports_total",
                                                              {"result=\"already_applied\""})));
    ASSERT_OK(stack->KillSidecar());
    const absl::Time killed_at = absl::Now();
    record.AddFaults("sidecar_kill9");
    ASSERT_OK(stack->proxy().RemoveRule(hold));
    const FaultProxyStats at_kill = stack->proxy().Stats();

    ASSERT_OK(stack->RestartSidecar());
    ASSERT_OK(AwaitProgress(stack->proxy(), at_kill.TotalApplied(EndpointKind::kExecuted),
                            killed_at, kWait)
                  .status());
    // Every state the killed sidecar held gets its report from the new one: its result re-sent,
    // or the state handed back.
    std::vector<std::string> held;
    for (const auto& [id, claim] : at_kill.claims) {
      const AppliedReports applied = at_kill.AppliedFor(id);
      if (applied.Finishing() == 0 && applied.re_enqueue_after == 0) held.push_back(id);
    }
    ASSERT_OK_AND_ASSIGN(absl::Duration all_reported,
                         AwaitReportsApplied(stack->proxy(), held, killed_at, kWait));
    record.AddRecoveryTime(all_reported);
    std::printf(
        "[reliability] crash round %d: %zu claimed states unreported at the kill (journal %.0f "
        "entries), all reported %lld ms after it\n",
        round, held.size(), journaled,
        static_cast<long long>(absl::ToInt64Milliseconds(all_reported)));
    ASSERT_OK_AND_ASSIGN(harness::PrometheusSamples after, stack->SidecarMetrics());
    record.AddRecoveries(
        "results_resent",
        static_cast<int64_t>(after.Sum("exosphere_sidecar_reports_total", {"result=\"resent\""})));
  }

  ASSERT_OK_AND_ASSIGN(StateFacts facts,
                       stack->AwaitRunsSettled(scale.SettleTimeout(absl::Seconds(120))));
  const FaultProxyStats stats = stack->proxy().Stats();
  EXPECT_TRUE(AllStatesTerminal(facts, stats, scale.states));
  record.AddRecoveries("handed_back", stats.TotalApplied(EndpointKind::kReEnqueueAfter));
  ASSERT_OK_AND_ASSIGN(harness::PrometheusSamples metrics, stack->SidecarMetrics());
  record.AddRecoveries("already_applied",
                       static_cast<int64_t>(metrics.Sum("exosphere_sidecar_reports_total",
                                                        {"result=\"already_applied\""})));
  record.AddFaults("lost_answer", stats.FaultsOfRule("lost-answers"));
  record.AddFaults("slow_report", stats.FaultsOfRule("slow-reports"));
  record.SetStates(facts.total_states, static_cast<int64_t>(stats.claims.size()));
  record.Print();
}

}  // namespace
}  // namespace exosphere::reliability
