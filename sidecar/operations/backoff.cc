#include "sidecar/operations/backoff.h"

#include <algorithm>

namespace exosphere {

Backoff::Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}

absl::Duration Backoff::PeekCeiling() const {
  // Doubling stops once the cap is reached, so large attempt counts cannot overflow.
  absl::Duration ceiling = initial_;
  for (int i = 0; i < attempt_ && ceiling < max_; ++i) ceiling *= 2;
  return std::min(ceiling, max_);
}

absl::Duration Backoff::Next() {
  const absl::Duration ceiling = PeekCeiling();
  ++attempt_;
  const double fraction = absl::Uniform(gen_, 0.5, 1.0);
  return ceiling * fraction;
}

}  // namespace exosphere
