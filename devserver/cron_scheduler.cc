#include "devserver/cron_scheduler.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "common/log.h"
#include "devserver/cron_expression.h"
#include "devserver/state_requests.h"

namespace exosphere::devserver {
namespace {

// TRIGGER_RETENTION_HOURS default of the state manager.
constexpr absl::Duration kRetention = absl::Hours(720);

}  // namespace

CronScheduler::CronScheduler(Store& store, RunService& runs, const Clock& clock,
                             absl::Duration check_interval)
    : store_(store),
      runs_(runs),
      clock_(clock),
      check_interval_(check_interval > absl::ZeroDuration() ? check_interval : absl::Minutes(1)) {}

CronScheduler::~CronScheduler() { Shutdown(); }

void CronScheduler::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void CronScheduler::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CronScheduler::Loop() {
  while (true) {
    const absl::Time now = clock_.Now();
    // The next multiple of the interval since the epoch: with one minute, each minute boundary.
    const int64_t interval_us = absl::ToInt64Microseconds(check_interval_);
    const int64_t now_us = absl::ToUnixMicros(now);
    const absl::Time next = absl::FromUnixMicros((now_us / interval_us + 1) * interval_us);
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (clock_.AwaitWithDeadline(mu_, absl::Condition(&stopping), next)) return;
    }
    CheckDue(clock_.Now());
  }
}

int CronScheduler::CheckDue(absl::Time now) {
  int fired = 0;
  while (true) {
    // Claim one due record (PENDING -> TRIGGERING), like find_one_and_update.
    std::optional<CronRecord> claimed =
        store_.Transact([&](Tables& tables) -> std::optional<CronRecord> {
          for (const CronRecord* record : tables.CronRecords()) {
            if (record->status != CronRecordStatus::kPending || record->trigger_time > now) {
              continue;
            }
            CronRecord updated = *record;
            updated.status = CronRecordStatus::kTriggering;
            tables.PutCronRecord(updated);
            return updated;
          }
          return std::nullopt;
        });
    if (!claimed.has_value()) break;
    ++fired;
    absl::StatusOr<Json> run =
        runs_.Trigger(claimed->namespace_name, claimed->graph_name, TriggerRequest());
    if (run.ok()) {
      EXO_LOG(kInfo, "cron_fired", "",
              {{"namespace", claimed->namespace_name},
               {"graph", claimed->graph_name},
               {"expression", claimed->expression}});
    } else {
      EXO_LOG(kWarning, "cron_fire_failed", run.status().message(),
              {{"namespace", claimed->namespace_name},
               {"graph", claimed->graph_name},
               {"expression", claimed->expression}});
    }
    store_.Transact([&](Tables& tables) {
      CronRecord done = *claimed;
      done.status = run.ok() ? CronRecordStatus::kTriggered : CronRecordStatus::kFailed;
      done.expires_at = now + kRetention;
      tables.PutCronRecord(done);
      absl::StatusOr<CronExpression> cron = CronExpression::Parse(claimed->expression);
      if (!cron.ok()) return;
      absl::Time previous = claimed->trigger_time;
      while (true) {
        absl::StatusOr<absl::Time> next = cron->NextAfter(previous);
        if (!next.ok()) return;
        CronRecord record;
        record.id = ids::NewObjectId();
        record.expression = claimed->expression;
        record.graph_name = claimed->graph_name;
        record.namespace_name = claimed->namespace_name;
        record.trigger_time = *next;
        // The slot may already be recorded (unique index); that is fine.
        tables.InsertCronRecord(std::move(record)).IgnoreError();
        if (*next > now) return;
        previous = *next;
      }
    });
  }
  // TTL cleanup of fired and failed records.
  store_.Transact([&](Tables& tables) {
    std::vector<std::string> expired;
    for (const CronRecord* record : tables.CronRecords()) {
      if (record->expires_at.has_value() && *record->expires_at <= now) {
        expired.push_back(record->id);
      }
    }
    for (const std::string& id : expired) tables.DeleteCronRecord(id);
  });
  return fired;
}

}  // namespace exosphere::devserver
