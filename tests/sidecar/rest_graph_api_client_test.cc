#include "sidecar/transport/rest_graph_api_client.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_http_client.h"
#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeHttpClient;
using ::exosphere::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kKey[] = "sk-test-secret-key";

class RestGraphApiClientTest : public ::testing::Test {
 protected:
  RestGraphApiClientTest()
      : client_(http_, {"http://sm:8000/", [] { return std::string(kKey); }, absl::Seconds(3),
                        [this](absl::string_view endpoint, int status, absl::Duration) {
                          observed_.push_back(absl::StrCat(endpoint, " ", status));
                        }}) {}
  sidecar::HttpRequest Last() { return http_.requests().back(); }

  FakeHttpClient http_;
  std::vector<std::string> observed_;
  RestGraphApiClient client_;
};

TEST_F(RestGraphApiClientTest, GraphCallsUseTheContractPaths) {
  ASSERT_OK(client_.UpsertGraph("ns", "g", json::Json::object()).status());
  EXPECT_EQ(Last().method, "PUT");
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/graph/g");
  EXPECT_THAT(Last().headers, Contains(Pair("x-api-key", kKey)));
  ASSERT_OK(client_.GetGraph("ns", "g").status());
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/graph/g");
  ASSERT_OK(client_.ListGraphs("ns").status());
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/graphs/");
  http_.Respond(200, R"({"status":"CREATED","run_id":"r-1"})");
  ASSERT_OK_AND_ASSIGN(std::string run_id, client_.TriggerRun("ns", "g", json::Json::object()));
  EXPECT_EQ(run_id, "r-1");
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/graph/g/trigger");
  ASSERT_OK(client_.ListRuns("ns", 2, 50).status());
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/runs/2/50");
  ASSERT_OK(client_.GetRunGraph("ns", "r-1").status());
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/states/run/r-1/graph");
  ASSERT_OK(client_.GetNodeRunDetails("ns", "g", "r-1", "s1").status());
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/graph/g/run/r-1/node/s1");
  ASSERT_OK(client_.ListNodes("ns").status());
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/nodes/");
  http_.Respond(200, R"({"id":"new-state"})");
  ASSERT_OK_AND_ASSIGN(std::string retried, client_.ManualRetry("ns", "s1", "fan-1"));
  EXPECT_EQ(retried, "new-state");
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/state/s1/manual-retry");
  EXPECT_EQ(json::Json::parse(Last().body), json::Json({{"fanout_id", "fan-1"}}));
  EXPECT_THAT(observed_,
              ::testing::ElementsAre("upsert_graph 200", "get_graph 200", "list_graphs 200",
                                     "trigger 200", "list_runs 200", "run_graph 200",
                                     "node_details 200", "list_nodes 200", "manual_retry 200"));
}

TEST_F(RestGraphApiClientTest, ErrorsNameTheCallAndQuoteTheServersDetail) {
  http_.Respond(404, R"({"detail":"Graph template g not found"})");
  EXPECT_THAT(client_.GetGraph("ns", "g"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("GET /v0/namespace/ns/graph/g: HTTP 404: Graph template g not "
                                 "found")));
  http_.Respond(409, R"({"detail":"fanout_id already used"})");
  EXPECT_THAT(client_.ManualRetry("ns", "s1", "fan-1"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("fanout_id already used")));
}

TEST_F(RestGraphApiClientTest, AReplyWithoutTheDocumentedIdIsAnInternalError) {
  http_.Respond(200, R"({"status":"CREATED"})");
  EXPECT_THAT(client_.TriggerRun("ns", "g", json::Json::object()),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("run_id")));
  http_.Respond(200, R"({"status":"CREATED"})");
  EXPECT_THAT(client_.ManualRetry("ns", "s1", "fan-1"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("'id'")));
  http_.Respond(200, "<html>proxy</html>");
  EXPECT_THAT(client_.ListGraphs("ns"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not JSON")));
}

}  // namespace
}  // namespace exosphere::sidecar
