#include "devserver/unites_readiness.h"

namespace exosphere::devserver {

bool UnitesBlockedBy(UnitesStrategy strategy, StateStatus descendant_status) {
  switch (strategy) {
    case UnitesStrategy::kAllSuccess:
      return descendant_status != StateStatus::kSuccess &&
             descendant_status != StateStatus::kRetryCreated;
    case UnitesStrategy::kAllDone:
      return descendant_status == StateStatus::kCreated ||
             descendant_status == StateStatus::kQueued ||
             descendant_status == StateStatus::kExecuted;
  }
  return true;
}

bool UnitesReady(UnitesStrategy strategy, const std::vector<StateStatus>& descendant_statuses) {
  for (StateStatus status : descendant_statuses) {
    if (UnitesBlockedBy(strategy, status)) return false;
  }
  return true;
}

}  // namespace exosphere::devserver
