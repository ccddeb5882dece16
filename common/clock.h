#ifndef EXOSPHERE_COMMON_CLOCK_H_
#define EXOSPHERE_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace exosphere {

// The source of time for everything that schedules: RealClock in production, a hand-advanced
// FakeClock in tests. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // Called with `mu` held. Releases `mu` until `condition` holds or the clock reaches
  // `deadline`, then reacquires it. Returns whether `condition` holds. Blocks the caller.
  virtual bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                 absl::Time deadline) const = 0;

  // Blocks the caller until the clock reaches `deadline`.
  void SleepUntil(absl::Time deadline) const;
};

// Wall-clock time from the operating system. Stateless; use the shared instance.
class RealClock final : public Clock {
 public:
  static Clock& Get();

  absl::Time Now() const override;
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) const override;
};

}  // namespace exosphere

#endif  // EXOSPHERE_COMMON_CLOCK_H_
