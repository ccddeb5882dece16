#include "client/cpp/internal/reconnect_backoff.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace exosphere::client::internal {
namespace {

TEST(ReconnectBackoffTest, DoublesUpToTheCapWithEqualJitter) {
  ReconnectBackoff backoff(absl::Milliseconds(100), absl::Milliseconds(500));
  const absl::Duration ceilings[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                                     absl::Milliseconds(400), absl::Milliseconds(500),
                                     absl::Milliseconds(500)};
  for (absl::Duration ceiling : ceilings) {
    EXPECT_EQ(backoff.Ceiling(), ceiling);
    const absl::Duration wait = backoff.Next();
    EXPECT_GE(wait, ceiling / 2);
    EXPECT_LE(wait, ceiling);
  }
}

TEST(ReconnectBackoffTest, ResetStartsOver) {
  ReconnectBackoff backoff(absl::Milliseconds(10), absl::Seconds(10));
  for (int i = 0; i < 5; ++i) backoff.Next();
  EXPECT_EQ(backoff.Ceiling(), absl::Milliseconds(320));
  backoff.Reset();
  EXPECT_EQ(backoff.Ceiling(), absl::Milliseconds(10));
}

TEST(ReconnectBackoffTest, JitterSpreadsWaits) {
  ReconnectBackoff backoff(absl::Seconds(1), absl::Seconds(1));
  absl::Duration smallest = absl::InfiniteDuration();
  absl::Duration largest = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    const absl::Duration wait = backoff.Next();
    smallest = std::min(smallest, wait);
    largest = std::max(largest, wait);
  }
  // 200 uniform draws in [0.5 s, 1 s] spread over more than 100 ms unless the jitter is broken.
  EXPECT_GT(largest - smallest, absl::Milliseconds(100));
}

}  // namespace
}  // namespace exosphere::client::internal
