#ifndef EXOSPHERE_SIDECAR_OPERATIONS_POLLER_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_POLLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "sidecar/core/claim_target.h"
#include "sidecar/core/component_stats.h"
#include "sidecar/operations/journal.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct PollerOptions {
  // The period of polls while the state manager has nothing for us: once the wait level has
  // doubled up to it, each wait is drawn from [poll_interval, 1.2 x poll_interval].
  absl::Duration poll_interval = absl::Seconds(1);
  // The wait after a round that claimed states, and the first level after an empty one outside
  // the busy window. Below poll_interval, waits are drawn from [level / 2, level].
  absl::Duration min_poll_delay = absl::Milliseconds(50);
  // The busy window: while less than this has passed since the namespace was last busy (this
  // poller claimed a state, or OnLikelyWork was called), empty rounds wait a draw from
  // [busy_poll_interval / 2, busy_poll_interval] instead of backing off. Zero: no window.
  absl::Duration busy_window = absl::Seconds(30);
  absl::Duration busy_poll_interval = absl::Milliseconds(100);
  // Upper bound of one claim's batch_size.
  int max_batch = 16;
  // After a failed poll: capped exponential backoff with jitter between these.
  absl::Duration error_backoff_initial = absl::Milliseconds(200);
  absl::Duration error_backoff_max = absl::Seconds(5);
  // Reports first: no claim while this many reports are unsent (submitted, not yet accepted or
  // refused). A paused poller claims again as soon as OnReportsDrained says the count fell
  // below it, and checks again every poll_interval in any case. 64 keeps 8 connections' worth
  // of reports queued, enough to keep them busy, and stops claiming early in a burst of results:
  // tasks claimed while the sidecar is still taking in that burst wait for it before they reach
  // their workers (bench/README.md, "reports first at 64").
  uint64_t max_unsent_reports = 64;
  // A pause that lasts this long is logged as a warning: the state manager is not taking
  // reports (down, or refusing them for a while), so this sidecar has stopped claiming.
  absl::Duration paused_warning_after = absl::Seconds(10);
};

// Claims states of one namespace, on a thread of its own, only while workers have free slots:
// each claim asks for at most the free capacity of the nodes it names (see PollGroup) and at
// most max_batch. A full reply is followed by another claim at once, a round that claimed
// states by one after min_poll_delay. An empty round inside the busy window (less than
// busy_window since the namespace was last busy: a state claimed, or a work hint) waits a
// jittered draw below busy_poll_interval, so that the next state of a chain, created by another
// sidecar's report, is picked up within about that. Outside the window the wait follows a level
// that doubles from min_poll_delay (or from busy_poll_interval when the window just closed) up to
// poll_interval, where it stays; each wait is a jittered draw below the level, or in
// [poll_interval, 1.2 x poll_interval] at the top, so an idle sidecar sends at most one claim
// per interval and a fleet's claims do not fall in step. After an empty round, the next one
// starts with a single probe claim naming the nodes of every group (batch: the smallest group's
// capacity, so that whatever comes back fits), so an idle sidecar costs the state manager one
// claim per interval however many node groups its workers form. A work hint (OnLikelyWork)
// opens the busy window and cuts a wait longer than min_poll_delay short for one claim outside
// the pacing: the next wait then ends no later than the one it interrupted, deaf to hints. A
// failure waits a jittered backoff. Reports come first: while max_unsent_reports reports are
// unsent, the poller does not claim, so that when the state manager is the bottleneck its
// capacity goes to the reports of work already done rather than to claiming more, and reports
// do not pile up in the sidecar. Claimed states go straight to the ClaimTarget: there is no
// local queue. Measured in a fleet: SCALING.md. Thread-safe.
class Poller {
 public:
  using UnsentReports = std::function<uint64_t()>;

  // `journal` (optional, not owned) records each claimed state before it is dispatched.
  Poller(std::string ns, ClaimTarget& target, StatesClient& client, Clock& clock,
         PollerOptions options, UnsentReports unsent_reports, Journal* journal = nullptr);
  // Stops and joins the thread.
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Free slots appeared: claim again if the last round stopped for lack of capacity.
  void OnCapacity() ABSL_LOCKS_EXCLUDED(mu_);
  // New states are likely claimable (a run was triggered, an executed report created children):
  // cut an idle wait short and open the busy window.
  void OnLikelyWork() ABSL_LOCKS_EXCLUDED(mu_);
  // The unsent reports fell below max_unsent_reports: end a pause at once.
  void OnReportsDrained() ABSL_LOCKS_EXCLUDED(mu_);

  PollerStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& ns() const { return ns_; }

 private:
  enum class Round { kNoCapacity, kPartial, kEmpty, kError, kBackpressure };

  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  // One round of claims; `probe` first: one claim for every group at once (see the class).
  // `claimed`: the states the round claimed.
  Round PollRound(bool probe, int& claimed) ABSL_LOCKS_EXCLUDED(mu_);
  // Claims for `node_names` and dispatches what came back; the number of states, or -1 when the
  // claim failed.
  int Claim(const std::vector<std::string>& node_names, int batch) ABSL_LOCKS_EXCLUDED(mu_);
  // The wait after a round that did not fill a batch and claimed `claimed` states, ending at
  // `now` (see the class); moves idle_level_ (back to zero when it claimed any, to
  // busy_poll_interval inside the busy window).
  absl::Duration IdleWait(int claimed, absl::Time now);
  // Whether less than busy_window has passed since last_busy_.
  bool InBusyWindow(absl::Time now) const;
  struct Events {
    uint64_t capacity = 0;
    uint64_t work = 0;
    uint64_t drained = 0;
    // When OnLikelyWork was last called (InfinitePast: never).
    absl::Time last_work_hint = absl::InfinitePast();
  };
  Events SeenEvents() const ABSL_LOCKS_EXCLUDED(mu_);
  enum class Woken { kDeadline, kEvent, kStopping };
  // The kinds of event a wait ends on, or-ed.
  enum WakeOn : unsigned { kNoEvent = 0, kCapacity = 1, kWork = 2, kDrained = 4 };
  // Waits for `deadline` or until one of the `wake_on` events happened after `seen`, and says
  // which. Events are counted, not flagged, so none is lost between the poll that found nothing
  // to do and the start of the wait.
  Woken Wait(const Events& seen, absl::Time deadline, unsigned wake_on) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether max_unsent_reports reports are unsent, so that no claim may go out now; notes the
  // start and end of each pause (NotePaused, NoteResumed).
  bool ReportsFirst();
  // Counts a pause for unsent reports that starts at `now`, and warns once when it has lasted
  // paused_warning_after.
  void NotePaused(absl::Time now, uint64_t unsent);
  // Logs the end of a pause that was warned about.
  void NoteResumed(absl::Time now);

  const std::string ns_;
  ClaimTarget& target_;
  StatesClient& client_;
  Clock& clock_;
  const PollerOptions options_;
  const UnsentReports unsent_reports_;
  Journal* const journal_;

  mutable absl::Mutex mu_;
  uint64_t capacity_events_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t work_events_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t drained_events_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_work_hint_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  PollerStats stats_ ABSL_GUARDED_BY(mu_);
  // Owned by the poller thread: the wait level (zero before the first wait), when the namespace
  // was last busy (a claimed state or a work hint; InfinitePast: never), when the current pause
  // for unsent reports began (InfiniteFuture: not paused) and whether it was warned about, and
  // the wait's jitter.
  absl::Duration idle_level_ = absl::ZeroDuration();
  absl::Time last_busy_ = absl::InfinitePast();
  absl::Time paused_since_ = absl::InfiniteFuture();
  bool pause_warned_ = false;
  absl::BitGen random_;
  std::thread thread_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_POLLER_H_
