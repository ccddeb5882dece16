#include "bench/fleet/request_sampler.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace exosphere::bench {

RequestSampler::RequestSampler(const reliability::FaultProxy& proxy, absl::Duration period)
    : proxy_(proxy), period_(period) {
  Take();
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(period_)) Take();
  });
}

RequestSampler::~RequestSampler() {
  stop_.Notify();
  thread_.join();
}

void RequestSampler::Take() {
  Sample sample;
  sample.counts.requests = proxy_.TotalRequests();
  sample.counts.claims = proxy_.RequestCount(reliability::EndpointKind::kEnqueue);
  sample.at = absl::Now();
  absl::MutexLock lock(&mu_);
  samples_.push_back(sample);
}

RequestSampler::Sample RequestSampler::At(absl::Time at) const {
  auto after = std::upper_bound(samples_.begin(), samples_.end(), at,
                                [](absl::Time t, const Sample& s) { return t < s.at; });
  return after == samples_.begin() ? *after : *(after - 1);
}

RequestSampler::Counts RequestSampler::Between(absl::Time from, absl::Time to) const {
  absl::MutexLock lock(&mu_);
  const Sample start = At(from);
  const Sample end = At(to);
  return {end.counts.requests - start.counts.requests, end.counts.claims - start.counts.claims};
}

int64_t RequestSampler::PeakRequests(absl::Time from, absl::Time to, absl::Duration window) const {
  absl::MutexLock lock(&mu_);
  int64_t peak = 0;
  for (absl::Time start = from; start + window <= to; start += period_) {
    peak = std::max(peak, At(start + window).counts.requests - At(start).counts.requests);
  }
  return peak;
}

}  // namespace exosphere::bench
