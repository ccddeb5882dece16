// chain-bench: the latency of a chain whose nodes alternate between two sidecars, after the
// namespace was idle (bench/README.md, "Chain"). One devserver, two exosphere-sidecar processes
// and in-process workers; prints one parseable line per hop and per sidecar, then Markdown
// tables.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

#include "bench/chain/chain.h"
#include "bench/fleet/request_sampler.h"
#include "bench/fleet/task_ledger.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(int32_t, nodes, 10, "Nodes of the chain (odd ones on sidecar A, even ones on B).");
ABSL_FLAG(int64_t, idle_s, 60,
          "Seconds with nothing to do between the warm-up run and the measured runs.");
ABSL_FLAG(int32_t, runs, 30, "Measured runs, triggered one after the other.");
ABSL_FLAG(int64_t, gap_ms, 0, "Pause between one measured run's last task and the next trigger.");
ABSL_FLAG(int64_t, run_timeout_s, 30,
          "A run whose last node has not started by then failed (a state lost or stuck).");
ABSL_FLAG(std::vector<std::string>, sidecar_args, {},
          "Extra flags for both sidecars, e.g. --sidecar_args=--busy_window_ms=0.");
ABSL_FLAG(bool, sidecar_logs, false, "Copy the sidecars' log lines to stderr.");

namespace exosphere::bench {
namespace {

constexpr const char* kSidecarNames[] = {"A", "B"};

int Fail(const std::string& message) {
  std::fprintf(stderr, "chain-bench: %s\n", message.c_str());
  return 1;
}

std::string Ms(double value) { return absl::StrFormat("%.1f", value); }

struct HopRow {
  int hop = 0;
  std::string route;
  double first_ms = 0;
  double first_until_claimed_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double until_claimed_p50_ms = 0;
};

// Claims of `sampler` per second in consecutive `bucket`s of [from, to).
std::vector<double> ClaimRates(const RequestSampler& sampler, absl::Time from, absl::Time to,
                               absl::Duration bucket) {
  std::vector<double> rates;
  for (absl::Time start = from; start < to; start += bucket) {
    const absl::Time end = std::min(start + bucket, to);
    rates.push_back(static_cast<double>(sampler.Between(start, end).claims) /
                    absl::ToDoubleSeconds(end - start));
  }
  return rates;
}

int Run() {
  const int nodes = absl::GetFlag(FLAGS_nodes);
  const int runs = absl::GetFlag(FLAGS_runs);
  const absl::Duration idle = absl::Seconds(absl::GetFlag(FLAGS_idle_s));
  const absl::Duration run_timeout = absl::Seconds(absl::GetFlag(FLAGS_run_timeout_s));
  if (nodes < 2 || nodes > 100) return Fail("--nodes must be between 2 and 100");
  if (runs < 1) return Fail("--runs must be at least 1");
  if (idle < absl::ZeroDuration()) return Fail("--idle-s must not be negative");

  ChainOptions options;
  options.nodes = nodes;
  options.sidecar_args = absl::GetFlag(FLAGS_sidecar_args);
  options.echo_sidecar_logs = absl::GetFlag(FLAGS_sidecar_logs);
  absl::StatusOr<std::unique_ptr<Chain>> started = Chain::Start(options);
  if (!started.ok()) return Fail(std::string(started.status().message()));
  Chain& chain = **started;
  std::vector<std::unique_ptr<RequestSampler>> samplers;
  samplers.reserve(Chain::kSidecars);
  for (int sidecar = 0; sidecar < Chain::kSidecars; ++sidecar) {
    samplers.push_back(
        std::make_unique<RequestSampler>(chain.proxy(sidecar), absl::Milliseconds(100)));
  }

  // A warm-up run, so that both sidecars have claimed work before the quiet period (the busy
  // window opens and then has to close), and a run of the measured ones is never the sidecars'
  // first.
  auto run_once = [&](const std::string& name) -> absl::Status {
    if (absl::Status triggered = chain.TriggerRun(); !triggered.ok()) return triggered;
    if (!chain.ledger().AwaitRunDone(run_timeout)) {
      return absl::DeadlineExceededError(absl::StrCat(name, ": not every node started within ",
                                                      absl::FormatDuration(run_timeout),
                                                      " (a state lost or stuck)"));
    }
    return absl::OkStatus();
  };
  if (absl::Status warm = run_once("the warm-up run"); !warm.ok()) {
    return Fail(std::string(warm.message()));
  }
  const absl::Time idle_start = absl::Now();
  std::printf("chain_started nodes=%d idle_s=%.0f runs=%d\n", nodes, absl::ToDoubleSeconds(idle),
              runs);
  std::fflush(stdout);
  absl::SleepFor(idle);  // the quiet period is what is measured: nothing to await
  const absl::Time idle_end = absl::Now();

  for (int run = 1; run <= runs; ++run) {
    if (absl::Status done = run_once(absl::StrCat("run ", run)); !done.ok()) {
      return Fail(std::string(done.message()));
    }
    if (const int64_t gap_ms = absl::GetFlag(FLAGS_gap_ms); gap_ms > 0) {
      absl::SleepFor(absl::Milliseconds(gap_ms));
    }
  }
  const absl::Time runs_end = absl::Now();
  // Every state reported executed once: the last node's report may still be on its way.
  for (int sidecar = 0; sidecar < Chain::kSidecars; ++sidecar) {
    const int64_t per_run = sidecar == 0 ? (nodes + 1) / 2 : nodes / 2;
    const int64_t expected = per_run * (runs + 1);
    const bool reported = chain.proxy(sidecar).AwaitStats(
        [expected](const reliability::FaultProxyStats& stats) {
          int64_t executed = 0;
          for (const auto& [state_id, applied] : stats.applied_reports) {
            executed += applied.executed;
          }
          return executed >= expected;
        },
        run_timeout);
    if (!reported) {
      return Fail(absl::StrCat("sidecar ", kSidecarNames[sidecar], " did not report all ", expected,
                               " states executed"));
    }
  }
  if (chain.ExecutedReports() != static_cast<int64_t>(nodes) * (runs + 1)) {
    return Fail(absl::StrCat("executed reports applied: ", chain.ExecutedReports(), ", expected ",
                             nodes * (runs + 1)));
  }
  const std::vector<std::string> problems = chain.ledger().Problems();
  if (!problems.empty()) return Fail(absl::StrJoin(problems, "; "));

  // Hops: [0] is the warm-up run, [1] the first run after the quiet period.
  const std::vector<std::vector<HopLedger::Hop>> hops = chain.ledger().Hops();
  std::vector<HopRow> rows;
  std::vector<double> later_hops;       // hops 2..N of the measured runs
  std::vector<double> later_hops_warm;  // the same without the first run after idle
  for (int hop = 1; hop <= nodes; ++hop) {
    HopRow row;
    row.hop = hop;
    row.route =
        hop == 1 ? "trigger -> A"
                 : absl::StrCat(kSidecarNames[(hop - 2) % 2], " -> ", kSidecarNames[(hop - 1) % 2]);
    std::vector<double> totals;
    std::vector<double> until_claimed;
    for (size_t run = 1; run < hops.size(); ++run) {
      const HopLedger::Hop& value = hops[run][static_cast<size_t>(hop - 1)];
      totals.push_back(value.total_ms);
      until_claimed.push_back(value.until_claimed_ms);
      if (hop >= 2) {
        later_hops.push_back(value.total_ms);
        if (run >= 2) later_hops_warm.push_back(value.total_ms);
      }
    }
    row.first_ms = hops[1][static_cast<size_t>(hop - 1)].total_ms;
    row.first_until_claimed_ms = hops[1][static_cast<size_t>(hop - 1)].until_claimed_ms;
    row.p50_ms = Quantile(totals, 0.5);
    row.p99_ms = Quantile(totals, 0.99);
    row.max_ms = Quantile(totals, 1.0);
    row.until_claimed_p50_ms = Quantile(until_claimed, 0.5);
    rows.push_back(row);
    std::printf(
        "chain_hop hop=%d route=%s first_run_ms=%s first_run_until_claimed_ms=%s p50_ms=%s "
        "p99_ms=%s max_ms=%s until_claimed_p50_ms=%s\n",
        hop, absl::StrReplaceAll(row.route, {{" -> ", "->"}}).c_str(), Ms(row.first_ms).c_str(),
        Ms(row.first_until_claimed_ms).c_str(), Ms(row.p50_ms).c_str(), Ms(row.p99_ms).c_str(),
        Ms(row.max_ms).c_str(), Ms(row.until_claimed_p50_ms).c_str());
  }
  std::printf(
      "chain_hops hops=2..%d runs=%d p50_ms=%s p99_ms=%s max_ms=%s without_first_run_p50_ms=%s "
      "without_first_run_p99_ms=%s\n",
      nodes, runs, Ms(Quantile(later_hops, 0.5)).c_str(), Ms(Quantile(later_hops, 0.99)).c_str(),
      Ms(Quantile(later_hops, 1.0)).c_str(), Ms(Quantile(later_hops_warm, 0.5)).c_str(),
      Ms(Quantile(later_hops_warm, 0.99)).c_str());

  // Claims per sidecar: while idle, in 10 s buckets (the busy window, the back-off, the idle
  // rate), and during the measured runs.
  const absl::Duration bucket = std::min(absl::Seconds(10), std::max(idle, absl::Seconds(1)));
  std::vector<std::vector<double>> idle_rates;
  for (int sidecar = 0; sidecar < Chain::kSidecars; ++sidecar) {
    const RequestSampler& sampler = *samplers[static_cast<size_t>(sidecar)];
    idle_rates.push_back(ClaimRates(sampler, idle_start, idle_start + idle, bucket));
    std::vector<std::string> rates;
    for (double rate : idle_rates.back()) rates.push_back(absl::StrFormat("%.2f", rate));
    const double last = idle_rates.back().empty() ? 0 : idle_rates.back().back();
    const double during_runs = static_cast<double>(sampler.Between(idle_end, runs_end).claims) /
                               absl::ToDoubleSeconds(runs_end - idle_end);
    std::printf(
        "chain_claims sidecar=%s idle_claims_per_s_by_%.0fs=%s idle_last_bucket_per_s=%.2f "
        "runs_claims_per_s=%.2f\n",
        kSidecarNames[sidecar], absl::ToDoubleSeconds(bucket), absl::StrJoin(rates, ",").c_str(),
        last, during_runs);
  }
  std::printf("sidecar_log_lines=%lld\n", static_cast<long long>(chain.SidecarLogLines()));

  std::printf(
      "\nPer hop, %d runs one after the other after %.0f s idle (ms; hop 1: trigger to the "
      "first task, hop n: node n-1's answer to node n's task)\n",
      runs, absl::ToDoubleSeconds(idle));
  std::printf(
      "| hop | route | first run after idle | until claimed | p50 | p99 | max | until claimed "
      "p50 |\n| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const HopRow& row : rows) {
    std::printf("| %d | %s | %s | %s | %s | %s | %s | %s |\n", row.hop, row.route.c_str(),
                Ms(row.first_ms).c_str(), Ms(row.first_until_claimed_ms).c_str(),
                Ms(row.p50_ms).c_str(), Ms(row.p99_ms).c_str(), Ms(row.max_ms).c_str(),
                Ms(row.until_claimed_p50_ms).c_str());
  }
  std::printf("| 2..%d | all | | | %s | %s | %s | |\n", nodes,
              Ms(Quantile(later_hops, 0.5)).c_str(), Ms(Quantile(later_hops, 0.99)).c_str(),
              Ms(Quantile(later_hops, 1.0)).c_str());
  std::printf("\nClaims per second per sidecar while idle, by %.0f s since the warm-up run\n",
              absl::ToDoubleSeconds(bucket));
  std::vector<std::string> header = {"sidecar"};
  for (size_t i = 0; i < idle_rates.front().size(); ++i) {
    header.push_back(absl::StrCat(
        absl::ToDoubleSeconds(bucket * static_cast<int64_t>(i)), "-",
        absl::ToDoubleSeconds(std::min(bucket * static_cast<int64_t>(i + 1), idle)), " s"));
  }
  std::printf("| %s |\n|%s\n", absl::StrJoin(header, " | ").c_str(),
              absl::StrJoin(std::vector<std::string>(header.size(), " --- |"), "").c_str());
  for (int sidecar = 0; sidecar < Chain::kSidecars; ++sidecar) {
    std::vector<std::string> cells = {kSidecarNames[sidecar]};
    for (double rate : idle_rates[static_cast<size_t>(sidecar)]) {
      cells.push_back(absl::StrFormat("%.2f", rate));
    }
    std::printf("| %s |\n", absl::StrJoin(cells, " | ").c_str());
  }
  return 0;
}

}  // namespace
}  // namespace exosphere::bench

int main(int argc, char** argv) {
  exosphere::ConfigureFlagsUsage("chain-bench");
  absl::SetProgramUsageMessage(
      "A chain whose nodes alternate between two sidecars: the latency of each hop after an "
      "idle period, and the idle claims of each sidecar (bench/README.md, \"Chain\").");
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(normalized.size()) - 1, normalized.data());
  exosphere::log::SetLevel(exosphere::log::Level::kWarning);
  return exosphere::bench::Run();
}
