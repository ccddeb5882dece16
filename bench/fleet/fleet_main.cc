// fleet-bench: a fleet of sidecars against one state manager (bench/README.md, "Fleet"). For
// each fleet size it starts a devserver behind the fault proxy, N sidecars and their workers, and
// runs the idle, steady, saturation and restart scenarios, printing one parseable line each.

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

#include "bench/fleet/fleet.h"
#include "bench/fleet/scenarios.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(std::vector<std::string>, pods, std::vector<std::string>({"1", "10", "50", "100"}),
          "Fleet sizes to run, one fleet after the other.");
ABSL_FLAG(std::vector<std::string>, scenarios,
          std::vector<std::string>({"idle", "steady", "saturation", "restart"}),
          "Scenarios to run on each fleet, in this order.");
ABSL_FLAG(int32_t, slots, 16, "Slots of each pod's worker.");
ABSL_FLAG(int64_t, task_ms, 0,
          "How long each task takes (0: answered at once). A pod runs its tasks one after "
          "another, so use it with --slots=1: a fleet whose pods are busy, not idle.");
ABSL_FLAG(int64_t, latency_ms, 0,
          "A round trip added to every request of the fleet at the proxy (half before the "
          "server, half after), as for a remote state manager (e.g. 5-20).");
ABSL_FLAG(std::vector<std::string>, sidecar_args, {},
          "Extra flags for every sidecar, e.g. --sidecar_args=--poll_interval_ms=500.");
ABSL_FLAG(bool, sidecar_logs, false,
          "Copy the sidecars' log lines to stderr (with --sidecar_args=--log_level=debug: every "
          "claim).");
ABSL_FLAG(int64_t, idle_settle_s, 60, "idle: seconds with nothing to do before measuring.");
ABSL_FLAG(int64_t, idle_window_s, 10, "idle: seconds measured.");
ABSL_FLAG(double, steady_rate, 200, "steady: runs triggered per second (the whole fleet).");
ABSL_FLAG(int64_t, steady_s, 20, "steady: seconds of arrivals.");
ABSL_FLAG(double, saturation_rate, 300, "saturation: runs triggered per second.");
ABSL_FLAG(int64_t, saturation_s, 20, "saturation: seconds of arrivals.");
ABSL_FLAG(int32_t, saturation_workers, 2,
          "saturation: requests the throttled state manager serves at once.");
ABSL_FLAG(int64_t, saturation_service_ms, 10,
          "saturation: time the throttled state manager takes per request.");
ABSL_FLAG(double, restart_rate, 100, "restart: runs triggered per second.");
ABSL_FLAG(int64_t, restart_down_s, 30, "restart: seconds the state manager is unreachable.");
ABSL_FLAG(int64_t, restart_before_s, 5, "restart: seconds of arrivals before the outage.");
ABSL_FLAG(int64_t, restart_after_s, 10, "restart: seconds of arrivals after it is back.");

namespace exosphere::bench {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "fleet-bench: %s\n", message.c_str());
  return 1;
}

// The lines of one scenario (one per fleet size) as a Markdown table: a column per key.
void PrintTable(const std::string& scenario, const std::vector<std::string>& lines) {
  std::vector<std::vector<std::pair<std::string, std::string>>> rows;
  for (const std::string& line : lines) {
    std::vector<std::pair<std::string, std::string>> row;
    for (absl::string_view field : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      const size_t equals = field.find('=');
      if (equals == absl::string_view::npos) continue;  // the line's name
      row.emplace_back(std::string(field.substr(0, equals)), std::string(field.substr(equals + 1)));
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty() || rows.front().empty()) return;
  std::vector<std::string> header;
  std::vector<std::string> rule;
  for (const auto& [key, value] : rows.front()) {
    header.push_back(key);
    rule.push_back("---");
  }
  std::printf("\n%s\n| %s |\n| %s |\n", scenario.c_str(), absl::StrJoin(header, " | ").c_str(),
              absl::StrJoin(rule, " | ").c_str());
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    for (const auto& [key, value] : row) cells.push_back(value);
    std::printf("| %s |\n", absl::StrJoin(cells, " | ").c_str());
  }
}

absl::StatusOr<ScenarioResult> RunScenario(const std::string& name, Fleet& fleet) {
  if (name == "idle") {
    IdleOptions options;
    options.settle = absl::Seconds(absl::GetFlag(FLAGS_idle_settle_s));
    options.window = absl::Seconds(absl::GetFlag(FLAGS_idle_window_s));
    return RunIdle(fleet, options);
  }
  if (name == "steady") {
    SteadyOptions options;
    options.runs_per_second = absl::GetFlag(FLAGS_steady_rate);
    options.duration = absl::Seconds(absl::GetFlag(FLAGS_steady_s));
    return RunSteady(fleet, options);
  }
  if (name == "saturation") {
    SaturationOptions options;
    options.runs_per_second = absl::GetFlag(FLAGS_saturation_rate);
    options.duration = absl::Seconds(absl::GetFlag(FLAGS_saturation_s));
    options.server_workers = absl::GetFlag(FLAGS_saturation_workers);
    options.service_time = absl::Milliseconds(absl::GetFlag(FLAGS_saturation_service_ms));
    return RunSaturation(fleet, options);
  }
  if (name == "restart") {
    RestartOptions options;
    options.runs_per_second = absl::GetFlag(FLAGS_restart_rate);
    options.before = absl::Seconds(absl::GetFlag(FLAGS_restart_before_s));
    options.down = absl::Seconds(absl::GetFlag(FLAGS_restart_down_s));
    options.after = absl::Seconds(absl::GetFlag(FLAGS_restart_after_s));
    return RunRestart(fleet, options);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scenario '", name, "' (idle, steady, saturation, restart)"));
}

int Run() {
  std::vector<int> sizes;
  for (const std::string& text : absl::GetFlag(FLAGS_pods)) {
    int pods = 0;
    if (!absl::SimpleAtoi(text, &pods) || pods < 1 || pods > 1000) {
      return Fail(absl::StrCat("--pods: '", text, "' is not a fleet size in 1..1000"));
    }
    sizes.push_back(pods);
  }
  for (const auto& [name, rate] :
       {std::pair<const char*, double>{"--steady-rate", absl::GetFlag(FLAGS_steady_rate)},
        {"--saturation-rate", absl::GetFlag(FLAGS_saturation_rate)},
        {"--restart-rate", absl::GetFlag(FLAGS_restart_rate)}}) {
    if (!(rate > 0)) return Fail(absl::StrCat(name, " must be more than 0 runs per second"));
  }
  std::vector<std::string> unclean;
  std::map<std::string, std::vector<std::string>> lines_by_scenario;
  for (int pods : sizes) {
    FleetOptions options;
    options.pods = pods;
    options.slots = absl::GetFlag(FLAGS_slots);
    options.task_time = absl::Milliseconds(absl::GetFlag(FLAGS_task_ms));
    options.sidecar_args = absl::GetFlag(FLAGS_sidecar_args);
    options.echo_sidecar_logs = absl::GetFlag(FLAGS_sidecar_logs);
    const absl::Time starting = absl::Now();
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Start(options);
    if (!fleet.ok()) return Fail(std::string(fleet.status().message()));
    std::printf("fleet_started pods=%d seconds=%.1f\n", pods,
                absl::ToDoubleSeconds(absl::Now() - starting));
    std::fflush(stdout);
    const int64_t latency_ms = absl::GetFlag(FLAGS_latency_ms);
    for (const std::string& scenario : absl::GetFlag(FLAGS_scenarios)) {
      // The remote state manager's round trip, before every scenario (saturation replaces the
      // rules): half on the way there, half on the way back, as on a network.
      if (latency_ms > 0) {
        reliability::FaultRule there;
        there.name = "latency-there";
        there.kind = reliability::FaultKind::kDelay;
        there.delay = absl::Milliseconds(latency_ms) / 2;
        reliability::FaultRule back = there;
        back.name = "latency-back";
        back.phase = reliability::FaultPhase::kAfterForward;
        if (absl::Status set = (*fleet)->proxy().SetRules({there, back}); !set.ok()) {
          return Fail(std::string(set.message()));
        }
      }
      absl::StatusOr<ScenarioResult> result = RunScenario(scenario, **fleet);
      if (!result.ok()) return Fail(std::string(result.status().message()));
      const std::string line = absl::StrCat(result->line, " latency_ms=", latency_ms);
      std::printf("%s\n", line.c_str());
      lines_by_scenario[scenario].push_back(line);
      if (!result->clean) unclean.push_back(absl::StrCat(scenario, " with ", pods, " pods"));
      std::fflush(stdout);
    }
  }
  // Once every fleet ran: a table per scenario, a row per fleet size.
  for (const std::string& scenario : absl::GetFlag(FLAGS_scenarios)) {
    PrintTable(scenario, lines_by_scenario[scenario]);
  }
  // The numbers are read, not asserted; a lost or duplicated state is a defect, whatever the load.
  if (!unclean.empty()) {
    return Fail(absl::StrCat("states lost or run twice in: ", absl::StrJoin(unclean, ", ")));
  }
  return 0;
}

}  // namespace
}  // namespace exosphere::bench

int main(int argc, char** argv) {
  exosphere::ConfigureFlagsUsage("fleet-bench");
  absl::SetProgramUsageMessage(
      "A fleet of sidecars against one devserver: idle load, steady throughput and fairness, "
      "saturation and restart (bench/README.md, \"Fleet\").");
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(normalized.size()) - 1, normalized.data());
  exosphere::log::SetLevel(exosphere::log::Level::kWarning);
  return exosphere::bench::Run();
}
