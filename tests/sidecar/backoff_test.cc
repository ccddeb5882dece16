#include "sidecar/operations/backoff.h"

#include "gtest/gtest.h"

namespace exosphere {
namespace {

TEST(BackoffTest, DoublesWithinJitterBoundsUpToTheCap) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(1));
  const absl::Duration ceilings[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                                     absl::Milliseconds(400), absl::Milliseconds(800),
                                     absl::Seconds(1),        absl::Seconds(1)};
  for (absl::Duration ceiling : ceilings) {
    EXPECT_EQ(backoff.PeekCeiling(), ceiling);
    const absl::Duration delay = backoff.Next();
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
  }
}

TEST(BackoffTest, ResetStartsOverAndHugeAttemptCountsDoNotOverflow) {
  Backoff backoff(absl::Milliseconds(1), absl::Seconds(30));
  for (int i = 0; i < 10'000; ++i) backoff.Next();
  EXPECT_EQ(backoff.PeekCeiling(), absl::Seconds(30));
  backoff.Reset();
  EXPECT_EQ(backoff.attempt(), 0);
  EXPECT_EQ(backoff.PeekCeiling(), absl::Milliseconds(1));
}

TEST(BackoffTest, JitterSpreadsDelays) {
  Backoff a(absl::Seconds(1), absl::Seconds(1));
  bool differs = false;
  const absl::Duration first = a.Next();
  for (int i = 0; i < 20 && !differs; ++i) differs = a.Next() != first;
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace exosphere
