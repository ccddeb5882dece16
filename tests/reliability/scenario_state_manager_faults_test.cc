// Scenario 3 of issue 4: the state manager is slow, answers 5xx or 429, resets connections,
// returns garbage, never answers, or is down. Rules under test: polls back off; reports are
// retried with capped exponential backoff and jitter until they succeed or the server refuses them
// for good; a 400 "not queued" on a retried report counts as applied; past
// --max-unsent-reports the sidecar stops claiming (back-pressure) and drops no report.
//
// Faults on claims (POST /states/enqueue) are injected before forwarding only: a claim the state
// manager applied whose reply never reaches the sidecar strands its state whatever the sidecar
// does (contract 6.1; see tests/reliability/README.md). Reports get faults on both sides.
#include <algorithm>
#include <cstdio>
#include <set>
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

constexpr int kSlots = 16;  // 4 workers x 4 slots
constexpr int kMaxUnsentReports = 20;
constexpr absl::Duration kOutage = absl::Milliseconds(1500);
constexpr absl::Duration kWait = absl::Seconds(90);
constexpr absl::Duration kMetricsPoll = absl::Milliseconds(20);

const char kUnsent[] = "exosphere_sidecar_reports_unsent";

FaultRule Rule(std::string name, FaultKind kind, FaultPhase phase, double probability,
               std::set<EndpointKind> endpoints) {
  FaultRule rule;
  rule.name = std::move(name);
  rule.kind = kind;
  rule.phase = phase;
  rule.probability = probability;
  rule.endpoints = std::move(endpoints);
  return rule;
}

FaultRule Status(std::string name, int status, FaultPhase phase, double probability,
                 std::set<EndpointKind> endpoints) {
  FaultRule rule = Rule(std::move(name), FaultKind::kStatus, phase, probability, endpoints);
  rule.status = status;
  return rule;
}

FaultRule Delay(std::string name, absl::Duration low, absl::Duration high, FaultPhase phase,
                double probability, std::set<EndpointKind> endpoints) {
  FaultRule rule = Rule(std::move(name), FaultKind::kDelay, phase, probability, endpoints);
  rule.delay = low;
  rule.max_delay = high;
  return rule;
}

struct Phase {
  std::string name;
  std::vector<FaultRule> rules;
};

std::vector<Phase> RulePhases() {
  constexpr FaultPhase kBefore = FaultPhase::kBeforeForward;
  constexpr FaultPhase kAfter = FaultPhase::kAfterForward;
  const std::set<EndpointKind> claims = {EndpointKind::kEnqueue};
  const std::set<EndpointKind> reports = {EndpointKind::kExecuted, EndpointKind::kErrored};
  const std::set<EndpointKind> both = {EndpointKind::kEnqueue, EndpointKind::kExecuted,
                                       EndpointKind::kErrored};
  return {
      {"slow",
       {Delay("slow-in", absl::Milliseconds(20), absl::Milliseconds(300), kBefore, 0.5, both),
        Delay("slow-out", absl::Milliseconds(50), absl::Milliseconds(200), kAfter, 0.3, reports)}},
      {"5xx",
       {Status("503-in", 503, kBefore, 0.3, both), Status("500-out", 500, kAfter, 0.2, reports)}},
      {"429", {Status("429-in", 429, kBefore, 0.4, both)}},
      {"resets",
       {Rule("reset-in", FaultKind::kReset, kBefore, 0.2, both),
        Rule("reset-out", FaultKind::kReset, kAfter, 0.15, reports),
        Rule("drop-in", FaultKind::kDrop, kBefore, 0.1, claims),
        Rule("drop-out", FaultKind::kDrop, kAfter, 0.1, reports)}},
      {"garbage",
       {Rule("malformed-in", FaultKind::kMalformed, kBefore, 0.2, claims),
        Rule("malformed-out", FaultKind::kMalformed, kAfter, 0.2, reports),
        Rule("truncated-out", FaultKind::kTruncate, kAfter, 0.2, reports)}},
      // Held until the sidecar's --http-timeout-ms gives up.
      {"blackhole", {Rule("blackhole-in", FaultKind::kBlackhole, kBefore, 0.05, both)}},
  };
}

// Waits and samples over the sidecar's metrics and the proxy's counters for this scenario.
class StateManagerFaults {
 public:
  explicit StateManagerFaults(ReliabilityStack& stack) : stack_(stack) {}

  // Waits until the applied executed reports reach `target`.
  absl::Status AwaitExecuted(int64_t target) {
    if (!stack_.proxy().AwaitStats(
            [&](const FaultProxyStats& stats) {
              return stats.TotalApplied(EndpointKind::kExecuted) >= target;
            },
            kWait)) {
      return absl::DeadlineExceededError(absl::StrCat("executed reports did not reach ", target));
    }
    return absl::OkStatus();
  }

  // Polls the sidecar's metrics until no report waits for delivery; returns the time since
  // `since`. Also tracks the largest number of unsent reports seen.
  absl::StatusOr<absl::Duration> AwaitNoUnsentReports(absl::Time since) {
    const absl::Time deadline = absl::Now() + kWait;
    while (true) {
      absl::StatusOr<harness::PrometheusSamples> metrics = stack_.SidecarMetrics();
      if (!metrics.ok()) return metrics.status();
      const double unsent = metrics->Sum(kUnsent);
      max_unsent_ = std::max(max_unsent_, unsent);
      if (unsent == 0) return absl::Now() - since;
      if (absl::Now() > deadline) return absl::DeadlineExceededError("reports stay unsent");
      absl::SleepFor(kMetricsPoll);
    }
  }

  absl::StatusOr<double> SampleUnsent() {
    absl::StatusOr<harness::PrometheusSamples> metrics = stack_.SidecarMetrics();
    if (!metrics.ok()) return metrics.status();
    max_unsent_ = std::max(max_unsent_, metrics->Sum(kUnsent));
    return metrics->Sum("exosphere_sidecar_backpressure_waits_total");
  }

  double max_unsent() const { return max_unsent_; }

 private:
  ReliabilityStack& stack_;
  double max_unsent_ = 0;
};

TEST(ReliabilityScenarioTest, StateManagerFaultsAreRetriedAndBackPressureBoundsUnsentReports) {
  const ScenarioScale scale = ScenarioScale::FromEnv();
  ScenarioRecord record("state_manager_faults");
  ReliabilityStackOptions options;
  options.workers = 4;
  options.worker_slots = kSlots / 4;
  options.worker_flags = {"--nodes=fanout,sleep"};
  options.proxy_seed = 4;
  options.sidecar_flags = {absl::StrCat("--max-unsent-reports=", kMaxUnsentReports),
                           "--http-timeout-ms=1000"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReliabilityStack> stack, ReliabilityStack::Start(options));
  json::Json fan = FanOutGraph(stack->ns(), kSleepNode, {{"sleep_ms", "5"}});
  fan["retry_policy"] = FastRetryPolicy(3);
  ASSERT_OK(stack->UpsertGraph("fan", fan));
  // Runs of one state each: their states exist without any report getting through.
  json::Json one = SingleNodeGraph(stack->ns(), kSleepNode, {{"sleep_ms", "5"}});
  one["retry_policy"] = FastRetryPolicy(3);
  ASSERT_OK(stack->UpsertGraph("one", one));
  StateManagerFaults faults(*stack);

  const std::vector<Phase> phases = RulePhases();
  const int rounds = scale.Rounds(1);
  // The rule phases, then the outage, then back-pressure, `rounds` times.
  const int chunks = rounds * static_cast<int>(phases.size() + 2);
  const int chunk = scale.states / chunks + 1;
  int64_t executed_target = 0;

  for (int round = 0; round < rounds; ++round) {
    // 1. Each rule set stays on while one chunk of work runs through it, then goes.
    for (const Phase& phase : phases) {
      ASSERT_OK(stack->proxy().SetRules(phase.rules)) << phase.name;
      ASSERT_OK(stack->TriggerRun("fan", {{"count", absl::StrCat(chunk)}}).status());
      executed_target += chunk + 1;
      ASSERT_OK(faults.AwaitExecuted(executed_target)) << phase.name;
      stack->proxy().ClearRules();
      ASSERT_OK_AND_ASSIGN(absl::Duration recovered, faults.AwaitNoUnsentReports(absl::Now()));
      record.AddRecoveryTime(recovered);
    }

    // 2. The state manager goes down for kOutage, mid-chunk. Claims are held back first (the
    // poller claims one request at a time, so once one is held none is in flight), so that the
    // outage cannot swallow a claim the state manager applied.
    ASSERT_OK(stack->TriggerRun("fan", {{"count", absl::StrCat(chunk)}}).status());
    executed_target += chunk + 1;
    ASSERT_OK(faults.AwaitExecuted(executed_target - chunk * 3 / 4));
    FaultRule hold = Rule("hold-claims", FaultKind::kBlackhole, FaultPhase::kBeforeForward, 1.0,
                          {EndpointKind::kEnqueue});
    const int64_t held = stack->proxy().Stats().FaultsOfRule("hold-claims");
    ASSERT_OK(stack->proxy().AddRule(hold));
    ASSERT_TRUE(stack->proxy().AwaitStats(
        [&](const FaultProxyStats& stats) { return stats.FaultsOfRule("hold-claims") > held; },
        kWait));
    ASSERT_OK(stack->proxy().SetDown(true));
    stack->proxy().ClearRules();
    record.AddFaults("down");
    absl::SleepFor(kOutage);  // the outage itself
    ASSERT_OK(stack->proxy().SetDown(false));
    const absl::Time up_at = absl::Now();
    ASSERT_OK(faults.AwaitExecuted(executed_target));
    ASSERT_OK_AND_ASSIGN(absl::Duration recovered, faults.AwaitNoUnsentReports(up_at));
    record.AddRecoveryTime(recovered);

    // 3. Back-pressure: every report is refused (503) until the sidecar has stopped claiming
    // because kMaxUnsentReports wait; the unsent reports stay bounded meanwhile.
    ASSERT_OK_AND_ASSIGN(const double waits_before, faults.SampleUnsent());
    ASSERT_OK(stack->proxy().SetRules({Status("busy-reports", 503, FaultPhase::kBeforeForward, 1.0,
                                              {EndpointKind::kExecuted, EndpointKind::kErrored})}));
    ASSERT_OK(stack->TriggerRuns("one", chunk).status());
    executed_target += chunk;
    const absl::Time pressure_deadline = absl::Now() + kWait;
    while (true) {
      ASSERT_OK_AND_ASSIGN(const double waits, faults.SampleUnsent());
      if (waits > waits_before) break;
      ASSERT_LT(absl::Now(), pressure_deadline) << "back-pressure never engaged";
      absl::SleepFor(kMetricsPoll);
    }
    const int64_t claimed_under_pressure =
        static_cast<int64_t>(stack->proxy().Stats().claims.size());
    // Held a little longer: the sidecar must claim nothing more.
    for (int i = 0; i < 10; ++i) {
      ASSERT_OK(faults.SampleUnsent().status());
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(static_cast<int64_t>(stack->proxy().Stats().claims.size()), claimed_under_pressure);
    stack->proxy().ClearRules();
    const absl::Time relieved_at = absl::Now();
    record.AddRecoveries("backpressure_engaged");
    ASSERT_OK(faults.AwaitExecuted(executed_target));
    ASSERT_OK_AND_ASSIGN(recovered, faults.AwaitNoUnsentReports(relieved_at));
    record.AddRecoveryTime(recovered);
  }

  ASSERT_OK_AND_ASSIGN(StateFacts facts,
                       stack->AwaitRunsSettled(scale.SettleTimeout(absl::Seconds(120))));
  const FaultProxyStats stats = stack->proxy().Stats();
  EXPECT_TRUE(AllStatesTerminal(facts, stats, scale.states));
  // Back-pressure held: at most the cap plus what the slots were already running.
  EXPECT_LE(faults.max_unsent(), kMaxUnsentReports + kSlots);
  ASSERT_OK_AND_ASSIGN(harness::PrometheusSamples metrics, stack->SidecarMetrics());
  // No report was given up.
  EXPECT_EQ(metrics.Sum("exosphere_sidecar_reports_total", {"result=\"rejected\""}), 0);

  for (const auto& [kind, count] : stats.faults_by_kind) {
    record.AddFaults(FaultKindName(kind), count);
  }
  record.AddRecoveries("report_retries",
                       static_cast<int64_t>(metrics.Sum("exosphere_sidecar_report_retries_total")));
  record.AddRecoveries("already_applied",
                       static_cast<int64_t>(metrics.Sum("exosphere_sidecar_reports_total",
                                                        {"result=\"already_applied\""})));
  record.AddRecoveries(
      "failed_polls",
      static_cast<int64_t>(metrics.Sum("exosphere_sidecar_polls_total", {"outcome=\"error\""})));
  record.SetStates(facts.total_states, static_cast<int64_t>(stats.claims.size()));
  record.Print();
  std::printf(
      "[reliability] state_manager_faults: most unsent reports seen %.0f (cap %d + %d slots)\n",
      faults.max_unsent(), kMaxUnsentReports, kSlots);
}

}  // namespace
}  // namespace exosphere::reliability
