#ifndef EXOSPHERE_TESTS_RELIABILITY_SCENARIO_SUPPORT_H_
#define EXOSPHERE_TESTS_RELIABILITY_SCENARIO_SUPPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

#include "harness/child_process.h"
#include "tests/reliability/fault_proxy.h"
#include "tests/reliability/reliability_stack.h"
#include <sys/types.h>

// What the reliability scenarios of issue 4 (reliability_scenarios_test) share: their scale, the
// one-line record each prints, waits on the proxy's counters, and the acceptance check.
namespace exosphere::reliability {

// How big a scenario run is. The quick suite (CI) pushes 1,000 states through each scenario; a
// long run by hand sets EXOSPHERE_RELIABILITY_STATES (e.g. 20000), and the fault rounds grow
// with it.
struct ScenarioScale {
  int states = 1000;

  // From the environment; the quick defaults when EXOSPHERE_RELIABILITY_STATES is unset or bad.
  static ScenarioScale FromEnv();
  bool is_long() const { return states > 1000; }
  // `quick_rounds` fault rounds for 1,000 states, proportionally more for more states.
  int Rounds(int quick_rounds) const;
  // A settle timeout that grows with the number of states.
  absl::Duration SettleTimeout(absl::Duration quick) const;
};

// The figures of one scenario run, printed as one line:
//   [reliability] scenario=NAME states=N claimed=C faults=F (kind=n ...) recoveries=R (kind=n ...)
//   time_to_recover=max X p50 Y (n=K) wall=W
// `states` counts every state of the runs, `claimed` the distinct states the sidecar claimed.
// Not thread-safe.
class ScenarioRecord {
 public:
  explicit ScenarioRecord(std::string name) : name_(std::move(name)), start_(absl::Now()) {}

  void AddFaults(const std::string& kind, int64_t count = 1) { faults_[kind] += count; }
  void AddRecoveries(const std::string& kind, int64_t count = 1) { recoveries_[kind] += count; }
  void AddRecoveryTime(absl::Duration time) { recovery_times_.push_back(time); }
  void SetStates(int64_t states, int64_t claimed) {
    states_ = states;
    claimed_ = claimed;
  }
  int64_t Faults() const;
  int64_t Recoveries() const;

  std::string Line() const;
  // Prints Line() on stdout (flushed).
  void Print() const;

 private:
  const std::string name_;
  const absl::Time start_;
  int64_t states_ = 0;
  int64_t claimed_ = 0;
  std::map<std::string, int64_t> faults_;
  std::map<std::string, int64_t> recoveries_;
  std::vector<absl::Duration> recovery_times_;
};

// Blocks until the state manager applied, for every state of `ids`, a report that finishes it
// (executed, errored, prune) or hands it back (re-enqueue-after), as the proxy counted them.
// Returns the time since `since`; kDeadlineExceeded naming how many are missing after `timeout`.
absl::StatusOr<absl::Duration> AwaitReportsApplied(FaultProxy& proxy,
                                                   const std::vector<std::string>& ids,
                                                   absl::Time since, absl::Duration timeout);

// Blocks until the proxy counts more applied executed reports than `executed_before`: the
// system makes progress again. Returns the time since `since`; kDeadlineExceeded after `timeout`.
absl::StatusOr<absl::Duration> AwaitProgress(FaultProxy& proxy, int64_t executed_before,
                                             absl::Time since, absl::Duration timeout);

// The state ids a worker printed (`task NODE ID`) for which the proxy counted no finishing or
// hand-back report: its tasks in flight, or finished a moment ago.
std::vector<std::string> UnreportedTasksOf(exosphere::harness::ChildProcess& worker,
                                           const FaultProxyStats& stats);

// The number of `task ...` lines a worker printed so far.
size_t TasksStartedBy(exosphere::harness::ChildProcess& worker);

// VmRSS of process `pid` in kB, from /proc/PID/status. kNotFound when it is gone.
absl::StatusOr<int64_t> ReadRssKb(pid_t pid);

// The acceptance check of issue 4: the runs settled; every state is SUCCESS, ERRORED, PRUNED or
// RETRY_CREATED (whose retry is itself a state of the run, so its chain ends terminal); none is
// left CREATED, QUEUED or EXECUTED (none lost); no state got two applied executed reports; and
// the sidecar claimed at least `min_claimed` distinct states.
::testing::AssertionResult AllStatesTerminal(const StateFacts& facts, const FaultProxyStats& stats,
                                             int64_t min_claimed);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_SCENARIO_SUPPORT_H_
