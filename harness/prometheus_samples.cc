#include "harness/prometheus_samples.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace exosphere::harness {

absl::StatusOr<PrometheusSamples> PrometheusSamples::Parse(absl::string_view text) {
  PrometheusSamples samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "#")) continue;
    // Label values may hold spaces; the value is after the last one.
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
      return absl::InvalidArgumentError(absl::StrCat("metrics: bad sample line '", line, "'"));
    }
    samples.series_[std::string(absl::StripAsciiWhitespace(line.substr(0, space)))] = value;
  }
  return samples;
}

double PrometheusSamples::Sum(absl::string_view name,
                              const std::vector<std::string>& label_filters) const {
  double sum = 0;
  for (const auto& [series, value] : series_) {
    absl::string_view rest = series;
    if (!absl::ConsumePrefix(&rest, name)) continue;
    if (!rest.empty() && rest.front() != '{') continue;  // another metric with a longer name
    bool wanted = true;
    for (const std::string& filter : label_filters)
      wanted = wanted && absl::StrContains(rest, filter);
    if (wanted) sum += value;
  }
  return sum;
}

}  // namespace exosphere::harness
