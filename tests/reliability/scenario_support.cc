#include "tests/reliability/scenario_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace exosphere::reliability {
namespace {

constexpr char kStatesVariable[] = "EXOSPHERE_RELIABILITY_STATES";
constexpr int kQuickStates = 1000;

std::string Breakdown(const std::map<std::string, int64_t>& counts) {
  std::vector<std::string> parts;
  for (const auto& [kind, count] : counts) parts.push_back(absl::StrCat(kind, "=", count));
  return absl::StrJoin(parts, " ");
}

int64_t Total(const std::map<std::string, int64_t>& counts) {
  int64_t total = 0;
  for (const auto& [kind, count] : counts) total += count;
  return total;
}

std::string Millis(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration), "ms");
}

bool Reported(const AppliedReports& applied) {
  return applied.Finishing() > 0 || applied.re_enqueue_after > 0;
}

}  // namespace

ScenarioScale ScenarioScale::FromEnv() {
  ScenarioScale scale;
  const char* text = std::getenv(kStatesVariable);
  int states = 0;
  if (text != nullptr && absl::SimpleAtoi(text, &states) && states >= kQuickStates) {
    scale.states = states;
  }
  return scale;
}

int ScenarioScale::Rounds(int quick_rounds) const {
  return std::max(quick_rounds, quick_rounds * states / kQuickStates);
}

absl::Duration ScenarioScale::SettleTimeout(absl::Duration quick) const {
  return quick * std::max(1, states / kQuickStates);
}

int64_t ScenarioRecord::Faults() const { return Total(faults_); }
int64_t ScenarioRecord::Recoveries() const { return Total(recoveries_); }

std::string ScenarioRecord::Line() const {
  std::string recover = "n/a";
  if (!recovery_times_.empty()) {
    std::vector<absl::Duration> sorted = recovery_times_;
    std::sort(sorted.begin(), sorted.end());
    recover = absl::StrCat("max ", Millis(sorted.back()), " p50 ",
                           Millis(sorted[sorted.size() / 2]), " (n=", sorted.size(), ")");
  }
  return absl::StrCat("[reliability] scenario=", name_, " states=", states_, " claimed=", claimed_,
                      " faults=", Faults(), " (", Breakdown(faults_), ") recoveries=", Recoveries(),
                      " (", Breakdown(recoveries_), ") time_to_recover=", recover,
                      " wall=", Millis(absl::Now() - start_));
}

void ScenarioRecord::Print() const {
  std::printf("%s\n", Line().c_str());
  std::fflush(stdout);
}

absl::StatusOr<absl::Duration> AwaitReportsApplied(FaultProxy& proxy,
                                                   const std::vector<std::string>& ids,
                                                   absl::Time since, absl::Duration timeout) {
  const bool done = proxy.AwaitStats(
      [&](const FaultProxyStats& stats) {
        return std::all_of(ids.begin(), ids.end(),
                           [&](const std::string& id) { return Reported(stats.AppliedFor(id)); });
      },
      timeout);
  if (!done) {
    const FaultProxyStats stats = proxy.Stats();
    const int64_t missing = std::count_if(ids.begin(), ids.end(), [&](const std::string& id) {
      return !Reported(stats.AppliedFor(id));
    });
    return absl::DeadlineExceededError(absl::StrCat(
        missing, " of ", ids.size(), " states got no report within ", Millis(timeout)));
  }
  return absl::Now() - since;
}

absl::StatusOr<absl::Duration> AwaitProgress(FaultProxy& proxy, int64_t executed_before,
                                             absl::Time since, absl::Duration timeout) {
  const bool done = proxy.AwaitStats(
      [&](const FaultProxyStats& stats) {
        return stats.TotalApplied(EndpointKind::kExecuted) > executed_before;
      },
      timeout);
  if (!done) {
    return absl::DeadlineExceededError(
        absl::StrCat("no executed report applied within ", Millis(timeout)));
  }
  return absl::Now() - since;
}

std::vector<std::string> UnreportedTasksOf(exosphere::harness::ChildProcess& worker,
                                           const FaultProxyStats& stats) {
  std::set<std::string> ids;
  for (const std::string& line : worker.StdoutLines()) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "task ")) continue;
    const size_t space = rest.find(' ');
    if (space == absl::string_view::npos) continue;
    const std::string id(rest.substr(space + 1));
    if (!Reported(stats.AppliedFor(id))) ids.insert(id);
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

size_t TasksStartedBy(exosphere::harness::ChildProcess& worker) {
  const std::vector<std::string> lines = worker.StdoutLines();
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
    return absl::StartsWith(line, "task ");
  }));
}

absl::StatusOr<int64_t> ReadRssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return absl::NotFoundError(absl::StrCat("no /proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kb)) return kb;
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS in /proc/", pid, "/status"));
}

::testing::AssertionResult AllStatesTerminal(const StateFacts& facts, const FaultProxyStats& stats,
                                             int64_t min_claimed) {
  static const std::set<std::string> kTerminal = {"SUCCESS", "ERRORED", "PRUNED", "RETRY_CREATED"};
  std::vector<std::string> problems;
  if (!facts.settled) problems.push_back(absl::StrCat(facts.runs_pending, " runs still pending"));
  if (!facts.stuck_states.empty()) {
    problems.push_back(
        absl::StrCat(facts.stuck_states.size(), " states left CREATED/QUEUED/EXECUTED (first ",
                     facts.stuck_states.front(),
                     "; by undelivered claim: ", facts.stuck_by_undelivered_claim.size(), ")"));
  }
  if (!facts.duplicate_executed.empty()) {
    problems.push_back(absl::StrCat(facts.duplicate_executed.size(),
                                    " states with duplicate executed reports (first ",
                                    facts.duplicate_executed.front(), ")"));
  }
  for (const auto& [status, count] : facts.states_by_status) {
    if (kTerminal.count(status) == 0) {
      problems.push_back(absl::StrCat(count, " states ", status));
    }
  }
  if (static_cast<int64_t>(stats.claims.size()) < min_claimed) {
    problems.push_back(
        absl::StrCat("only ", stats.claims.size(), " states claimed, want ", min_claimed));
  }
  if (problems.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << absl::StrJoin(problems, "; ") << "\n  facts: " << facts.Summary();
}

}  // namespace exosphere::reliability
