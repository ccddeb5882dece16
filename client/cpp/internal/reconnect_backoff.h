#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_RECONNECT_BACKOFF_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_RECONNECT_BACKOFF_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace exosphere::client::internal {

// Capped exponential backoff with "equal jitter": attempt n waits a uniformly random duration in
// [c/2, c] with c = min(initial * 2^n, max). The floor avoids bursts of immediate reconnects; the
// jitter keeps the workers of a restarted sidecar from reconnecting in lockstep. Not
// thread-safe (owned by the runtime's connection thread).
class ReconnectBackoff {
 public:
  ReconnectBackoff(absl::Duration initial, absl::Duration max);

  // The wait before the next attempt; advances the attempt counter.
  absl::Duration Next();
  // The upper bound of the next wait, without advancing.
  absl::Duration Ceiling() const;
  void Reset() { attempt_ = 0; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  int attempt_ = 0;
  absl::BitGen random_;
};

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_RECONNECT_BACKOFF_H_
