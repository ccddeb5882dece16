#include "sidecar/report.h"

#include "gtest/gtest.h"

namespace exosphere::sidecar {
namespace {

// The bodies are exactly those of the contract, sections 2.6 to 2.9.
TEST(ReportTest, BodiesAndEndpointsMatchTheContract) {
  const Report executed = Report::Executed("s", {{{"a", "1"}}, {{"a", "2"}}});
  EXPECT_EQ(executed.Endpoint(), "executed");
  EXPECT_EQ(executed.Body().dump(), R"({"outputs":[{"a":"1"},{"a":"2"}]})");
  EXPECT_EQ(Report::Executed("s", {}).Body().dump(), R"({"outputs":[]})");
  const Report errored = Report::Errored("s", "boom");
  EXPECT_EQ(errored.Endpoint(), "errored");
  EXPECT_EQ(errored.Body().dump(), R"({"error":"boom"})");
  const Report pruned = Report::Pruned("s", {{"k", "v"}});
  EXPECT_EQ(pruned.Endpoint(), "prune");
  EXPECT_EQ(pruned.Body().dump(), R"({"data":{"k":"v"}})");
  EXPECT_EQ(Report::Pruned("s", nullptr).Body().dump(), R"({"data":{}})");
  const Report requeue = Report::RequeueAfter("s", 2500);
  EXPECT_EQ(requeue.Endpoint(), "re-enqueue-after");
  EXPECT_EQ(requeue.Body().dump(), R"({"enqueue_after":2500})");
}

}  // namespace
}  // namespace exosphere::sidecar
