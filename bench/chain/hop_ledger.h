#ifndef EXOSPHERE_BENCH_CHAIN_HOP_LEDGER_H_
#define EXOSPHERE_BENCH_CHAIN_HOP_LEDGER_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace exosphere::bench {

// What the chain's workers saw, run by run: when each node's task arrived, when the sidecar
// had received the claim reply that carried it, and when the worker answered. Runs go one at a
// time, so a task belongs to the run that is open. Every time is read by this process's clock
// or is a sidecar's (same machine) realtime stamp. Thread-safe.
class HopLedger {
 public:
  explicit HopLedger(int nodes);

  // A run was triggered at `at`; its tasks are recorded from now on.
  void OpenRun(absl::Time at) ABSL_LOCKS_EXCLUDED(mu_);
  // Node `node` (1-based) got task `state_id` at `received`; its sidecar got the claim reply
  // at `claimed` and the worker answered at `answered`.
  void Record(int node, const std::string& state_id, absl::Time claimed, absl::Time received,
              absl::Time answered) ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until every node of the open run got its task or `timeout` passes; returns whether
  // they did.
  bool AwaitRunDone(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Problems seen so far: a task outside a run, a node served twice in a run, a state seen
  // twice. Empty when none.
  std::vector<std::string> Problems() const ABSL_LOCKS_EXCLUDED(mu_);

  struct Hop {
    // From the previous node's answer (the trigger for hop 1) to this node's task arriving.
    double total_ms = 0;
    // The part of it until the sidecar had the claim reply: the wait for a poll, plus a claim.
    double until_claimed_ms = 0;
  };
  // hops()[run][hop - 1] for every finished run, in the order they ran.
  std::vector<std::vector<Hop>> Hops() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Task {
    bool seen = false;
    absl::Time claimed;
    absl::Time received;
    absl::Time answered;
  };
  struct Run {
    absl::Time triggered;
    std::vector<Task> tasks;
    int seen = 0;
  };

  const int nodes_;
  mutable absl::Mutex mu_;
  std::vector<Run> runs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> state_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_CHAIN_HOP_LEDGER_H_
