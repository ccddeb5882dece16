#ifndef EXOSPHERE_SIDECAR_OPERATIONS_BACKOFF_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_BACKOFF_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace exosphere {

// Capped exponential backoff with jitter: attempt n (0-based) waits a uniformly random duration
// in [base*2^n / 2, base*2^n], capped at `max`. The "equal jitter" shape keeps a floor (no burst
// of immediate retries) while spreading retries of many clients apart. Not thread-safe.
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max);

  // The delay before the next attempt; advances the attempt counter.
  absl::Duration Next();
  // The delay Next() would return without jitter (the upper bound); does not advance.
  absl::Duration PeekCeiling() const;
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  int attempt_ = 0;
  absl::BitGen gen_;
};

}  // namespace exosphere

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_BACKOFF_H_
