#ifndef EXOSPHERE_HARNESS_PROMETHEUS_SAMPLES_H_
#define EXOSPHERE_HARNESS_PROMETHEUS_SAMPLES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exosphere::harness {

// The samples of a Prometheus text exposition (the sidecar's /metrics), by series
// ("name{label=\"value\",...}" as written, or "name"). A plain value; not thread-safe.
class PrometheusSamples {
 public:
  // kInvalidArgument naming the line when a sample line has no value or a value that is not a
  // number. Comment and blank lines are skipped.
  static absl::StatusOr<PrometheusSamples> Parse(absl::string_view text);

  // The sum of every series of metric `name` whose label text contains each of `label_filters`
  // (e.g. "outcome=\"handed_back\""); 0 when there is none.
  double Sum(absl::string_view name, const std::vector<std::string>& label_filters = {}) const;

  const std::map<std::string, double>& series() const { return series_; }

 private:
  std::map<std::string, double> series_;
};

}  // namespace exosphere::harness

#endif  // EXOSPHERE_HARNESS_PROMETHEUS_SAMPLES_H_
