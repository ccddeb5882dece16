#include "common/clock.h"

namespace exosphere {

void Clock::SleepUntil(absl::Time deadline) const {
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  static constexpr bool kNever = false;
  AwaitWithDeadline(mu, absl::Condition(&kNever), deadline);
}

Clock& RealClock::Get() {
  static RealClock* const clock = new RealClock();
  return *clock;
}

absl::Time RealClock::Now() const { return absl::Now(); }

bool RealClock::AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                  absl::Time deadline) const {
  return mu.AwaitWithDeadline(condition, deadline);
}

}  // namespace exosphere
