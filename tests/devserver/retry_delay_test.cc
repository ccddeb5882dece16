#include "devserver/retry_delay.h"

#include <limits>

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace exosphere::devserver {
namespace {

RetryPolicy Policy(RetryStrategy strategy, int64_t backoff_factor = 2000, int64_t exponent = 2,
                   std::optional<int64_t> max_delay = std::nullopt) {
  RetryPolicy policy;
  policy.strategy = strategy;
  policy.backoff_factor = backoff_factor;
  policy.exponent = exponent;
  policy.max_delay = max_delay;
  return policy;
}

class RetryDelayTest : public ::testing::Test {
 protected:
  // Deterministic draws: the same seed on every run.
  absl::InsecureBitGen bitgen_{std::seed_seq{42}};
};

TEST_F(RetryDelayTest, DefaultPolicyGives2000Then4000Then8000) {
  RetryPolicy policy;
  EXPECT_EQ(RetryDelayMs(policy, 1, bitgen_), 2000);
  EXPECT_EQ(RetryDelayMs(policy, 2, bitgen_), 4000);
  EXPECT_EQ(RetryDelayMs(policy, 3, bitgen_), 8000);
}

TEST_F(RetryDelayTest, DeterministicStrategies) {
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, 100, 3), 4, bitgen_), 2700);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kLinear, 150), 3, bitgen_), 450);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kFixed, 700), 9, bitgen_), 700);
}

TEST_F(RetryDelayTest, FullJitterStaysBelowTheBase) {
  for (int i = 0; i < 500; ++i) {
    const int64_t exponential =
        RetryDelayMs(Policy(RetryStrategy::kExponentialFullJitter, 1000, 2), 3, bitgen_);
    EXPECT_GE(exponential, 0);
    EXPECT_LT(exponential, 4000);
    const int64_t linear = RetryDelayMs(Policy(RetryStrategy::kLinearFullJitter, 1000), 3, bitgen_);
    EXPECT_GE(linear, 0);
    EXPECT_LT(linear, 3000);
    const int64_t fixed = RetryDelayMs(Policy(RetryStrategy::kFixedFullJitter, 1000), 3, bitgen_);
    EXPECT_GE(fixed, 0);
    EXPECT_LT(fixed, 1000);
  }
}

TEST_F(RetryDelayTest, EqualJitterStaysInTheUpperHalf) {
  for (int i = 0; i < 500; ++i) {
    const int64_t exponential =
        RetryDelayMs(Policy(RetryStrategy::kExponentialEqualJitter, 1000, 2), 3, bitgen_);
    EXPECT_GE(exponential, 2000);
    EXPECT_LT(exponential, 4000);
    const int64_t linear =
        RetryDelayMs(Policy(RetryStrategy::kLinearEqualJitter, 1000), 3, bitgen_);
    EXPECT_GE(linear, 1500);
    EXPECT_LT(linear, 3000);
    // An odd base: 1000.5 + U(0, 1000.5) truncates into [1000, 2000].
    const int64_t fixed = RetryDelayMs(Policy(RetryStrategy::kFixedEqualJitter, 2001), 3, bitgen_);
    EXPECT_GE(fixed, 1000);
    EXPECT_LE(fixed, 2000);
  }
}

TEST_F(RetryDelayTest, JitterSpreadsOverTheRange) {
  int64_t low = std::numeric_limits<int64_t>::max();
  int64_t high = 0;
  for (int i = 0; i < 2000; ++i) {
    const int64_t delay = RetryDelayMs(Policy(RetryStrategy::kFixedFullJitter, 1000), 1, bitgen_);
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  EXPECT_LT(low, 50);
  EXPECT_GT(high, 950);
}

TEST_F(RetryDelayTest, MaxDelayCapsAfterJitter) {
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, 2000, 2, 5000), 3, bitgen_), 5000);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, 2000, 2, 5000), 1, bitgen_), 2000);
  for (int i = 0; i < 200; ++i) {
    EXPECT_LE(RetryDelayMs(Policy(RetryStrategy::kLinearEqualJitter, 1000, 2, 1200), 4, bitgen_),
              1200);
  }
}

TEST_F(RetryDelayTest, HugeExponentsSaturateInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, 2000, 10), 100, bitgen_), kMax);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, kMax, 2), 2, bitgen_), kMax);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kLinear, kMax / 2), 3, bitgen_), kMax);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, 2000, 3), 1'000'000'000, bitgen_),
            kMax);
  EXPECT_EQ(RetryDelayMs(Policy(RetryStrategy::kExponential, 1, 1), 1'000'000'000, bitgen_), 1);
  const int64_t jittered =
      RetryDelayMs(Policy(RetryStrategy::kExponentialFullJitter, 2000, 10), 100, bitgen_);
  EXPECT_GE(jittered, 0);
  EXPECT_EQ(
      RetryDelayMs(Policy(RetryStrategy::kExponentialEqualJitter, 2000, 10, 60000), 100, bitgen_),
      60000);
}

}  // namespace
}  // namespace exosphere::devserver
