#include "sidecar/prometheus.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace exosphere::sidecar::prometheus {
namespace {

std::string FormatValue(double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value)) && value < 1e15 && value > -1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.9g", value);
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendHeader(std::string& out, absl::string_view name, absl::string_view help,
                  absl::string_view type) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void AppendSample(std::string& out, absl::string_view name, const std::vector<std::string>& names,
                  const Labels& values, double value) {
  absl::StrAppend(&out, name);
  if (!names.empty()) {
    out += '{';
    for (size_t i = 0; i < names.size(); ++i) {
      absl::StrAppend(&out, i > 0 ? "," : "", names[i], "=\"",
                      EscapeLabelValue(i < values.size() ? values[i] : ""), "\"");
    }
    out += '}';
  }
  absl::StrAppend(&out, " ", FormatValue(value), "\n");
}

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void CounterFamily::Add(const Labels& values, uint64_t delta) {
  absl::MutexLock lock(&mu_);
  values_[values] += delta;
}

uint64_t CounterFamily::Value(const Labels& values) const {
  absl::MutexLock lock(&mu_);
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

void CounterFamily::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "counter");
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, value] : values_) {
    AppendSample(out, name_, label_names_, labels, static_cast<double>(value));
  }
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

void HistogramFamily::Observe(const Labels& values, double value) {
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  absl::MutexLock lock(&mu_);
  Series& series = series_[values];
  if (series.buckets.empty()) series.buckets.assign(bounds_.size() + 1, 0);
  ++series.buckets[bucket];
  ++series.count;
  series.sum += value;
}

uint64_t HistogramFamily::Count(const Labels& values) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.count;
}

void HistogramFamily::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "histogram");
  std::vector<std::string> bucket_names = label_names_;
  bucket_names.push_back("le");
  const std::string bucket_name = name_ + "_bucket";
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, series] : series_) {
    Labels bucket_labels = labels;
    bucket_labels.resize(label_names_.size());
    bucket_labels.emplace_back();
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += series.buckets[i];
      bucket_labels.back() = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
      AppendSample(out, bucket_name, bucket_names, bucket_labels, static_cast<double>(cumulative));
    }
    AppendSample(out, name_ + "_sum", label_names_, labels, series.sum);
    AppendSample(out, name_ + "_count", label_names_, labels, static_cast<double>(series.count));
  }
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
}

}  // namespace exosphere::sidecar::prometheus
