#include "sidecar/transport/rest_states_client.h"

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
using ::testing::Not;
using ::testing::Pair;

constexpr char kKey[] = "sk-test-secret-key";

class RestStatesClientTest : public ::testing::Test {
 protected:
  RestStatesClientTest()
      : client_(http_, {"http://sm:8000/", [] { return std::string(kKey); }, absl::Seconds(3),
                        [this](absl::string_view endpoint, int status, absl::Duration) {
                          observed_.push_back(absl::StrCat(endpoint, " ", status));
                        }}) {}
  sidecar::HttpRequest Last() { return http_.requests().back(); }

  FakeHttpClient http_;
  std::vector<std::string> observed_;
  RestStatesClient client_;
};

TEST_F(RestStatesClientTest, RegisterSendsTheContractBodyWithKeyAndJsonHeaders) {
  http_.Respond(200, R"({"runtime_name":"rt","registered_nodes":[{"name":"n"}]})");
  ASSERT_OK(client_.RegisterNodes("my ns", "rt",
                                  {{"n", {{"type", "object"}}, {{"type", "object"}}, {"k"}}}));
  const HttpRequest request = Last();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, "http://sm:8000/v0/namespace/my%20ns/nodes/");
  EXPECT_THAT(request.headers, Contains(Pair("x-api-key", kKey)));
  EXPECT_THAT(request.headers, Contains(Pair("Content-Type", "application/json")));
  EXPECT_EQ(request.timeout, absl::Seconds(3));
  EXPECT_EQ(json::Json::parse(request.body),
            json::Json::parse(
                R"({"runtime_name":"rt","nodes":[{"name":"n","inputs_schema":{"type":"object"},
                              "outputs_schema":{"type":"object"},"secrets":["k"]}]})"));
}

TEST_F(RestStatesClientTest, ARegistrationReplyThatDoesNotEchoTheRequestIsAnError) {
  const std::vector<NodeRegistration> nodes = {
      {"n", {{"type", "object"}}, {{"type", "object"}}, {}}};
  for (const char* body : {"<html>gateway</html>", "{}", R"({"runtime_name":"rt"})",
                           R"({"runtime_name":"other","registered_nodes":[{"name":"n"}]})",
                           R"({"runtime_name":"rt","registered_nodes":[]})",
                           R"({"runtime_name":"rt","registered_nodes":"n"})"}) {
    http_.Respond(200, body);
    // kInternal: retried like any garbled reply, never taken as registered.
    EXPECT_THAT(client_.RegisterNodes("ns", "rt", nodes),
                StatusIs(absl::StatusCode::kInternal, HasSubstr("PUT /v0/namespace/ns/nodes/")))
        << body;
  }
}

TEST_F(RestStatesClientTest, AStateThatIsNotQueuedIsClassifiedWhereTheReplyIsRead) {
  for (const char* detail :
       {"State is not queued", "State is not queued or executed", "State is already executed"}) {
    http_.Respond(400, absl::StrCat(R"({"detail":")", detail, R"("})"));
    const absl::Status status = client_.SendReport("ns", Report::Errored("s1", "e"));
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(detail)));
    EXPECT_TRUE(StateWasNotQueued(status)) << detail;
  }
  http_.Respond(400, R"({"detail":"Graph template not found"})");
  EXPECT_FALSE(StateWasNotQueued(client_.SendReport("ns", Report::Errored("s1", "e"))));
  http_.Respond(404, R"({"detail":"State not queued? no: not found"})");
  EXPECT_FALSE(StateWasNotQueued(client_.SendReport("ns", Report::Errored("s1", "e"))));
}

TEST_F(RestStatesClientTest, ClaimParsesStatesAndKeepsMalformedOnesReportable) {
  http_.Respond(200, R"({"count":3,"namespace":"ns","status":"QUEUED","states":[
      {"state_id":"a","node_name":"n","identifier":"i","inputs":{"x":"1"},"created_at":"2025-01-02T03:04:05"},
      {"state_id":"b","node_name":"n","identifier":"i","inputs":"oops"},
      {"node_name":"n"}]})");
  ASSERT_OK_AND_ASSIGN(auto states, client_.ClaimStates("ns", {"n", "m"}, 16));
  EXPECT_EQ(json::Json::parse(Last().body),
            json::Json::parse(R"({"nodes":["n","m"],"batch_size":16})"));
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/states/enqueue");
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].state_id, "a");
  EXPECT_EQ(states[0].inputs, json::Json({{"x", "1"}}));
  EXPECT_TRUE(states[0].malformed.empty());
  EXPECT_EQ(states[1].state_id, "b");
  EXPECT_THAT(states[1].malformed, HasSubstr("'inputs' must be an object"));
}

TEST_F(RestStatesClientTest, HttpOutcomesMapToCanonicalCodesWithTheServersDetail) {
  http_.Respond(400, R"({"detail":"State is not queued"})");
  EXPECT_THAT(
      client_.SendReport("ns", Report::Executed("s1", {})),
      StatusIs(
          absl::StatusCode::kFailedPrecondition,
          HasSubstr("POST /v0/namespace/ns/state/s1/executed: HTTP 400: State is not queued")));
  http_.Respond(
      422,
      R"({"detail":[{"type":"greater_than","loc":["body","enqueue_after"],"msg":"Input should be greater than 0"}]})");
  EXPECT_THAT(client_.SendReport("ns", Report::RequeueAfter("s1", 0)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body.enqueue_after: Input should be greater than 0")));
  http_.Respond(503, "<html>bad gateway</html>");
  EXPECT_THAT(client_.SendReport("ns", Report::Errored("s1", "e")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 503")));
  http_.Respond(429, "{}");
  EXPECT_THAT(client_.SendReport("ns", Report::Errored("s1", "e")),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("HTTP 429")));
  http_.Respond(401, R"({"detail":"Invalid API key"})");
  EXPECT_THAT(client_.SendReport("ns", Report::Errored("s1", "e")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("refused the API key")));
  http_.Respond(404, R"({"detail":"State not found"})");
  EXPECT_THAT(client_.SendReport("ns", Report::Errored("s1", "e")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("State not found")));
  http_.Fail(absl::UnavailableError("connection refused"));
  EXPECT_THAT(client_.SendReport("ns", Report::Errored("s1", "e")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connection refused")));
}

TEST_F(RestStatesClientTest, EveryExchangeIsObservedWithItsEndpointAndStatus) {
  http_.Respond(503, "");
  http_.Fail(absl::UnavailableError("connection refused"));
  EXPECT_FALSE(client_.SendReport("ns", Report::Executed("s1", {})).ok());
  EXPECT_FALSE(client_.ClaimStates("ns", {"n"}, 1).ok());
  EXPECT_OK(client_.CheckHealth(absl::Seconds(1)));
  EXPECT_EQ(Last().url, "http://sm:8000/health");
  EXPECT_EQ(Last().timeout, absl::Seconds(1));
  EXPECT_THAT(observed_, ::testing::ElementsAre("executed 503", "enqueue 0", "health 200"));
}

TEST_F(RestStatesClientTest, AnErrorAfterTheTransportResentTheRequestSaysSo) {
  http_.Respond(400, R"({"detail":"State is not queued"})");
  const absl::Status once = client_.SendReport("ns", Report::Executed("s1", {}));
  EXPECT_THAT(once, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not queued")));
  EXPECT_FALSE(RequestWasResent(once));

  http_.RespondAfterSends(400, R"({"detail":"State is not queued"})", 2);
  const absl::Status twice = client_.SendReport("ns", Report::Executed("s1", {}));
  EXPECT_THAT(twice, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sent 2 times")));
  EXPECT_TRUE(RequestWasResent(twice));
}

TEST_F(RestStatesClientTest, AReportIsAppliedOnAny2xxEvenWithAGarbledBody) {
  http_.Respond(200, "not json at all");
  EXPECT_OK(client_.SendReport("ns", Report::Pruned("s1", {{"k", "v"}})));
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/state/s1/prune");
  EXPECT_EQ(Last().body, R"({"data":{"k":"v"}})");
}

TEST_F(RestStatesClientTest, GarbageFromTheServerIsAnInternalErrorNotACrash) {
  http_.Respond(200, R"({"states":"nope"})");
  EXPECT_THAT(client_.ClaimStates("ns", {"n"}, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'states' must be an array")));
  http_.Respond(200, "{\"truncated");
  EXPECT_THAT(client_.ClaimStates("ns", {"n"}, 1),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not JSON")));
}

TEST_F(RestStatesClientTest, SecretsAreReturnedButNeverQuotedInErrors) {
  http_.Respond(200, R"({"secrets":{"token":"s3cr3t-value"}})");
  ASSERT_OK_AND_ASSIGN(json::StringMap secrets, client_.GetSecrets("ns", "s1"));
  EXPECT_EQ(secrets.at("token"), "s3cr3t-value");
  EXPECT_EQ(Last().url, "http://sm:8000/v0/namespace/ns/state/s1/secrets");
  http_.Respond(500, R"({"detail":"s3cr3t-value leaked in an error"})");
  absl::StatusOr<json::StringMap> failed = client_.GetSecrets("ns", "s1");
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr("s3cr3t"))));
  http_.Respond(200, R"({"secrets":{"token":42}})");
  EXPECT_THAT(client_.GetSecrets("ns", "s1"),
              StatusIs(absl::StatusCode::kInternal, Not(HasSubstr("42"))));
}

}  // namespace
}  // namespace exosphere::sidecar
