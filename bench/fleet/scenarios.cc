#include "bench/fleet/scenarios.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

#include "bench/fleet/request_sampler.h"

namespace exosphere::bench {
namespace {

using reliability::EndpointKind;
using reliability::FaultKind;
using reliability::FaultProxyStats;
using reliability::FaultRule;

constexpr absl::Duration kSamplePeriod = absl::Milliseconds(50);
// How long a scenario waits, after its arrivals end, for every run to be reported executed.
constexpr absl::Duration kDrainTimeout = absl::Minutes(2);

// The proxy's cumulative view of reports, taken before a scenario so that its own can be told.
struct ReportBaseline {
  int64_t applied_executed = 0;
  int64_t duplicate_executed = 0;
  int64_t undelivered_claims = 0;
};

ReportBaseline TakeBaseline(const reliability::FaultProxy& proxy) {
  const FaultProxyStats stats = proxy.Stats();
  return {stats.TotalApplied(EndpointKind::kExecuted),
          static_cast<int64_t>(stats.StatesWithDuplicateExecuted().size()),
          static_cast<int64_t>(stats.StatesWithUndeliveredClaims().size())};
}

// Waits until `triggered` more executed reports were applied than at `baseline` (or the drain
// timeout), then compares what the workers ran with what the server applied.
Outcome AwaitOutcome(Fleet& fleet, const ReportBaseline& baseline, int64_t triggered,
                     absl::Time arrivals_ended) {
  Outcome outcome;
  outcome.triggered = triggered;
  const absl::Time deadline = absl::Now() + kDrainTimeout;
  FaultProxyStats stats = fleet.proxy().Stats();
  while (stats.TotalApplied(EndpointKind::kExecuted) - baseline.applied_executed < triggered &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    stats = fleet.proxy().Stats();
  }
  outcome.drained = absl::Now() - arrivals_ended;
  const TaskLedger::Summary ran = fleet.ledger().Summarize();
  const int64_t applied = stats.TotalApplied(EndpointKind::kExecuted) - baseline.applied_executed;
  outcome.executed = ran.distinct_states;
  outcome.lost = std::max<int64_t>(0, triggered - std::min(applied, ran.distinct_states));
  outcome.stranded_by_lost_reply =
      static_cast<int64_t>(stats.StatesWithUndeliveredClaims().size()) -
      baseline.undelivered_claims;
  outcome.duplicates =
      ran.duplicate_states + (static_cast<int64_t>(stats.StatesWithDuplicateExecuted().size()) -
                              baseline.duplicate_executed);
  return outcome;
}

std::string OutcomeFields(const Outcome& outcome) {
  return absl::StrFormat(
      "triggered=%d executed=%d lost=%d stranded_by_lost_reply=%d duplicates=%d drained_s=%.2f",
      outcome.triggered, outcome.executed, outcome.lost, outcome.stranded_by_lost_reply,
      outcome.duplicates, absl::ToDoubleSeconds(outcome.drained));
}

std::string PickupFields(const TaskLedger::Summary& ran) {
  return absl::StrFormat(
      "pickup_p50_ms=%.1f pickup_p99_ms=%.1f pickup_max_ms=%.1f per_pod_min=%d per_pod_max=%d "
      "fairness=%.2f pods_idle=%d",
      ran.pickup_p50_ms, ran.pickup_p99_ms, ran.pickup_max_ms, ran.min_per_pod, ran.max_per_pod,
      ran.fairness, ran.pods_idle);
}

}  // namespace

absl::StatusOr<ScenarioResult> RunIdle(Fleet& fleet, const IdleOptions& options) {
  absl::SleepFor(options.settle);
  const harness::ProcessSample sidecars_before = fleet.SidecarsUsage();
  const harness::ProcessSample devserver_before = fleet.DevserverUsage();
  const int64_t claims_before = fleet.proxy().RequestCount(EndpointKind::kEnqueue);
  const int64_t requests_before = fleet.proxy().TotalRequests();
  const absl::Time start = absl::Now();
  absl::SleepFor(options.window);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double claims =
      static_cast<double>(fleet.proxy().RequestCount(EndpointKind::kEnqueue) - claims_before);
  const double requests = static_cast<double>(fleet.proxy().TotalRequests() - requests_before);
  const harness::ProcessSample sidecars = fleet.SidecarsUsage();
  const harness::ProcessSample devserver = fleet.DevserverUsage();
  const double pods = fleet.pods();
  std::string line = absl::StrFormat(
      "fleet_idle pods=%d after_s=%.0f window_s=%.1f claims_per_s=%.2f "
      "claims_per_s_per_pod=%.3f requests_per_s=%.2f sidecar_cpu_ms_per_s=%.3f "
      "sidecar_rss_mib=%.1f devserver_cpu_pct=%.2f",
      fleet.pods(), absl::ToDoubleSeconds(options.settle), seconds, claims / seconds,
      claims / seconds / pods, requests / seconds,
      1000.0 * (sidecars.cpu_seconds - sidecars_before.cpu_seconds) / seconds / pods,
      static_cast<double>(sidecars.rss_kib) / 1024.0 / pods,
      100.0 * (devserver.cpu_seconds - devserver_before.cpu_seconds) / seconds);
  return ScenarioResult{std::move(line), true};
}

absl::StatusOr<ScenarioResult> RunSteady(Fleet& fleet, const SteadyOptions& options) {
  fleet.ledger().Reset();
  const ReportBaseline baseline = TakeBaseline(fleet.proxy());
  RequestSampler sampler(fleet.proxy(), kSamplePeriod);
  const harness::ProcessSample sidecars_before = fleet.SidecarsUsage();
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> triggered =
      fleet.TriggerAtRate(options.runs_per_second, options.duration);
  if (!triggered.ok()) return triggered.status();
  const absl::Time arrivals_ended = absl::Now();
  const Outcome outcome = AwaitOutcome(fleet, baseline, *triggered, arrivals_ended);
  const TaskLedger::Summary ran = fleet.ledger().Summarize();
  const RequestSampler::Counts counts = sampler.Between(start, absl::Now());
  const double seconds = absl::ToDoubleSeconds(arrivals_ended - start);
  const double states = std::max<double>(1, static_cast<double>(outcome.executed));
  const harness::ProcessSample sidecars = fleet.SidecarsUsage();
  std::string line = absl::StrFormat(
      "fleet_steady pods=%d rate=%.0f seconds=%.1f states_per_s=%.1f %s requests_per_state=%.2f "
      "claims_per_state=%.2f sidecar_cpu_us_per_state=%.1f %s",
      fleet.pods(), options.runs_per_second, seconds,
      static_cast<double>(outcome.executed) / seconds, PickupFields(ran),
      static_cast<double>(counts.requests) / states, static_cast<double>(counts.claims) / states,
      1e6 * (sidecars.cpu_seconds - sidecars_before.cpu_seconds) / states, OutcomeFields(outcome));
  return ScenarioResult{std::move(line), outcome.Clean()};
}

absl::StatusOr<ScenarioResult> RunSaturation(Fleet& fleet, const SaturationOptions& options) {
  fleet.ledger().Reset();
  const ReportBaseline baseline = TakeBaseline(fleet.proxy());
  // The server: `server_workers` requests at once, each taking `service_time`.
  FaultRule service;
  service.name = "service-time";
  service.kind = FaultKind::kDelay;
  service.delay = options.service_time;
  absl::Status throttled = fleet.proxy().SetRules({service});
  if (!throttled.ok()) return throttled;
  fleet.proxy().SetMaxInFlight(options.server_workers);
  const int64_t warnings_before = fleet.SidecarLogLines();
  RequestSampler sampler(fleet.proxy(), kSamplePeriod);
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> triggered =
      fleet.TriggerAtRate(options.runs_per_second, options.duration);
  const absl::Time arrivals_ended = absl::Now();
  const RequestSampler::Counts counts = sampler.Between(start, arrivals_ended);
  const int64_t peak = sampler.PeakRequests(start, arrivals_ended, absl::Seconds(1));
  const int64_t started_in_window = fleet.ledger().tasks();
  const int64_t applied_in_window =
      fleet.proxy().Stats().TotalApplied(EndpointKind::kExecuted) - baseline.applied_executed;
  const int64_t warnings = fleet.SidecarLogLines() - warnings_before;
  // Lift the throttle, so that the backlog drains and the next scenario starts clean.
  fleet.proxy().SetMaxInFlight(0);
  fleet.proxy().ClearRules();
  if (!triggered.ok()) return triggered.status();
  const Outcome outcome = AwaitOutcome(fleet, baseline, *triggered, arrivals_ended);
  const TaskLedger::Summary ran = fleet.ledger().Summarize();
  const double seconds = absl::ToDoubleSeconds(arrivals_ended - start);
  const double capacity = options.server_workers / absl::ToDoubleSeconds(options.service_time);
  std::string line = absl::StrFormat(
      "fleet_saturation pods=%d rate=%.0f seconds=%.1f server_capacity_rps=%.0f "
      "requests_per_s=%.1f peak_requests_per_s=%d claims_per_s=%.1f started_per_s=%.1f "
      "states_per_s=%.1f sidecar_warnings=%d %s %s",
      fleet.pods(), options.runs_per_second, seconds, capacity,
      static_cast<double>(counts.requests) / seconds, peak,
      static_cast<double>(counts.claims) / seconds,
      static_cast<double>(started_in_window) / seconds,
      static_cast<double>(applied_in_window) / seconds, warnings, PickupFields(ran),
      OutcomeFields(outcome));
  return ScenarioResult{std::move(line), outcome.Clean()};
}

absl::StatusOr<ScenarioResult> RunRestart(Fleet& fleet, const RestartOptions& options) {
  fleet.ledger().Reset();
  const ReportBaseline baseline = TakeBaseline(fleet.proxy());
  RequestSampler sampler(fleet.proxy(), kSamplePeriod);
  absl::StatusOr<int64_t> triggered = int64_t{0};
  const int64_t triggered_at_start = fleet.runs_triggered();
  const absl::Time start = absl::Now();
  std::thread arrivals([&] {
    triggered =
        fleet.TriggerAtRate(options.runs_per_second, options.before + options.down + options.after);
  });
  absl::SleepFor(options.before);
  absl::Status down = fleet.proxy().SetDown(true);
  const absl::Time went_down = absl::Now();
  absl::SleepFor(options.down);
  const int64_t triggered_before_up = fleet.runs_triggered();
  absl::Status up = fleet.proxy().SetDown(false);
  const absl::Time came_back = absl::Now();
  arrivals.join();
  const absl::Time arrivals_ended = absl::Now();
  if (!down.ok()) return down;
  if (!up.ok()) return up;
  if (!triggered.ok()) return triggered.status();
  const Outcome outcome = AwaitOutcome(fleet, baseline, *triggered, arrivals_ended);

  // The steady state before the outage, to compare the recovery with.
  const double before_s = absl::ToDoubleSeconds(went_down - start);
  const int64_t ran_before = fleet.ledger().TasksBetween(start, went_down);
  // After it is back: when the first task ran, when the backlog of the outage (the runs
  // triggered by then that had not run) was gone, and when every pod had run a task again.
  const std::vector<absl::Time> first = fleet.ledger().FirstTaskPerPodAfter(came_back);
  const absl::Time first_task = *std::min_element(first.begin(), first.end());
  const absl::Time all_pods = *std::max_element(first.begin(), first.end());
  const std::vector<int64_t> after =
      fleet.ledger().ArrivalsPerBucket(came_back, absl::Milliseconds(100));
  const int64_t ran_before_up = fleet.ledger().TasksBetween(start, came_back);
  const int64_t backlog = triggered_before_up - triggered_at_start - ran_before_up;
  absl::Time backlog_cleared = absl::InfiniteFuture();
  int64_t peak_tasks_per_100ms = 0;
  int64_t ran_after = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    peak_tasks_per_100ms = std::max(peak_tasks_per_100ms, after[i]);
    ran_after += after[i];
    if (ran_after >= backlog && backlog_cleared == absl::InfiniteFuture()) {
      backlog_cleared = came_back + absl::Milliseconds(100) * static_cast<double>(i + 1);
    }
  }
  const RequestSampler::Counts first_second =
      sampler.Between(came_back, came_back + absl::Seconds(1));
  const int64_t peak_100ms =
      sampler.PeakRequests(came_back, came_back + absl::Seconds(5), absl::Milliseconds(100));
  const RequestSampler::Counts while_down = sampler.Between(went_down, came_back);
  auto seconds_after = [&](absl::Time t) {
    return t == absl::InfiniteFuture() ? -1.0 : absl::ToDoubleSeconds(t - came_back);
  };
  const TaskLedger::Summary ran = fleet.ledger().Summarize();
  std::string line = absl::StrFormat(
      "fleet_restart pods=%d rate=%.0f down_s=%.0f states_per_s_before=%.1f "
      "requests_while_down=%d backlog=%d requests_first_s_after=%d claims_first_s_after=%d "
      "peak_requests_per_100ms=%d first_task_after_s=%.2f backlog_cleared_after_s=%.2f "
      "all_pods_ran_after_s=%.2f peak_states_per_s=%d pickup_p99_ms=%.0f pickup_max_ms=%.0f %s",
      fleet.pods(), options.runs_per_second, absl::ToDoubleSeconds(options.down),
      static_cast<double>(ran_before) / before_s, while_down.requests, backlog,
      first_second.requests, first_second.claims, peak_100ms, seconds_after(first_task),
      seconds_after(backlog_cleared), seconds_after(all_pods), peak_tasks_per_100ms * 10,
      ran.pickup_p99_ms, ran.pickup_max_ms, OutcomeFields(outcome));
  return ScenarioResult{std::move(line), outcome.Clean()};
}

}  // namespace exosphere::bench
