#include "harness/process_sample.h"

#include <unistd.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace exosphere::harness {
namespace {

TEST(ProcessSampleTest, ReadsThisProcesssCpuAndMemory) {
  // Burn a little CPU so that the clock ticks at least once.
  const absl::Time until = absl::Now() + absl::Milliseconds(50);
  volatile uint64_t spin = 0;
  while (absl::Now() < until) spin = spin + 1;
  const ProcessSample sample = SampleProcess(getpid());
  EXPECT_GT(sample.cpu_seconds, 0);
  EXPECT_GT(sample.rss_kib, 1000);  // a test binary is more than 1 MiB resident
  EXPECT_GE(sample.peak_rss_kib, sample.rss_kib);
}

TEST(ProcessSampleTest, AProcessThatIsGoneGivesZeros) {
  // PIDs are at most 4194304 on Linux (pid_max's ceiling).
  const ProcessSample sample = SampleProcess(4194305);
  EXPECT_EQ(sample.cpu_seconds, 0);
  EXPECT_EQ(sample.rss_kib, 0);
  EXPECT_EQ(sample.peak_rss_kib, 0);
}

}  // namespace
}  // namespace exosphere::harness
