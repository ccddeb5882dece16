#include "bench/fleet/task_ledger.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"

namespace exosphere::bench {

TaskLedger::TaskLedger(int pods) : pods_(pods), per_pod_(static_cast<size_t>(pods), 0) {}

void TaskLedger::Record(int pod, const std::string& state_id, const std::string& trigger_micros) {
  const absl::Time now = absl::Now();
  int64_t triggered = 0;
  const bool timed = absl::SimpleAtoi(trigger_micros, &triggered) && triggered > 0;
  absl::MutexLock lock(&mu_);
  ++tasks_;
  if (pod >= 0 && pod < pods_) ++per_pod_[static_cast<size_t>(pod)];
  ++seen_[state_id];
  if (timed) {
    pickup_ms_.push_back(absl::ToDoubleMilliseconds(now - absl::FromUnixMicros(triggered)));
  }
  arrivals_.push_back({now, pod});
}

void TaskLedger::Reset() {
  absl::MutexLock lock(&mu_);
  std::fill(per_pod_.begin(), per_pod_.end(), 0);
  seen_.clear();
  pickup_ms_.clear();
  arrivals_.clear();
  tasks_ = 0;
}

int64_t TaskLedger::tasks() const {
  absl::MutexLock lock(&mu_);
  return tasks_;
}

bool TaskLedger::AwaitTasks(int64_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return tasks_ >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

TaskLedger::Summary TaskLedger::Summarize() const {
  absl::MutexLock lock(&mu_);
  Summary summary;
  summary.tasks = tasks_;
  summary.distinct_states = static_cast<int64_t>(seen_.size());
  for (const auto& [id, times] : seen_) {
    if (times > 1) ++summary.duplicate_states;
  }
  summary.pickup_p50_ms = Quantile(pickup_ms_, 0.5);
  summary.pickup_p99_ms = Quantile(pickup_ms_, 0.99);
  summary.pickup_max_ms = Quantile(pickup_ms_, 1.0);
  const auto [min_it, max_it] = std::minmax_element(per_pod_.begin(), per_pod_.end());
  summary.min_per_pod = min_it == per_pod_.end() ? 0 : *min_it;
  summary.max_per_pod = max_it == per_pod_.end() ? 0 : *max_it;
  summary.fairness = summary.min_per_pod > 0 ? static_cast<double>(summary.max_per_pod) /
                                                   static_cast<double>(summary.min_per_pod)
                                             : 0;
  summary.pods_idle = static_cast<int>(std::count(per_pod_.begin(), per_pod_.end(), int64_t{0}));
  return summary;
}

std::vector<int64_t> TaskLedger::ArrivalsPerBucket(absl::Time since, absl::Duration bucket) const {
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> buckets;
  for (const Arrival& arrival : arrivals_) {
    if (arrival.at < since) continue;
    absl::Duration remainder;
    const auto index =
        static_cast<size_t>(absl::IDivDuration(arrival.at - since, bucket, &remainder));
    if (index >= buckets.size()) buckets.resize(index + 1, 0);
    ++buckets[index];
  }
  return buckets;
}

int64_t TaskLedger::TasksBetween(absl::Time from, absl::Time to) const {
  absl::MutexLock lock(&mu_);
  return std::count_if(arrivals_.begin(), arrivals_.end(), [&](const Arrival& arrival) {
    return arrival.at >= from && arrival.at < to;
  });
}

std::vector<absl::Time> TaskLedger::FirstTaskPerPodAfter(absl::Time since) const {
  absl::MutexLock lock(&mu_);
  std::vector<absl::Time> first(static_cast<size_t>(pods_), absl::InfiniteFuture());
  for (const Arrival& arrival : arrivals_) {
    if (arrival.at < since || arrival.pod < 0 || arrival.pod >= pods_) continue;
    absl::Time& slot = first[static_cast<size_t>(arrival.pod)];
    slot = std::min(slot, arrival.at);
  }
  return first;
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  return values[static_cast<size_t>(std::llround(position))];
}

}  // namespace exosphere::bench
