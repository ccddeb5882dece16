#include "exosphere/client/cancellation_token.h"

namespace exosphere::client {

void CancellationToken::Cancel(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return;
  cancelled_ = true;
  reason_ = reason;
}

bool CancellationToken::IsCancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

std::string CancellationToken::reason() const {
  absl::MutexLock lock(&mu_);
  return reason_;
}

bool CancellationToken::WaitForCancellation(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&cancelled_), timeout);
}

}  // namespace exosphere::client
