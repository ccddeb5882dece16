#include "devserver/retry_delay.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/random/distributions.h"

namespace exosphere::devserver {
namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

// Both factors are positive.
int64_t SaturatingMultiply(int64_t a, int64_t b) {
  const __int128 product = static_cast<__int128>(a) * b;
  return product >= kSaturated ? kSaturated : static_cast<int64_t>(product);
}

// base^exponent by squaring, saturating; both arguments are positive.
int64_t SaturatingPower(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = SaturatingMultiply(result, base);
    exponent >>= 1;
    if (exponent > 0) base = SaturatingMultiply(base, base);
    if (result == kSaturated) return kSaturated;
  }
  return result;
}

// int(random.uniform(0, base)): a real draw in [0, base) truncated.
int64_t FullJitter(int64_t base, absl::BitGenRef bitgen) {
  const double draw = absl::Uniform<double>(bitgen, 0.0, static_cast<double>(base));
  if (draw >= 9.2233720368547758e18) return kSaturated;
  return static_cast<int64_t>(draw);
}

// int(base / 2 + random.uniform(0, base / 2)), with Python's true division.
int64_t EqualJitter(int64_t base, absl::BitGenRef bitgen) {
  const double half = static_cast<double>(base) / 2.0;
  const double draw = half + absl::Uniform<double>(bitgen, 0.0, half);
  if (draw >= 9.2233720368547758e18) return kSaturated;
  return static_cast<int64_t>(draw);
}

}  // namespace

int64_t RetryDelayMs(const RetryPolicy& policy, int64_t retry_count, absl::BitGenRef bitgen) {
  const int64_t count = std::max<int64_t>(retry_count, 1);
  const int64_t factor = policy.backoff_factor;
  const int64_t exponential =
      SaturatingMultiply(factor, SaturatingPower(policy.exponent, count - 1));
  const int64_t linear = SaturatingMultiply(factor, count);
  int64_t delay = 0;
  switch (policy.strategy) {
    case RetryStrategy::kExponential:
      delay = exponential;
      break;
    case RetryStrategy::kExponentialFullJitter:
      delay = FullJitter(exponential, bitgen);
      break;
    case RetryStrategy::kExponentialEqualJitter:
      delay = EqualJitter(exponential, bitgen);
      break;
    case RetryStrategy::kLinear:
      delay = linear;
      break;
    case RetryStrategy::kLinearFullJitter:
      delay = FullJitter(linear, bitgen);
      break;
    case RetryStrategy::kLinearEqualJitter:
      delay = EqualJitter(linear, bitgen);
      break;
    case RetryStrategy::kFixed:
      delay = factor;
      break;
    case RetryStrategy::kFixedFullJitter:
      delay = FullJitter(factor, bitgen);
      break;
    case RetryStrategy::kFixedEqualJitter:
      delay = EqualJitter(factor, bitgen);
      break;
  }
  if (policy.max_delay.has_value()) delay = std::min(delay, *policy.max_delay);
  return delay;
}

}  // namespace exosphere::devserver
