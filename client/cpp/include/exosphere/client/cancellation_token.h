#ifndef EXOSPHERE_CLIENT_CANCELLATION_TOKEN_H_
#define EXOSPHERE_CLIENT_CANCELLATION_TOKEN_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace exosphere::client {

// A one-shot flag telling a running node to stop: set when the sidecar cancels the task (its
// deadline passed, or a drain timed out), when the stream to the sidecar breaks, or when
// Runtime::Stop's grace period ends. Once set it stays set. Thread-safe.
class CancellationToken {
 public:
  CancellationToken() = default;
  CancellationToken(const CancellationToken&) = delete;
  CancellationToken& operator=(const CancellationToken&) = delete;

  // Sets the token. The first reason is kept; later calls change nothing.
  void Cancel(const std::string& reason) ABSL_LOCKS_EXCLUDED(mu_);

  bool IsCancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  // Why the token was set ("" while it is not).
  std::string reason() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until the token is set or `timeout` passes; returns whether it is set. A node that
  // waits (instead of sleeping) between steps reacts to cancellation at once.
  bool WaitForCancellation(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::string reason_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_CANCELLATION_TOKEN_H_
