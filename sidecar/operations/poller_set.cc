#include "sidecar/operations/poller_set.h"

#include <utility>

namespace exosphere::sidecar {

PollerSet::PollerSet(ClaimTarget& target, StatesClient& client, Clock& clock, PollerOptions options,
                     Poller::UnsentReports unsent_reports, WorkSignals& signals, Journal* journal)
    : target_(target),
      client_(client),
      clock_(clock),
      options_(options),
      unsent_reports_(std::move(unsent_reports)),
      signals_(signals),
      journal_(journal) {
  signals_.Listen(*this);
}

PollerSet::~PollerSet() { StopAll(); }

void PollerSet::OnCapacity(absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  auto it = pollers_.find(ns);
  if (it == pollers_.end()) {
    // A new poller polls at once; no event needed.
    pollers_.emplace(std::string(ns),
                     std::make_unique<Poller>(std::string(ns), target_, client_, clock_, options_,
                                              unsent_reports_, journal_));
    return;
  }
  it->second->OnCapacity();
}

void PollerSet::OnLikelyWork(absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  auto it = pollers_.find(ns);
  if (it != pollers_.end()) it->second->OnLikelyWork();
}

void PollerSet::OnReportsDrained() {
  absl::MutexLock lock(&mu_);
  for (const auto& [ns, poller] : pollers_) poller->OnReportsDrained();
}

void PollerSet::StopAll() {
  signals_.Unlisten();
  std::map<std::string, std::unique_ptr<Poller>, std::less<>> pollers;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    pollers.swap(pollers_);
  }
  // Destroying a poller joins its thread, which may be inside the router; not under mu_.
  pollers.clear();
}

std::map<std::string, PollerStats> PollerSet::Stats() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, PollerStats> stats;
  for (const auto& [ns, poller] : pollers_) stats.emplace(ns, poller->Stats());
  return stats;
}

}  // namespace exosphere::sidecar
