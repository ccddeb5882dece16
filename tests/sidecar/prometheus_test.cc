#include "sidecar/prometheus.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::sidecar::prometheus {
namespace {

using ::testing::HasSubstr;

TEST(PrometheusTest, CountersRenderHelpTypeAndOneLinePerLabelSet) {
  CounterFamily counter("x_total", "Things.", {"namespace", "node"});
  counter.Add({"ns", "a"});
  counter.Add({"ns", "a"}, 2);
  counter.Add({"ns", "b"});
  EXPECT_EQ(counter.Value({"ns", "a"}), 3u);
  std::string out;
  counter.Render(out);
  EXPECT_EQ(out,
            "# HELP x_total Things.\n# TYPE x_total counter\n"
            "x_total{namespace=\"ns\",node=\"a\"} 3\n"
            "x_total{namespace=\"ns\",node=\"b\"} 1\n");
}

TEST(PrometheusTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(PrometheusTest, HistogramsHaveCumulativeBucketsSumAndCount) {
  HistogramFamily histogram("d_seconds", "Durations.", {"ns"}, {0.1, 1});
  histogram.Observe({"n"}, 0.05);
  histogram.Observe({"n"}, 0.5);
  histogram.Observe({"n"}, 5);
  EXPECT_EQ(histogram.Count({"n"}), 3u);
  std::string out;
  histogram.Render(out);
  EXPECT_THAT(out, HasSubstr("d_seconds_bucket{ns=\"n\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_bucket{ns=\"n\",le=\"1\"} 2\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_bucket{ns=\"n\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_sum{ns=\"n\"} 5.55\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_count{ns=\"n\"} 3\n"));
}

}  // namespace
}  // namespace exosphere::sidecar::prometheus
