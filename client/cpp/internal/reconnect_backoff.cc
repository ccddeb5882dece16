#include "client/cpp/internal/reconnect_backoff.h"

#include <algorithm>

namespace exosphere::client::internal {

ReconnectBackoff::ReconnectBackoff(absl::Duration initial, absl::Duration max)
    : initial_(initial), max_(std::max(initial, max)) {}

absl::Duration ReconnectBackoff::Ceiling() const {
  absl::Duration ceiling = initial_;
  for (int i = 0; i < attempt_ && ceiling < max_; ++i) ceiling *= 2;
  return std::min(ceiling, max_);
}

absl::Duration ReconnectBackoff::Next() {
  const absl::Duration ceiling = Ceiling();
  ++attempt_;
  const double fraction = absl::Uniform(absl::IntervalClosedClosed, random_, 0.5, 1.0);
  return ceiling * fraction;
}

}  // namespace exosphere::client::internal
