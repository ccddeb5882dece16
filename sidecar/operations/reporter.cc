#include "sidecar/operations/reporter.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/operations/backoff.h"
#include "sidecar/operations/refusal_fallback.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct Reporter::Pending {
  Pending(std::string ns_in, Report report_in, const ReporterOptions& options, bool resent_in)
      : ns(std::move(ns_in)),
        report(std::move(report_in)),
        backoff(options.initial_backoff, options.max_backoff),
        resent(resent_in) {}
  std::string ns;
  Report report;
  Backoff backoff;
  // Sent by a previous run already (maybe): "not queued" counts as applied from the start.
  const bool resent;
  int attempts = 0;
  // The report is the hand-back that ends the refusal fallback.
  bool hand_back = false;
};

namespace {

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kInternal:  // a garbled reply: the report may not have landed
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace

Reporter::Reporter(StatesClient& client, Scheduler& scheduler, ReporterOptions options,
                   DeliveredCallback on_delivered, DrainedCallback on_drained, Journal* journal)
    : client_(client),
      scheduler_(scheduler),
      options_(options),
      on_delivered_(std::move(on_delivered)),
      on_drained_(std::move(on_drained)),
      journal_(journal) {}

Reporter::~Reporter() {
  Stop();
  // An outcome callback may still be running on the client's thread; it must not outlive this.
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &attempts_in_flight_));
}

void Reporter::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

void Reporter::Submit(std::string ns, Report report) {
  if (journal_ != nullptr) journal_->RecordResult(ns, report);
  Enqueue(std::move(ns), std::move(report), /*resent=*/false);
}

void Reporter::Resubmit(std::string ns, Report report) {
  Enqueue(std::move(ns), std::move(report), /*resent=*/true);
}

void Reporter::Enqueue(std::string ns, Report report, bool resent) {
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
    pending_.emplace(id,
                     std::make_unique<Pending>(std::move(ns), std::move(report), options_, resent));
    ++stats_.submitted;
    ++stats_.unsent;
    if (resent) ++stats_.resent;
  }
  Attempt(id);
}

void Reporter::Attempt(uint64_t id) {
  Pending* pending;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    pending = pending_.at(id).get();  // stable: only this attempt settles it
    ++attempts_in_flight_;
  }
  ++pending->attempts;
  // The outcome may arrive before this returns; nothing here holds a lock across the call.
  client_.SendReportAsync(pending->ns, pending->report, [this, id](const absl::Status& status) {
    OnAttemptDone(id, status);
    absl::MutexLock lock(&mu_);
    --attempts_in_flight_;
  });
}

void Reporter::OnAttemptDone(uint64_t id, const absl::Status& status) {
  Pending* pending;
  {
    absl::MutexLock lock(&mu_);
    // Shutting down (or the HTTP client is): the report stays unsent, and in the journal.
    if (stopped_ || status.code() == absl::StatusCode::kCancelled) return;
    pending = pending_.at(id).get();
  }
  const std::string& state_id = pending->report.state_id;
  const std::string kind(KindName(pending->report.kind));
  if (status.ok()) {
    EXO_LOG(
        kDebug, "report_delivered", "",
        {{"state_id", state_id}, {"kind", kind}, {"attempts", absl::StrCat(pending->attempts)}});
    {
      absl::MutexLock lock(&mu_);
      ++stats_.delivered;
    }
    if (on_delivered_) on_delivered_(pending->ns, pending->report);
    Settle(id);
    return;
  }
  // libcurl re-sends a request on its own when a reused connection dies before the answer, so
  // even a first attempt can be a retry (RequestWasResent).
  if ((pending->attempts > 1 || pending->resent || RequestWasResent(status)) &&
      StateWasNotQueued(status)) {
    EXO_LOG(
        kInfo, "report_already_applied", "a retried report found the state already moved on",
        {{"state_id", state_id}, {"kind", kind}, {"attempts", absl::StrCat(pending->attempts)}});
    {
      absl::MutexLock lock(&mu_);
      ++stats_.already_applied;
    }
    Settle(id);
    return;
  }
  if (!IsTransient(status)) {
    OnRefused(id, *pending, status);
    return;
  }
  const absl::Duration delay = pending->backoff.Next();
  EXO_LOG(kWarning, "report_retry", std::string(status.message()),
          {{"state_id", state_id},
           {"kind", kind},
           {"attempt", absl::StrCat(pending->attempts)},
           {"retry_in_ms", absl::StrCat(absl::ToInt64Milliseconds(delay))}});
  {
    absl::MutexLock lock(&mu_);
    ++stats_.retries;
  }
  scheduler_.ScheduleAfter(delay, [this, id] { Attempt(id); });
}

void Reporter::OnRefused(uint64_t id, Pending& pending, const absl::Status& status) {
  const std::string& state_id = pending.report.state_id;
  const std::string kind(KindName(pending.report.kind));
  std::optional<Fallback> next;
  // A state that is not QUEUED refuses every report alike: there is nothing left to try.
  if (!StateWasNotQueued(status)) {
    next = FallbackAfterRefusal(pending.report, pending.hand_back, status.message(),
                                absl::ToInt64Milliseconds(options_.hand_back_delay));
  }
  if (!next.has_value()) {
    EXO_LOG(kError, "report_rejected",
            absl::StrCat(status.message(),
                         pending.hand_back ? " (even the hand-back was refused: the state stays "
                                             "where the state manager keeps it)"
                                           : " (the state is not QUEUED any more)"),
            {{"state_id", state_id}, {"kind", kind}, {"namespace", pending.ns}});
    {
      absl::MutexLock lock(&mu_);
      ++stats_.rejected;
    }
    Settle(id);
    return;
  }
  if (next->step == FallbackStep::kHandBack) {
    EXO_LOG(kError, "report_refused_handing_back",
            absl::StrCat(status.message(),
                         " (every report for this state was refused: handing it back to the "
                         "queue)"),
            {{"state_id", state_id}, {"kind", kind}, {"namespace", pending.ns}});
  } else {
    EXO_LOG(kWarning, "report_refused", std::string(status.message()),
            {{"state_id", state_id},
             {"kind", kind},
             {"namespace", pending.ns},
             {"next", FallbackStepName(next->step)}});
  }
  {
    absl::MutexLock lock(&mu_);
    switch (next->step) {
      case FallbackStep::kReportErrored:
        ++stats_.reported_errored_after_refusal;
        break;
      case FallbackStep::kTruncateError:
        ++stats_.error_truncated_after_refusal;
        break;
      case FallbackStep::kHandBack:
        ++stats_.handed_back_after_refusal;
        break;
    }
  }
  // Only this attempt touches the entry; the journal keeps the report that is now decided.
  pending.report = std::move(next->report);
  pending.hand_back = next->step == FallbackStep::kHandBack;
  pending.attempts = 0;
  pending.backoff.Reset();
  if (journal_ != nullptr) journal_->RecordResult(pending.ns, pending.report);
  // Not from inside the HTTP client's callback: the next attempt starts on the scheduler.
  scheduler_.ScheduleAfter(absl::ZeroDuration(), [this, id] { Attempt(id); });
}

void Reporter::Settle(uint64_t id) {
  std::unique_ptr<Pending> settled;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(id);
    settled = std::move(it->second);
    pending_.erase(it);
  }
  // Recorded before the report counts as settled, so that AwaitIdle covers the journal too;
  // no lock is held while the journal writes.
  if (journal_ != nullptr) journal_->RecordDone(settled->report.state_id);
  bool drained;
  {
    absl::MutexLock lock(&mu_);
    --stats_.unsent;
    // Only the report that crosses the limit: one call per pause, not one per report.
    drained = options_.unsent_limit > 0 && stats_.unsent + 1 == options_.unsent_limit;
  }
  if (drained && on_drained_) on_drained_();
}

uint64_t Reporter::unsent() const {
  absl::MutexLock lock(&mu_);
  return stats_.unsent;
}

ReporterStats Reporter::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool Reporter::AwaitUnsentAtMost(uint64_t count, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stats_.unsent <= count; };
  return scheduler_.clock().AwaitWithDeadline(mu_, absl::Condition(&idle), deadline);
}

}  // namespace exosphere::sidecar
