// End-to-end: the HTTP surface of the exosphere-devserver binary — auth order, error bodies,
// routing quirks, limits, secrets and graph verification (contract sections 1, 2 and 4.2).

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/ids.h"
#include "tests/devserver/devserver_e2e_fixture.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace exosphere::devserver::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kGenericError[] =
    R"({"success":false,"detail":"internal server error, please reach out to support team at nivedit@exosphere.host"})";

using ApiE2eTest = DevserverE2eTest;

TEST_F(ApiE2eTest, HealthAndNamespacesAndRequestIds) {
  Reply health = client_->Raw("GET", "/health", "", "", /*with_key=*/false);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.raw, R"({"message":"OK"})");
  EXPECT_EQ(health.Header("Content-Type"), "application/json");
  EXPECT_TRUE(ids::IsUuid(health.Header("x-exosphere-request-id")));
  Reply echoed = client_->Raw("GET", "/nope", "", "", false,
                              {{"x-exosphere-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e"}});
  EXPECT_EQ(echoed.status, 404);
  EXPECT_EQ(echoed.Header("x-exosphere-request-id"), "0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(client_->Get("/v0/namespaces").raw, R"({"namespaces":[],"count":0})");
}

TEST_F(ApiE2eTest, AuthIsCheckedAfterJsonDecodingAndBeforeValidation) {
  Reply malformed =
      client_->Raw("PUT", client_->Path("/nodes/"), "{oops", "application/json", false);
  EXPECT_EQ(malformed.status, 422);
  EXPECT_EQ(
      malformed.raw,
      R"({"detail":[{"type":"json_invalid","loc":["body",1],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}]})");
  Reply unauthorized =
      client_->Raw("PUT", client_->Path("/nodes/"), "{}", "application/json", false);
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.raw, R"({"detail":"Invalid API key"})");
  EXPECT_EQ(unauthorized.Header("WWW-Authenticate"), "");
  EXPECT_EQ(client_
                ->Raw("PUT", client_->Path("/nodes/"), "{}", "application/json", false,
                      {{"X-API-KEY", "wrong"}})
                .status,
            401);
  Reply invalid = client_->Put(client_->Path("/nodes/"), Json::object());
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(
      invalid.raw,
      R"({"detail":[{"type":"missing","loc":["body","runtime_name"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","nodes"],"msg":"Field required","input":{}}]})");
  EXPECT_EQ(client_->Raw("PUT", client_->Path("/nodes/"), "{}", "text/plain").status, 422);
  EXPECT_EQ(client_->Raw("PUT", client_->Path("/nodes/"), "\"\xff\"").raw,
            R"({"detail":"There was an error parsing the body"})");
}

// One request written by hand (cpp-httplib's client always adds a Content-Type to a body);
// returns the whole response, the connection being closed by the server after it.
std::string SendRawRequest(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t received;
    while ((received = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, received);
  }
  close(fd);
  return response;
}

// FastAPI 0.128, the server's pinned version, reads a body sent without Content-Type as JSON.
TEST_F(ApiE2eTest, ABodyWithoutContentTypeIsReadAsJson) {
  const std::string body = R"({"runtime_name":"rt","nodes":[]})";
  const std::string response = SendRawRequest(
      server_->port(),
      absl::StrCat("PUT /v0/namespace/e2e/nodes/ HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                   "x-api-key: ", DevserverProcess::kApiKey,
                   "\r\nConnection: close\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_TRUE(absl::EndsWith(response, R"({"runtime_name":"rt","registered_nodes":[]})"))
      << response;
}

// The official dashboard's origin (http://localhost:3000) may call the devserver from a browser.
TEST_F(ApiE2eTest, BrowsersOnAllowedOriginsPassThePreflight) {
  const std::vector<std::pair<std::string, std::string>> preflight = {
      {"Origin", "http://localhost:3000"},
      {"Access-Control-Request-Method", "PUT"},
      {"Access-Control-Request-Headers", "content-type,x-api-key"}};
  Reply allowed = client_->Raw("OPTIONS", client_->Path("/nodes/"), "", "", false, preflight);
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.raw, "OK");
  EXPECT_EQ(allowed.Header("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(allowed.Header("Access-Control-Allow-Credentials"), "true");
  EXPECT_THAT(allowed.Header("Access-Control-Allow-Headers"), HasSubstr("X-API-Key"));
  std::vector<std::pair<std::string, std::string>> foreign = preflight;
  foreign[0].second = "https://elsewhere.example";
  Reply disallowed = client_->Raw("OPTIONS", client_->Path("/nodes/"), "", "", false, foreign);
  EXPECT_EQ(disallowed.status, 400);
  EXPECT_EQ(disallowed.raw, "Disallowed CORS origin");
  EXPECT_EQ(disallowed.Header("Access-Control-Allow-Origin"), "");

  Reply listed =
      client_->Raw("GET", "/v0/namespaces", "", "", true, {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(listed.Header("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(listed.Header("Access-Control-Expose-Headers"), "X-Exosphere-Request-ID");
}

TEST_F(ApiE2eTest, TheOpenApiDocumentIsServed) {
  Reply document = client_->Raw("GET", "/openapi.json", "", "", /*with_key=*/false);
  EXPECT_EQ(document.status, 200);
  EXPECT_EQ(document.body["openapi"], "3.1.0");
  EXPECT_TRUE(document.body["paths"].contains("/v0/namespace/{namespace_name}/graph/{graph_name}"));
  EXPECT_EQ(client_->Raw("HEAD", "/openapi.json", "", "", false).status, 200);
  Reply docs = client_->Raw("GET", "/docs", "", "", false);
  EXPECT_EQ(docs.status, 200);
  EXPECT_THAT(docs.Header("Content-Type"), HasSubstr("text/html"));
}

TEST_F(ApiE2eTest, TrailingSlashesRedirectAndUnknownRoutes) {
  Reply redirect = client_->Raw("GET", client_->Path("/nodes"), "");
  EXPECT_EQ(redirect.status, 307);
  EXPECT_EQ(redirect.Header("location"),
            absl::StrCat("http://127.0.0.1:", server_->port(), "/v0/namespace/e2e/nodes/"));
  EXPECT_EQ(client_->Raw("GET", client_->Path("/graph/g/"), "").status, 307);
  Reply not_allowed = client_->Raw("DELETE", client_->Path("/graph/g"), "");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(not_allowed.raw, R"({"detail":"Method Not Allowed"})");
  Reply not_found = client_->Raw("GET", "/v0/namespace/e2e/bogus", "");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.raw, R"({"detail":"Not Found"})");
}

TEST_F(ApiE2eTest, InvalidIdsAndMissingThings) {
  EXPECT_EQ(client_->Executed("not-an-id", Json::array()).raw, kGenericError);
  EXPECT_EQ(client_->Executed("0123456789abcdef01234567", Json::array()).raw,
            R"({"detail":"State not found"})");
  EXPECT_EQ(client_->Get(client_->Path("/graph/none")).raw,
            R"({"detail":"Graph template none not found in namespace e2e"})");
  EXPECT_EQ(client_->Get(client_->Path("/runs/0/5")).raw, kGenericError);
  Reply bad_page = client_->Get(client_->Path("/runs/first/5"));
  EXPECT_EQ(bad_page.status, 422);
  EXPECT_EQ(
      bad_page.raw,
      R"({"detail":[{"type":"int_parsing","loc":["path","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"first"}]})");
  EXPECT_EQ(client_->Get(client_->Path("/graph/g/run/r/node/xyz")).raw,
            R"({"detail":"Invalid node ID format: xyz"})");
}

class SmallBodyE2eTest : public DevserverE2eTest {
 protected:
  std::vector<std::string> ExtraArgs() const override { return {"--max-body-bytes", "2048"}; }
};

TEST_F(SmallBodyE2eTest, BodiesOverTheLimitGet413AndTheServerKeepsServing) {
  const std::string big = absl::StrCat(R"({"error": ")", std::string(5000, 'x'), R"("})");
  Reply too_large =
      client_->Raw("POST", client_->Path("/state/0123456789abcdef01234567/errored"), big);
  EXPECT_EQ(too_large.status, 413);
  EXPECT_THAT(too_large.raw, HasSubstr("Request body too large"));
  EXPECT_TRUE(ids::IsUuid(too_large.Header("x-exosphere-request-id")));
  // A fresh request (the client reconnects if the server closed the connection) still works.
  EXPECT_EQ(NewClient()->Get("/health").status, 200);
  EXPECT_EQ(client_->Get("/health").status, 200);
}

TEST_F(ApiE2eTest, GarbageNeverCrashesTheServer) {
  const std::vector<std::string> bodies = {"",
                                           "null",
                                           "[]",
                                           "123",
                                           "\"s\"",
                                           "{\"nodes\": {\"a\": 1}}",
                                           std::string(3000, '['),
                                           "{\"secrets\": {\"\": \"x\"}, \"nodes\": [{}]}",
                                           "{\"nodes\": [null, 1, \"x\", []]}",
                                           std::string("{\"a\":\"\\ud800\"}"),
                                           std::string(100000, '7')};
  const std::vector<std::string> paths = {"/nodes/",
                                          "/graph/g",
                                          "/graph/g/trigger",
                                          "/states/enqueue",
                                          "/state/0123456789abcdef01234567/executed",
                                          "/state/zz/errored",
                                          "/state/0123456789abcdef01234567/prune",
                                          "/state/0123456789abcdef01234567/re-enqueue-after",
                                          "/state/0123456789abcdef01234567/manual-retry"};
  for (const std::string& path : paths) {
    for (const std::string& body : bodies) {
      const std::string method = path == "/nodes/" || path == "/graph/g" ? "PUT" : "POST";
      Reply reply = client_->Raw(method, client_->Path(path), body);
      EXPECT_TRUE(reply.status == 200 || reply.status == 201 ||
                  (reply.status >= 400 && reply.status < 600))
          << method << " " << path << " -> " << reply.status;
    }
  }
  EXPECT_EQ(client_->Get("/health").status, 200);
}

TEST_F(ApiE2eTest, SecretsAreServedPlainToTheirNamespaceAndOtherwise500) {
  DeployGraph("secretive", {{"Uses", {}, {}, {"token"}}},
              GraphJson(Json::array({NodeJson("Uses", "uses", Json::object())}), Json::object(),
                        {{"token", "t0p-s3cret"}, {"extra", "also-returned"}}));
  ASSERT_FALSE(client_->Trigger("secretive").empty());
  Json state = client_->AwaitClaims({"Uses"}, 1);
  ASSERT_EQ(state.size(), 1u);
  const std::string id = state[0]["state_id"];
  Reply secrets = client_->Secrets(id);
  EXPECT_EQ(secrets.status, 200);
  EXPECT_EQ(secrets.raw, R"({"secrets":{"token":"t0p-s3cret","extra":"also-returned"}})");
  EXPECT_EQ(NewClient("elsewhere")->Secrets(id).raw, kGenericError);
  EXPECT_EQ(client_->Secrets("0123456789abcdef01234567").raw, kGenericError);
  EXPECT_EQ(client_->Secrets("bogus").raw, kGenericError);
  // Listings never show the plaintext.
  Reply graphs = client_->Get(client_->Path("/graphs/"));
  EXPECT_THAT(graphs.raw, ::testing::Not(HasSubstr("t0p-s3cret")));
  EXPECT_EQ(client_->Get(client_->Path("/graph/secretive")).body["secrets"]["token"], true);
  for (const std::string& line : server_->process().StderrLines()) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("t0p-s3cret")));
    EXPECT_THAT(line, ::testing::Not(HasSubstr(DevserverProcess::kApiKey)));
  }
}

TEST_F(ApiE2eTest, VerificationReportsRegistryProblems) {
  ASSERT_EQ(client_->RegisterNodes({{"Known", {"a", "b"}, {"out"}, {"key"}}}).status, 200);
  Json body =
      GraphJson(Json::array({NodeJson("Known", "known", {{"a", "1"}}, {"ghost"}),
                             NodeJson("Ghost", "ghost", {{"x", "${{ known.outputs.nope }}"}})}));
  ASSERT_EQ(client_->UpsertGraph("broken", body).status, 201);
  Json verified = client_->AwaitValidation("broken");
  EXPECT_EQ(verified["validation_status"], "INVALID");
  EXPECT_EQ(
      DumpJson(verified["validation_errors"]),
      R"(["Node Ghost in namespace e2e does not exist.","Secret key is required but not present in the graph template","Input b in node Known in namespace e2e is not present in the graph template","Node Ghost in namespace e2e does not exist"])");
  Reply trigger;
  client_->Trigger("broken", Json::object(), &trigger);
  EXPECT_EQ(trigger.raw, R"({"detail":"Graph template is not valid"})");
  // Registering later does not re-validate; upserting again does.
  ASSERT_EQ(client_->RegisterNodes({{"Ghost", {"x"}, {}, {}}}).status, 200);
  EXPECT_EQ(client_->AwaitValidation("broken")["validation_status"], "INVALID");
  ASSERT_EQ(client_->UpsertGraph("broken", body).status, 201);
  verified = client_->AwaitValidation("broken");
  EXPECT_EQ(
      DumpJson(verified["validation_errors"]),
      R"(["Secret key is required but not present in the graph template","Input b in node Known in namespace e2e is not present in the graph template","Field nope in node Known in namespace e2e does not exist"])");
}

TEST_F(ApiE2eTest, StructuralErrorsAre400AndNothingIsWritten) {
  Reply reply = client_->UpsertGraph(
      "cyclic", GraphJson(Json::array({NodeJson("A", "a", Json::object(), {"b"}),
                                       NodeJson("B", "b", Json::object(), {"a"})})));
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body["detail"].get<std::string>(),
              HasSubstr("Error validating graph template: 1 validation error for GraphTemplate\n  "
                        "Value error, There should be exactly one root node in the graph but found "
                        "0 nodes with zero in-degree: []"));
  EXPECT_EQ(client_->Get(client_->Path("/graph/cyclic")).status, 404);
  Reply cron = client_->UpsertGraph(
      "crony",
      GraphJson(Json::array({NodeJson("A", "a", Json::object())}),
                {{"triggers", {{{"type", "CRON"}, {"value", {{"expression", "61 * * * *"}}}}}}}));
  EXPECT_EQ(cron.status, 422);
  EXPECT_THAT(cron.raw, HasSubstr("Invalid cron expression"));
}

class SlowVerificationE2eTest : public DevserverE2eTest {
 protected:
  std::vector<std::string> ExtraArgs() const override { return {"--verify-delay-ms", "1500"}; }
};

TEST_F(SlowVerificationE2eTest, TriggerIsRefusedWhileTheGraphIsPending) {
  ASSERT_EQ(client_->RegisterNodes({{"Step", {}, {}, {}}}).status, 200);
  Reply upserted = client_->UpsertGraph(
      "slow", GraphJson(Json::array({NodeJson("Step", "step", Json::object())})));
  ASSERT_EQ(upserted.status, 201);
  EXPECT_EQ(upserted.body["validation_status"], "PENDING");
  EXPECT_EQ(client_->Get(client_->Path("/graph/slow")).body["validation_status"], "PENDING");
  Reply early;
  client_->Trigger("slow", Json::object(), &early);
  EXPECT_EQ(early.status, 400);
  EXPECT_EQ(early.raw, R"({"detail":"Graph template is not valid"})");
  EXPECT_EQ(client_->AwaitValidation("slow")["validation_status"], "VALID");
  EXPECT_FALSE(client_->Trigger("slow").empty());
}

TEST_F(ApiE2eTest, ErroredAfterExecutedReportsTheServersMessages) {
  DeployGraph("twice", {{"A", {}, {}, {}}, {"B", {}, {}, {}}},
              GraphJson(Json::array({NodeJson("A", "a", Json::object(), {"b"}),
                                     NodeJson("B", "b", Json::object())})));
  const std::string run_id = client_->Trigger("twice");
  Json state = client_->AwaitClaims({"A"}, 1);
  ASSERT_EQ(state.size(), 1u);
  const std::string id = state[0]["state_id"];
  ASSERT_EQ(client_->Executed(id, Json::array()).status, 200);
  Reply errored = client_->Errored(id, "late");
  // Either still EXECUTED (background pending) or already SUCCESS.
  EXPECT_TRUE(errored.raw == R"({"detail":"State is already executed"})" ||
              errored.raw == R"({"detail":"State is not queued or executed"})")
      << errored.raw;
  client_->AwaitRunGraph(run_id, [](const Json& graph) { return CountNodes(graph, "b") == 1; });
  EXPECT_EQ(client_->Errored(id, "late").raw, R"({"detail":"State is not queued or executed"})");
  const std::string child = client_->AwaitClaims({"B"}, 1)[0]["state_id"].get<std::string>();
  EXPECT_EQ(NewClient("wrong-namespace")->Errored(child, "x").raw,
            R"({"detail":"Graph template not found"})");
}

}  // namespace
}  // namespace exosphere::devserver::testing
