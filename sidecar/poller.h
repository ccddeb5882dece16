#ifndef EXOSPHERE_SIDECAR_POLLER_H_
#define EXOSPHERE_SIDECAR_POLLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "sidecar/claim_target.h"
#include "sidecar/journal.h"
#include "sidecar/state_manager_client.h"

namespace exosphere::sidecar {

struct PollerOptions {
  // The longest wait between polls while the state manager has nothing for us.
  absl::Duration poll_interval = absl::Seconds(1);
  // The first wait after an empty or partial poll; doubles per empty poll up to poll_interval.
  absl::Duration min_poll_delay = absl::Milliseconds(50);
  // Upper bound of one claim's batch_size.
  int max_batch = 16;
  // After a failed poll: capped exponential backoff with jitter between these.
  absl::Duration error_backoff_initial = absl::Milliseconds(200);
  absl::Duration error_backoff_max = absl::Seconds(5);
  // Back-pressure: no claims while this many reports are waiting to be delivered.
  uint64_t max_unsent_reports = 10000;
};

struct PollerStats {
  uint64_t polls = 0;
  uint64_t full = 0;
  uint64_t partial = 0;
  uint64_t empty = 0;
  uint64_t errors = 0;
  uint64_t claimed = 0;
  uint64_t backpressure_waits = 0;
};

// Claims states of one namespace, on a thread of its own, only while workers have free slots:
// each claim asks for at most the free capacity of the nodes it names (see PollGroup) and at
// most max_batch. A full reply is followed by another claim at once; an empty one by a wait that
// grows up to poll_interval; a failure by a jittered backoff. Claimed states go straight to the
// ClaimTarget: there is no local queue. Thread-safe.
class Poller {
 public:
  using UnsentReports = std::function<uint64_t()>;

  // `journal` (optional, not owned) records each claimed state before it is dispatched.
  Poller(std::string ns, ClaimTarget& target, StateManagerClient& client, Clock& clock,
         PollerOptions options, UnsentReports unsent_reports, Journal* journal = nullptr);
  // Stops and joins the thread.
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Free slots appeared: claim again if the last round stopped for lack of capacity.
  void OnCapacity() ABSL_LOCKS_EXCLUDED(mu_);
  // New states are likely claimable (a run was triggered, an executed report created children):
  // cut an idle wait short.
  void OnLikelyWork() ABSL_LOCKS_EXCLUDED(mu_);

  PollerStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& ns() const { return ns_; }

 private:
  enum class Round { kNoCapacity, kPartial, kEmpty, kError, kBackpressure };

  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  Round PollRound() ABSL_LOCKS_EXCLUDED(mu_);
  struct Events {
    uint64_t capacity = 0;
    uint64_t work = 0;
  };
  Events SeenEvents() const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits for `deadline` or until one of the selected kinds of event happened after `seen`;
  // returns false when stopping. Events are counted, not flagged, so none is lost between the
  // poll that found nothing to do and the start of the wait.
  bool Wait(const Events& seen, absl::Time deadline, bool on_capacity, bool on_work)
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string ns_;
  ClaimTarget& target_;
  StateManagerClient& client_;
  Clock& clock_;
  const PollerOptions options_;
  const UnsentReports unsent_reports_;
  Journal* const journal_;

  mutable absl::Mutex mu_;
  uint64_t capacity_events_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t work_events_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  PollerStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_POLLER_H_
