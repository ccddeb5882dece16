#include "harness/prometheus_samples.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::harness {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PrometheusSamplesTest, SumsTheSeriesOfAMetricThatMatchEveryLabelFilter) {
  ASSERT_OK_AND_ASSIGN(PrometheusSamples samples, PrometheusSamples::Parse(R"(# HELP x_total X.
# TYPE x_total counter
x_total{result="delivered",ns="a b"} 3
x_total{result="resent",ns="a b"} 4
x_total_other 100
x 7
y 1.5
)"));
  EXPECT_EQ(samples.Sum("x_total"), 7);
  EXPECT_EQ(samples.Sum("x_total", {"result=\"resent\""}), 4);
  EXPECT_EQ(samples.Sum("x_total", {"result=\"resent\"", "ns=\"other\""}), 0);
  EXPECT_EQ(samples.Sum("x"), 7);
  EXPECT_EQ(samples.Sum("y"), 1.5);
  EXPECT_EQ(samples.Sum("absent"), 0);
}

TEST(PrometheusSamplesTest, ASampleWithoutANumberIsAnError) {
  EXPECT_THAT(PrometheusSamples::Parse("x_total{a=\"b\"} many\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x_total")));
}

}  // namespace
}  // namespace exosphere::harness
