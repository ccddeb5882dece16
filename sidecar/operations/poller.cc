#include "sidecar/operations/poller.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/log.h"
#include "sidecar/operations/backoff.h"

namespace exosphere::sidecar {

Poller::Poller(std::string ns, ClaimTarget& target, StatesClient& client, Clock& clock,
               PollerOptions options, UnsentReports unsent_reports, Journal* journal)
    : ns_(std::move(ns)),
      target_(target),
      client_(client),
      clock_(clock),
      options_(options),
      unsent_reports_(std::move(unsent_reports)),
      journal_(journal) {
  thread_ = std::thread([this] { Run(); });
}

Poller::~Poller() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Poller::OnCapacity() {
  absl::MutexLock lock(&mu_);
  ++capacity_events_;
}

void Poller::OnLikelyWork() {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ++work_events_;
  last_work_hint_ = std::max(last_work_hint_, now);
}

void Poller::OnReportsDrained() {
  absl::MutexLock lock(&mu_);
  ++drained_events_;
}

PollerStats Poller::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

Poller::Events Poller::SeenEvents() const {
  absl::MutexLock lock(&mu_);
  return {capacity_events_, work_events_, drained_events_, last_work_hint_};
}

Poller::Woken Poller::Wait(const Events& seen, absl::Time deadline, unsigned wake_on) {
  absl::MutexLock lock(&mu_);
  auto event = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ((wake_on & kCapacity) != 0 && capacity_events_ != seen.capacity) ||
           ((wake_on & kWork) != 0 && work_events_ != seen.work) ||
           ((wake_on & kDrained) != 0 && drained_events_ != seen.drained);
  };
  auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || event(); };
  clock_.AwaitWithDeadline(mu_, absl::Condition(&woken), deadline);
  if (stopping_) return Woken::kStopping;
  return event() ? Woken::kEvent : Woken::kDeadline;
}

int Poller::Claim(const std::vector<std::string>& node_names, int batch) {
  absl::StatusOr<std::vector<ClaimedState>> claimed = client_.ClaimStates(ns_, node_names, batch);
  const absl::Time claimed_at = clock_.Now();
  if (!claimed.ok()) {
    EXO_LOG(kWarning, "poll_failed", std::string(claimed.status().message()), {{"namespace", ns_}});
    absl::MutexLock lock(&mu_);
    ++stats_.polls;
    ++stats_.errors;
    return -1;
  }
  const int count = static_cast<int>(claimed->size());
  {
    absl::MutexLock lock(&mu_);
    ++stats_.polls;
    stats_.claimed += static_cast<uint64_t>(count);
    if (count >= batch) {
      ++stats_.full;
    } else if (count > 0) {
      ++stats_.partial;
    } else {
      ++stats_.empty;
    }
  }
  if (count > 0) {
    EXO_LOG(kDebug, "states_claimed", "",
            {{"namespace", ns_},
             {"count", absl::StrCat(count)},
             {"batch", absl::StrCat(batch)},
             {"nodes", absl::StrJoin(node_names, ",")}});
    if (journal_ != nullptr) journal_->RecordClaimed(ns_, *claimed);
    target_.Dispatch(ns_, *std::move(claimed), claimed_at);
  }
  return count;
}

bool Poller::ReportsFirst() {
  const absl::Time now = clock_.Now();
  const uint64_t unsent = unsent_reports_ ? unsent_reports_() : 0;
  if (unsent >= options_.max_unsent_reports) {
    NotePaused(now, unsent);
    return true;
  }
  NoteResumed(now);
  return false;
}

Poller::Round Poller::PollRound(bool probe, int& claimed) {
  claimed = 0;
  if (ReportsFirst()) return Round::kBackpressure;
  if (probe) {
    const std::vector<PollGroup> plan = target_.PlanPolls(ns_);
    if (plan.empty()) return Round::kNoCapacity;
    if (plan.size() > 1) {
      // Any mix of states up to the smallest capacity fits: every group can take all of them.
      std::vector<std::string> every_node;
      int batch = options_.max_batch;
      for (const PollGroup& group : plan) {
        every_node.insert(every_node.end(), group.node_names.begin(), group.node_names.end());
        batch = std::min(batch, group.capacity);
      }
      std::sort(every_node.begin(), every_node.end());
      const int count = Claim(every_node, batch);
      if (count < 0) return Round::kError;
      claimed = count;
      if (count < batch) return count > 0 ? Round::kPartial : Round::kEmpty;
      // Full: there may be more, group by group.
    }
  }
  // Groups whose last claim came back short are not asked again this round.
  std::set<std::vector<std::string>> exhausted;
  while (true) {
    const std::vector<PollGroup> plan = target_.PlanPolls(ns_);
    const PollGroup* group = nullptr;
    for (const PollGroup& candidate : plan) {
      if (exhausted.count(candidate.node_names) == 0) {
        group = &candidate;
        break;
      }
    }
    if (group == nullptr) {
      if (!plan.empty()) return claimed > 0 ? Round::kPartial : Round::kEmpty;
      return Round::kNoCapacity;
    }
    // Checked before every claim, not once per round: while the server has states and the
    // workers answer quickly, one round can go on claiming for as long as the load lasts.
    if (ReportsFirst()) return Round::kBackpressure;
    const int batch = std::min(group->capacity, options_.max_batch);
    const int count = Claim(group->node_names, batch);
    if (count < 0) return Round::kError;
    claimed += count;
    if (count < batch) exhausted.insert(group->node_names);
  }
}

void Poller::NotePaused(absl::Time now, uint64_t unsent) {
  if (paused_since_ == absl::InfiniteFuture()) {
    paused_since_ = now;
    absl::MutexLock lock(&mu_);
    ++stats_.backpressure_waits;
    return;
  }
  if (pause_warned_ || now - paused_since_ < options_.paused_warning_after) return;
  pause_warned_ = true;
  EXO_LOG(kWarning, "claims_paused",
          "not claiming: the state manager has not taken this sidecar's reports for a while",
          {{"namespace", ns_},
           {"unsent_reports", absl::StrCat(unsent)},
           {"max_unsent_reports", absl::StrCat(options_.max_unsent_reports)},
           {"paused_s", absl::StrCat(absl::ToInt64Seconds(now - paused_since_))}});
}

void Poller::NoteResumed(absl::Time now) {
  if (pause_warned_) {
    EXO_LOG(kInfo, "claims_resumed", "the unsent reports drained",
            {{"namespace", ns_},
             {"paused_s", absl::StrCat(absl::ToInt64Seconds(now - paused_since_))}});
  }
  paused_since_ = absl::InfiniteFuture();
  pause_warned_ = false;
}

bool Poller::InBusyWindow(absl::Time now) const { return now - last_busy_ < options_.busy_window; }

absl::Duration Poller::IdleWait(int claimed, absl::Time now) {
  if (claimed > 0) {
    idle_level_ = absl::ZeroDuration();
    return options_.min_poll_delay;
  }
  if (InBusyWindow(now)) {
    // States came recently, so more are likely: the next state of a chain whose previous node
    // runs on another sidecar appears with no hint to this one (v0 has no cross-sidecar signal),
    // and this sidecar finds it only by asking. A fixed level, not doubled: it is the latency
    // of every hop of the chain that lands here.
    idle_level_ = std::min(options_.busy_poll_interval, options_.poll_interval);
  } else {
    idle_level_ = idle_level_ == absl::ZeroDuration()
                      ? options_.min_poll_delay
                      : std::min(idle_level_ * 2, options_.poll_interval);
  }
  if (idle_level_ >= options_.poll_interval) {
    return options_.poll_interval * absl::Uniform(random_, 1.0, 1.2);
  }
  return idle_level_ * absl::Uniform(random_, 0.5, 1.0);
}

void Poller::Run() {
  Backoff error_backoff(options_.error_backoff_initial, options_.error_backoff_max);
  bool last_round_empty = false;
  // When a work hint cut a wait short: that wait's end. A hinted round is an extra claim outside
  // the pacing: whatever it finds, the wait after it ends no later than the one it interrupted,
  // and is deaf to hints. Hints come with every executed report, most of which create nothing
  // for this sidecar (a leaf node, or a next node served elsewhere): re-armed, each executed
  // report would buy its sidecar another claim, and the sidecars that happen to have work would
  // take all of it. Without a busy window, the level does not move either: counted as empty
  // rounds, hinted claims would double a busy sidecar's waits up to poll_interval while states
  // keep arriving.
  absl::Time interrupted_wait_end = absl::InfinitePast();
  while (true) {
    const Events seen = SeenEvents();
    last_busy_ = std::max(last_busy_, seen.last_work_hint);
    int claimed = 0;
    const Round round = PollRound(/*probe=*/last_round_empty, claimed);
    const absl::Time now = clock_.Now();
    // Any round that claimed opens the window, also one that filled every slot.
    if (claimed > 0) last_busy_ = now;
    const bool hinted = interrupted_wait_end != absl::InfinitePast();
    const bool resume = interrupted_wait_end > now;
    last_round_empty = round == Round::kEmpty;
    Woken woken = Woken::kDeadline;
    absl::Time wait_end = absl::InfinitePast();
    switch (round) {
      case Round::kNoCapacity:
        // Every slot is busy (or no worker is registered): claim again as soon as one frees.
        error_backoff.Reset();
        woken = Wait(seen, absl::InfiniteFuture(), kCapacity);
        break;
      case Round::kPartial:
      case Round::kEmpty:
        // The server ran dry (or had nothing) while we had room.
        error_backoff.Reset();
        if (resume) {
          absl::Time end = interrupted_wait_end;
          if (claimed > 0 || InBusyWindow(now)) end = std::min(end, now + IdleWait(claimed, now));
          woken = Wait(seen, end, kNoEvent);
        } else {
          wait_end = now + IdleWait(claimed, now);
          woken = Wait(seen, wait_end,
                       !hinted && idle_level_ > options_.min_poll_delay ? kWork : kNoEvent);
        }
        break;
      case Round::kError:
        woken = Wait(seen, now + error_backoff.Next(), kNoEvent);
        break;
      case Round::kBackpressure:
        // Until the reporter says the backlog drained; the deadline only re-checks the count
        // (and times the warning).
        woken = Wait(seen, now + options_.poll_interval, kDrained);
        break;
    }
    if (woken == Woken::kStopping) return;
    interrupted_wait_end = woken == Woken::kEvent ? wait_end : absl::InfinitePast();
  }
}

}  // namespace exosphere::sidecar
