#include "sidecar/poller.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/backoff.h"
#include "common/log.h"

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
  absl::MutexLock lock(&mu_);
  ++work_events_;
}

PollerStats Poller::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

Poller::Events Poller::SeenEvents() const {
  absl::MutexLock lock(&mu_);
  return {capacity_events_, work_events_};
}

Poller::Woken Poller::Wait(const Events& seen, absl::Time deadline, bool on_capacity,
                           bool on_work) {
  absl::MutexLock lock(&mu_);
  auto event = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (on_capacity && capacity_events_ != seen.capacity) ||
           (on_work && work_events_ != seen.work);
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

Poller::Round Poller::PollRound(bool probe, int& claimed) {
  claimed = 0;
  if (unsent_reports_ && unsent_reports_() >= options_.max_unsent_reports) {
    return Round::kBackpressure;
  }
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
    const int batch = std::min(group->capacity, options_.max_batch);
    const int count = Claim(group->node_names, batch);
    if (count < 0) return Round::kError;
    claimed += count;
    if (count < batch) exhausted.insert(group->node_names);
  }
}

absl::Duration Poller::IdleWait(int claimed) {
  if (claimed > 0) {
    idle_level_ = absl::ZeroDuration();
    return options_.min_poll_delay;
  }
  idle_level_ = idle_level_ == absl::ZeroDuration()
                    ? options_.min_poll_delay
                    : std::min(idle_level_ * 2, options_.poll_interval);
  if (idle_level_ >= options_.poll_interval) {
    return options_.poll_interval * absl::Uniform(random_, 1.0, 1.2);
  }
  return idle_level_ * absl::Uniform(random_, 0.5, 1.0);
}

void Poller::Run() {
  Backoff error_backoff(options_.error_backoff_initial, options_.error_backoff_max);
  bool last_round_empty = false;
  // When a work hint cut a wait short: that wait's end. A hinted round is an extra claim outside
  // the pacing: whatever it finds, the poller then resumes the wait it interrupted, deaf to
  // hints, and the level does not move. Hints come with every executed report, most of which
  // create nothing (a leaf node): counted as empty rounds, they would double a busy sidecar's
  // waits up to poll_interval while states keep arriving; counted as successes, or re-armed,
  // each executed report would buy its sidecar another claim, and the sidecars that happen to
  // have work would take all of it.
  absl::Time interrupted_wait_end = absl::InfinitePast();
  while (true) {
    const Events seen = SeenEvents();
    int claimed = 0;
    const Round round = PollRound(/*probe=*/last_round_empty, claimed);
    const bool hinted = interrupted_wait_end != absl::InfinitePast();
    const bool resume = interrupted_wait_end > clock_.Now();
    last_round_empty = round == Round::kEmpty;
    Woken woken = Woken::kDeadline;
    absl::Time wait_end = absl::InfinitePast();
    switch (round) {
      case Round::kNoCapacity:
        // Every slot is busy (or no worker is registered): claim again as soon as one frees.
        error_backoff.Reset();
        woken = Wait(seen, absl::InfiniteFuture(), /*on_capacity=*/true, /*on_work=*/false);
        break;
      case Round::kPartial:
      case Round::kEmpty:
        // The server ran dry (or had nothing) while we had room.
        error_backoff.Reset();
        if (resume) {
          woken = Wait(seen, interrupted_wait_end, false, /*on_work=*/false);
        } else {
          wait_end = clock_.Now() + IdleWait(claimed);
          woken = Wait(seen, wait_end, false,
                       /*on_work=*/!hinted && idle_level_ > options_.min_poll_delay);
        }
        break;
      case Round::kError:
        woken = Wait(seen, clock_.Now() + error_backoff.Next(), false, false);
        break;
      case Round::kBackpressure: {
        absl::MutexLock lock(&mu_);
        ++stats_.backpressure_waits;
      }
        EXO_LOG(kWarning, "poll_backpressure", "too many unsent reports; not claiming",
                {{"namespace", ns_}});
        woken = Wait(seen, clock_.Now() + options_.min_poll_delay, false, false);
        break;
    }
    if (woken == Woken::kStopping) return;
    interrupted_wait_end = woken == Woken::kEvent ? wait_end : absl::InfinitePast();
  }
}

}  // namespace exosphere::sidecar
