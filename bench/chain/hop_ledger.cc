#include "bench/chain/hop_ledger.h"

#include "absl/strings/str_cat.h"

namespace exosphere::bench {

HopLedger::HopLedger(int nodes) : nodes_(nodes) {}

void HopLedger::OpenRun(absl::Time at) {
  absl::MutexLock lock(&mu_);
  runs_.push_back({at, std::vector<Task>(static_cast<size_t>(nodes_)), 0});
}

void HopLedger::Record(int node, const std::string& state_id, absl::Time claimed,
                       absl::Time received, absl::Time answered) {
  absl::MutexLock lock(&mu_);
  if (!state_ids_.insert(state_id).second) {
    problems_.push_back(absl::StrCat("state ", state_id, " (node ", node, ") arrived twice"));
    return;
  }
  if (runs_.empty() || node < 1 || node > nodes_) {
    problems_.push_back(absl::StrCat("task for node ", node, " outside a run"));
    return;
  }
  Run& run = runs_.back();
  Task& task = run.tasks[static_cast<size_t>(node - 1)];
  if (task.seen) {
    problems_.push_back(
        absl::StrCat("node ", node, " ran twice in run ", runs_.size(), " (", state_id, ")"));
    return;
  }
  task = {true, claimed, received, answered};
  ++run.seen;
}

bool HopLedger::AwaitRunDone(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !runs_.empty() && runs_.back().seen == nodes_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

std::vector<std::string> HopLedger::Problems() const {
  absl::MutexLock lock(&mu_);
  return problems_;
}

std::vector<std::vector<HopLedger::Hop>> HopLedger::Hops() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::vector<Hop>> hops;
  for (const Run& run : runs_) {
    if (run.seen != nodes_) continue;
    std::vector<Hop>& row = hops.emplace_back();
    absl::Time previous = run.triggered;
    for (const Task& task : run.tasks) {
      row.push_back({absl::ToDoubleMilliseconds(task.received - previous),
                     absl::ToDoubleMilliseconds(task.claimed - previous)});
      previous = task.answered;
    }
  }
  return hops;
}

}  // namespace exosphere::bench
