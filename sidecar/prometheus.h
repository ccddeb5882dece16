#ifndef EXOSPHERE_SIDECAR_PROMETHEUS_H_
#define EXOSPHERE_SIDECAR_PROMETHEUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

// Counters and histograms with fixed label names, rendered in the Prometheus text exposition
// format (version 0.0.4). Label values must come from a small set (namespaces, node names,
// endpoints, outcomes): never from ids or user data. Thread-safe.
namespace exosphere::sidecar::prometheus {

using Labels = std::vector<std::string>;

// Appends `# HELP` and `# TYPE` lines.
void AppendHeader(std::string& out, absl::string_view name, absl::string_view help,
                  absl::string_view type);
// Appends one sample line: name{label="value",...} value
void AppendSample(std::string& out, absl::string_view name, const std::vector<std::string>& names,
                  const Labels& values, double value);
// Label values are escaped as the format requires (backslash, quote, newline).
std::string EscapeLabelValue(absl::string_view value);

class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void Add(const Labels& values, uint64_t delta = 1) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t Value(const Labels& values) const ABSL_LOCKS_EXCLUDED(mu_);
  void Render(std::string& out) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable absl::Mutex mu_;
  std::map<Labels, uint64_t> values_ ABSL_GUARDED_BY(mu_);
};

class HistogramFamily {
 public:
  // `bounds` are the upper bounds of the buckets, ascending (+Inf is implicit).
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds);
  void Observe(const Labels& values, double value) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t Count(const Labels& values) const ABSL_LOCKS_EXCLUDED(mu_);
  void Render(std::string& out) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // cumulative at render time, per-bucket while counting
    uint64_t count = 0;
    double sum = 0;
  };
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<Labels, Series> series_ ABSL_GUARDED_BY(mu_);
};

// Bucket bounds in seconds from 100 us to 60 s, roughly x2.5 apart.
std::vector<double> LatencyBuckets();

}  // namespace exosphere::sidecar::prometheus

#endif  // EXOSPHERE_SIDECAR_PROMETHEUS_H_
