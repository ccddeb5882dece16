#include "cli/run_snapshot.h"

#include "tests/support/status_matchers.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

json::Json Node(const std::string& id, const std::string& status, const std::string& error = "") {
  return {{"id", id},
          {"node_name", "n"},
          {"identifier", "i" + id},
          {"status", status},
          {"error", error.empty() ? json::Json(nullptr) : json::Json(error)}};
}

json::Json RunGraph(std::vector<json::Json> nodes) {
  return {{"graph_name", "g"}, {"nodes", nodes}, {"edges", json::Json::array()}};
}

TEST(RunSnapshotTest, CountsAndOutcome) {
  ASSERT_OK_AND_ASSIGN(
      RunSnapshot running,
      ParseRunGraph(RunGraph({Node("1", "SUCCESS"), Node("2", "QUEUED")}), "r", "ns"));
  EXPECT_EQ(running.graph_name, "g");
  EXPECT_EQ(running.Total(), 2);
  EXPECT_EQ(running.Done(), 1);
  EXPECT_FALSE(running.Finished());
  EXPECT_EQ(CountsLine(running), "QUEUED 1  SUCCESS 1");

  ASSERT_OK_AND_ASSIGN(RunSnapshot failed,
                       ParseRunGraph(RunGraph({Node("1", "RETRY_CREATED", "x"),
                                               Node("2", "ERRORED", "boom"), Node("3", "PRUNED")}),
                                     "r", "ns"));
  EXPECT_TRUE(failed.Finished());
  EXPECT_TRUE(failed.Failed());
  EXPECT_EQ(failed.states[1].error, "boom");
  EXPECT_EQ(SnapshotJson(failed)["status"], "FAILED");
  EXPECT_EQ(SnapshotJson(failed)["counts"]["ERRORED"], 1);
}

TEST(RunSnapshotTest, UnknownRunIsNotFoundAndBadShapeIsInternal) {
  EXPECT_THAT(ParseRunGraph(RunGraph({}), "r1", "ns").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("run r1 not found in namespace ns")));
  EXPECT_THAT(ParseRunGraph(json::Json{{"nodes", 3}}, "r", "ns").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("run graph of r")));
}

}  // namespace
}  // namespace exosphere::cli
