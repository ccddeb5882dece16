#ifndef EXOSPHERE_SIDECAR_OPERATIONS_POLLER_SET_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_POLLER_SET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "sidecar/core/work_signals.h"
#include "sidecar/operations/poller.h"

namespace exosphere::sidecar {

// One Poller per namespace, created the first time the namespace gains capacity (its first
// worker is registered) and kept until shutdown. Listens to `signals` from construction until
// StopAll. Thread-safe.
class PollerSet final : public WorkSignals::Listener {
 public:
  PollerSet(ClaimTarget& target, StatesClient& client, Clock& clock, PollerOptions options,
            Poller::UnsentReports unsent_reports, WorkSignals& signals, Journal* journal = nullptr);
  ~PollerSet() override;

  void OnCapacity(absl::string_view ns) override ABSL_LOCKS_EXCLUDED(mu_);
  // See Poller::OnLikelyWork; ignored for namespaces without a poller.
  void OnLikelyWork(absl::string_view ns) override ABSL_LOCKS_EXCLUDED(mu_);
  // Every poller: see Poller::OnReportsDrained.
  void OnReportsDrained() override ABSL_LOCKS_EXCLUDED(mu_);
  // Stops and joins every poller; later events are ignored.
  void StopAll() ABSL_LOCKS_EXCLUDED(mu_);

  std::map<std::string, PollerStats> Stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ClaimTarget& target_;
  StatesClient& client_;
  Clock& clock_;
  const PollerOptions options_;
  const Poller::UnsentReports unsent_reports_;
  WorkSignals& signals_;
  Journal* const journal_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<Poller>, std::less<>> pollers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_POLLER_SET_H_
