#include "sidecar/poller.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/backoff.h"
#include "common/log.h"

namespace exosphere::sidecar {

Poller::Poller(std::string ns, ClaimTarget& target, StateManagerClient& client, Clock& clock,
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

bool Poller::Wait(const Events& seen, absl::Time deadline, bool on_capacity, bool on_work) {
  absl::MutexLock lock(&mu_);
  auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || (on_capacity && capacity_events_ != seen.capacity) ||
           (on_work && work_events_ != seen.work);
  };
  clock_.AwaitWithDeadline(mu_, absl::Condition(&woken), deadline);
  return !stopping_;
}

Poller::Round Poller::PollRound() {
  if (unsent_reports_ && unsent_reports_() >= options_.max_unsent_reports) {
    return Round::kBackpressure;
  }
  // Groups whose last claim came back short are not asked again this round.
  std::set<std::vector<std::string>> exhausted;
  bool claimed_any = false;
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
      if (!plan.empty()) return claimed_any ? Round::kPartial : Round::kEmpty;
      return Round::kNoCapacity;
    }
    const int batch = std::min(group->capacity, options_.max_batch);
    absl::StatusOr<std::vector<ClaimedState>> claimed =
        client_.ClaimStates(ns_, group->node_names, batch);
    const absl::Time claimed_at = clock_.Now();
    if (!claimed.ok()) {
      EXO_LOG(kWarning, "poll_failed", std::string(claimed.status().message()),
              {{"namespace", ns_}});
      absl::MutexLock lock(&mu_);
      ++stats_.polls;
      ++stats_.errors;
      return Round::kError;
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
               {"nodes", absl::StrJoin(group->node_names, ",")}});
      claimed_any = true;
      if (journal_ != nullptr) journal_->RecordClaimed(ns_, *claimed);
      target_.Dispatch(ns_, *std::move(claimed), claimed_at);
    }
    if (count < batch) exhausted.insert(group->node_names);
  }
}

void Poller::Run() {
  Backoff idle_backoff(options_.min_poll_delay, options_.poll_interval);
  Backoff error_backoff(options_.error_backoff_initial, options_.error_backoff_max);
  while (true) {
    const Events seen = SeenEvents();
    const Round round = PollRound();
    bool keep_going = true;
    switch (round) {
      case Round::kNoCapacity:
        // Every slot is busy (or no worker is registered): claim again as soon as one frees.
        error_backoff.Reset();
        keep_going = Wait(seen, absl::InfiniteFuture(), /*on_capacity=*/true, /*on_work=*/false);
        break;
      case Round::kPartial:
        // The server ran dry while we still had room; new states will come, soon.
        error_backoff.Reset();
        idle_backoff.Reset();
        keep_going = Wait(seen, clock_.Now() + options_.min_poll_delay, false, /*on_work=*/true);
        break;
      case Round::kEmpty:
        error_backoff.Reset();
        keep_going = Wait(seen, clock_.Now() + idle_backoff.Next(), false, /*on_work=*/true);
        break;
      case Round::kError:
        keep_going = Wait(seen, clock_.Now() + error_backoff.Next(), false, false);
        break;
      case Round::kBackpressure: {
        absl::MutexLock lock(&mu_);
        ++stats_.backpressure_waits;
      }
        EXO_LOG(kWarning, "poll_backpressure", "too many unsent reports; not claiming",
                {{"namespace", ns_}});
        keep_going = Wait(seen, clock_.Now() + options_.min_poll_delay, false, false);
        break;
    }
    if (!keep_going) return;
  }
}

}  // namespace exosphere::sidecar
