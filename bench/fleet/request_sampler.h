#ifndef EXOSPHERE_BENCH_FLEET_REQUEST_SAMPLER_H_
#define EXOSPHERE_BENCH_FLEET_REQUEST_SAMPLER_H_

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#include "tests/reliability/fault_proxy.h"

namespace exosphere::bench {

// Samples the fleet's request counters at the proxy (all requests, and claims) every `period`
// on a thread of its own, so that rates over any window can be read afterwards. Thread-safe.
class RequestSampler {
 public:
  RequestSampler(const reliability::FaultProxy& proxy, absl::Duration period);
  // Takes a last sample and joins the thread.
  ~RequestSampler();
  RequestSampler(const RequestSampler&) = delete;
  RequestSampler& operator=(const RequestSampler&) = delete;

  struct Counts {
    int64_t requests = 0;
    int64_t claims = 0;
  };
  // The counters' growth within [from, to], from the samples nearest inside it.
  Counts Between(absl::Time from, absl::Time to) const ABSL_LOCKS_EXCLUDED(mu_);
  // The most requests in any `window` that starts within [from, to - window].
  int64_t PeakRequests(absl::Time from, absl::Time to, absl::Duration window) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Sample {
    absl::Time at;
    Counts counts;
  };
  void Take() ABSL_LOCKS_EXCLUDED(mu_);
  // The last sample at or before `at` (the first one if none is).
  Sample At(absl::Time at) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const reliability::FaultProxy& proxy_;
  const absl::Duration period_;
  mutable absl::Mutex mu_;
  std::vector<Sample> samples_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_FLEET_REQUEST_SAMPLER_H_
