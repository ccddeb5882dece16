#include "devserver/api.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/ids.h"
#include "devserver/devserver.h"
#include "devserver/python_json_decoder.h"
#include "devserver/request_dispatcher.h"
#include "devserver/secret_cipher.h"
#include "devserver/task_runner.h"
#include "tests/fakes/fake_clock.h"

namespace exosphere::devserver {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

constexpr char kKey[] = "test-api-key";
// 32 bytes 0..31 in the server's SECRETS_ENCRYPTION_KEY format.
constexpr char kSecretsKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kGenericError[] =
    R"({"success":false,"detail":"internal server error, please reach out to support team at nivedit@exosphere.host"})";

// The whole API in-process, without sockets: requests go through the dispatcher exactly as the
// HTTP server hands them over. Verification is delayed by an hour of fake time so that only the
// synchronous paths run; graphs that must be VALID are seeded directly.
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *Store::Open(nullptr);
    tasks_ = std::make_unique<TaskRunner>(clock_, 1);
    graphs_ = std::make_unique<GraphService>(*store_, *tasks_, clock_, cipher_, absl::Hours(1));
    runs_ = std::make_unique<RunService>(*store_, clock_);
    next_states_ = std::make_unique<NextStateCreator>(*store_, *tasks_, clock_);
    states_ = std::make_unique<StateService>(*store_, *next_states_, clock_, cipher_);
    inspection_ = std::make_unique<InspectionService>(*store_);
    api_ = std::make_unique<Api>(kKey, *graphs_, *runs_, *states_, *inspection_);
    api_->Register(router_);
  }

  void TearDown() override { tasks_->Shutdown(); }

  HttpResponse Send(const std::string& method, const std::string& path,
                    const std::string& body = "", bool with_key = true,
                    const std::string& content_type = "application/json") {
    HttpRequest request;
    request.method = method;
    const size_t question = path.find('?');
    request.path = path.substr(0, question);
    if (question != std::string::npos) request.query = path.substr(question + 1);
    request.host = "devserver.test:8000";
    if (with_key) request.headers.emplace_back("X-API-Key", kKey);
    if (!content_type.empty() && !body.empty())
      request.headers.emplace_back("Content-Type", content_type);
    request.body = body;
    return RequestDispatcher(router_).Dispatch(request);
  }

  static Json Body(const HttpResponse& response) { return DecodePythonJson(response.body).value; }

  // A VALID single-node graph "g" in namespace "ns" whose root reads the store.
  void SeedValidGraph(std::vector<std::string> required_keys = {}) {
    store_->Transact([&](Tables& tables) {
      GraphTemplate graph;
      graph.id = ids::NewObjectId();
      graph.name = "g";
      graph.namespace_name = "ns";
      NodeTemplate root;
      root.node_name = "A";
      root.namespace_name = "ns";
      root.identifier = "a";
      root.inputs = {{"x", "v=${{ store.k }}"}, {"y", "fixed"}};
      graph.nodes = {root};
      graph.validation_status = ValidationStatus::kValid;
      graph.store_config.required_keys = std::move(required_keys);
      graph.store_config.default_values = {{"k", "default"}};
      tables.PutGraph(graph);
    });
  }

  testing::FakeClock clock_;
  const SecretCipher cipher_ = *SecretCipher::FromKey(kSecretsKey);
  std::unique_ptr<Store> store_;
  std::unique_ptr<TaskRunner> tasks_;
  std::unique_ptr<GraphService> graphs_;
  std::unique_ptr<RunService> runs_;
  std::unique_ptr<NextStateCreator> next_states_;
  std::unique_ptr<StateService> states_;
  std::unique_ptr<InspectionService> inspection_;
  std::unique_ptr<Api> api_;
  Router router_;
};

TEST_F(ApiTest, HealthNeedsNoKey) {
  HttpResponse response = Send("GET", "/health", "", /*with_key=*/false);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"message":"OK"})");
}

TEST_F(ApiTest, MalformedJsonIsReportedBeforeTheKeyIsChecked) {
  HttpResponse response = Send("POST", "/v0/namespace/ns/states/enqueue", "{\"nodes\": [}",
                               /*with_key=*/false);
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(
      response.body,
      R"({"detail":[{"type":"json_invalid","loc":["body",11],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]})");
}

TEST_F(ApiTest, TheKeyIsCheckedBeforeTheBodyIsValidated) {
  HttpResponse response = Send("POST", "/v0/namespace/ns/states/enqueue", "{}", /*with_key=*/false);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body, R"({"detail":"Invalid API key"})");
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/runs/x/1", "", false).status, 401);
  EXPECT_EQ(Send("GET", "/v0/namespaces", "", false).status, 401);
}

TEST_F(ApiTest, BodiesMustBeJsonAndPresent) {
  HttpResponse missing = Send("POST", "/v0/namespace/ns/states/enqueue", "");
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(
      missing.body,
      R"({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]})");
  EXPECT_EQ(Send("POST", "/v0/namespace/ns/states/enqueue", "null").body, missing.body);
  HttpResponse plain = Send("POST", "/v0/namespace/ns/states/enqueue",
                            R"({"nodes":[],"batch_size":1})", true, "text/plain");
  EXPECT_EQ(plain.status, 422);
  EXPECT_EQ(
      plain.body,
      R"({"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"{\"nodes\":[],\"batch_size\":1}"}]})");
  HttpResponse vendor =
      Send("POST", "/v0/namespace/ns/states/enqueue", R"({"nodes":[],"batch_size":1})", true,
           "Application/Vnd.Thing+JSON; charset=utf-8");
  EXPECT_EQ(vendor.status, 200);
  EXPECT_EQ(Send("POST", "/v0/namespace/ns/states/enqueue", "\"\xff\"").status, 400);
}

// FastAPI 0.128 (the server's pinned version) reads a body without a Content-Type, or with an
// empty one, as JSON; only a declared non-JSON type keeps it raw.
TEST_F(ApiTest, BodiesWithoutContentTypeAreReadAsJson) {
  const std::string enqueue = "/v0/namespace/ns/states/enqueue";
  HttpResponse no_header = Send("POST", enqueue, R"({"nodes":[],"batch_size":1})", true, "");
  EXPECT_EQ(no_header.status, 200) << no_header.body;
  EXPECT_EQ(no_header.body, R"({"count":0,"namespace":"ns","status":"QUEUED","states":[]})");
  HttpRequest empty_header;
  empty_header.method = "POST";
  empty_header.path = enqueue;
  empty_header.headers = {{"X-API-Key", kKey}, {"Content-Type", ""}};
  empty_header.body = R"({"nodes":[],"batch_size":1})";
  EXPECT_EQ(RequestDispatcher(router_).Dispatch(empty_header).status, 200);
  // Parsed as JSON, so validation and JSON errors are those of a JSON body.
  HttpResponse invalid = Send("POST", enqueue, R"({"nodes":[]})", true, "");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_THAT(invalid.body, HasSubstr(R"("type":"missing","loc":["body","batch_size"])"));
  HttpResponse malformed = Send("POST", enqueue, "{", /*with_key=*/false, "");
  EXPECT_EQ(malformed.status, 422);
  EXPECT_THAT(malformed.body, HasSubstr("json_invalid"));
}

// GET /graphs/ shows what is stored: AES-256-GCM ciphertexts that only the key opens.
TEST_F(ApiTest, TheGraphListingNeverShowsADecodableSecret) {
  const std::string plaintext = "very-secret-token";
  ASSERT_EQ(
      Send("PUT", "/v0/namespace/ns/graph/g", R"({"secrets": {"token": ")" + plaintext + R"("},
                     "nodes": [{"node_name": "A", "namespace": "ns", "identifier": "a",
                                "inputs": {}}]})")
          .status,
      201);
  const std::string listing = Send("GET", "/v0/namespace/ns/graphs/").body;
  EXPECT_THAT(listing, Not(HasSubstr(plaintext)));
  const std::string stored =
      Body(Send("GET", "/v0/namespace/ns/graphs/"))["templates"][0]["secrets"]["token"];
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(stored, &raw));
  EXPECT_EQ(raw.size(), 12 + plaintext.size() + 16);  // nonce, ciphertext, tag
  EXPECT_THAT(raw, Not(HasSubstr(plaintext)));
  // Nothing in the listing opens it: another key fails authentication.
  const SecretCipher other_key = *SecretCipher::FromKey(*SecretCipher::GenerateKey());
  EXPECT_EQ(other_key.Decrypt(stored).status().code(), absl::StatusCode::kDataLoss);
  // It is the server's format: the server's key decrypts it.
  absl::StatusOr<std::string> decrypted = cipher_.Decrypt(stored);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status();
  EXPECT_EQ(*decrypted, plaintext);
  // A second upsert of the same value stores another ciphertext (fresh nonce).
  ASSERT_EQ(Send("PUT", "/v0/namespace/ns/graph/g",
                 R"({"secrets": {"token": ")" + plaintext + R"("}, "nodes": [{"node_name": "A",
                     "namespace": "ns", "identifier": "a", "inputs": {}}]})")
                .status,
            201);
  EXPECT_NE(Body(Send("GET", "/v0/namespace/ns/graphs/"))["templates"][0]["secrets"]["token"],
            stored);
}

TEST_F(ApiTest, SecretsStoredUnderAnotherKeyAreRefusedWithTheGeneric500) {
  SeedValidGraph();
  const SecretCipher old_key = *SecretCipher::FromKey(*SecretCipher::GenerateKey());
  store_->Transact([&](Tables& tables) {
    GraphTemplate graph = *tables.FindGraph("ns", "g");
    graph.secrets = {{"token", *old_key.Encrypt("abc")}};
    tables.PutGraph(graph);
  });
  const std::string run = Body(Send("POST", "/v0/namespace/ns/graph/g/trigger", "{}"))["run_id"];
  ASSERT_FALSE(run.empty());
  Json claimed =
      Body(Send("POST", "/v0/namespace/ns/states/enqueue", R"({"nodes":["A"],"batch_size":1})"));
  ASSERT_EQ(claimed["count"], 1) << DumpJson(claimed);
  const std::string state_id = claimed["states"][0]["state_id"];
  HttpResponse secrets = Send("GET", "/v0/namespace/ns/state/" + state_id + "/secrets");
  EXPECT_EQ(secrets.status, 500);
  EXPECT_EQ(secrets.body, kGenericError);
}

TEST_F(ApiTest, RoutingOutcomesMatchStarlette) {
  HttpResponse redirect = Send("GET", "/v0/namespace/ns/nodes?x=1");
  EXPECT_EQ(redirect.status, 307);
  EXPECT_TRUE(redirect.body.empty());
  bool found_location = false;
  for (const auto& [name, value] : redirect.headers) {
    if (name == "location") {
      found_location = true;
      EXPECT_EQ(value, "http://devserver.test:8000/v0/namespace/ns/nodes/?x=1");
    }
  }
  EXPECT_TRUE(found_location);
  HttpResponse not_allowed = Send("DELETE", "/v0/namespace/ns/nodes/");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(not_allowed.body, R"({"detail":"Method Not Allowed"})");
  HttpResponse not_found = Send("GET", "/v1/anything");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, R"({"detail":"Not Found"})");
}

TEST_F(ApiTest, EveryResponseCarriesARequestId) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/nope";
  request.headers.emplace_back("x-exosphere-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e");
  HttpResponse echoed = RequestDispatcher(router_).Dispatch(request);
  EXPECT_THAT(echoed.headers,
              ::testing::Contains(::testing::Pair("x-exosphere-request-id",
                                                  "0f8fad5b-d9cb-469f-a165-70867728950e")));
  request.headers[0].second = "not-a-uuid";
  HttpResponse fresh = RequestDispatcher(router_).Dispatch(request);
  ASSERT_EQ(fresh.headers.size(), 1u);
  EXPECT_TRUE(ids::IsUuid(fresh.headers[0].second));
}

// CORS is the outermost middleware: a preflight never reaches the key check, the router or the
// request-id middleware; every other response to an allowed origin carries the CORS headers.
TEST_F(ApiTest, CorsWrapsTheWholePipeline) {
  const RequestDispatcher dispatcher(router_, Cors(DefaultCorsOrigins()));
  HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.path = "/v0/namespace/ns/graph/g";
  preflight.headers = {{"Origin", "http://localhost:3000"},
                       {"Access-Control-Request-Method", "PUT"},
                       {"Access-Control-Request-Headers", "content-type,x-api-key"}};
  HttpResponse allowed = dispatcher.Dispatch(preflight);
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.body, "OK");
  EXPECT_THAT(allowed.headers,
              Contains(Pair("Access-Control-Allow-Origin", "http://localhost:3000")));
  EXPECT_THAT(allowed.headers, Not(Contains(Key("x-exosphere-request-id"))));
  preflight.path = "/no/such/path";
  EXPECT_EQ(dispatcher.Dispatch(preflight).status, 200);
  preflight.headers[0].second = "http://localhost:8080";
  HttpResponse disallowed = dispatcher.Dispatch(preflight);
  EXPECT_EQ(disallowed.status, 400);
  EXPECT_EQ(disallowed.body, "Disallowed CORS origin");
  EXPECT_THAT(disallowed.headers, Not(Contains(Key("Access-Control-Allow-Origin"))));

  // Without a preflight header, OPTIONS is just a method no route has.
  HttpRequest options;
  options.method = "OPTIONS";
  options.path = "/health";
  options.headers = {{"Origin", "http://localhost:3000"}};
  EXPECT_EQ(dispatcher.Dispatch(options).status, 405);

  HttpRequest unauthenticated;
  unauthenticated.method = "GET";
  unauthenticated.path = "/v0/namespaces";
  unauthenticated.headers = {{"Origin", "http://127.0.0.1:3001"}};
  HttpResponse denied = dispatcher.Dispatch(unauthenticated);
  EXPECT_EQ(denied.status, 401);
  EXPECT_THAT(denied.headers,
              Contains(Pair("Access-Control-Allow-Origin", "http://127.0.0.1:3001")));
  EXPECT_THAT(denied.headers,
              Contains(Pair("Access-Control-Expose-Headers", "X-Exosphere-Request-ID")));
  EXPECT_THAT(denied.headers, Contains(Key("x-exosphere-request-id")));
}

TEST_F(ApiTest, UpsertAnswers201WithPendingAndGetHidesTheStoredSettings) {
  HttpResponse upsert = Send("PUT", "/v0/namespace/ns/graph/g", R"({
      "secrets": {"token": "abc"},
      "nodes": [{"node_name": "A", "namespace": "ns", "identifier": "a", "inputs": {}}],
      "retry_policy": {"max_retries": 1, "strategy": "FIXED"},
      "store_config": {"required_keys": ["k"]},
      "triggers": [{"type": "CRON", "value": {"expression": "0 * * * *"}}]})");
  ASSERT_EQ(upsert.status, 201) << upsert.body;
  Json body = Body(upsert);
  EXPECT_EQ(body["validation_status"], "PENDING");
  EXPECT_EQ(DumpJson(body["secrets"]), R"({"token":true})");
  EXPECT_EQ(body["retry_policy"]["strategy"], "FIXED");
  EXPECT_EQ(body["triggers"][0]["value"]["expression"], "0 * * * *");

  HttpResponse get = Send("GET", "/v0/namespace/ns/graph/g");
  ASSERT_EQ(get.status, 200);
  Json stored = Body(get);
  EXPECT_EQ(
      DumpJson(stored["retry_policy"]),
      R"({"max_retries":3,"strategy":"EXPONENTIAL","backoff_factor":2000,"exponent":2,"max_delay":null})");
  EXPECT_EQ(DumpJson(stored["store_config"]), R"({"required_keys":[],"default_values":{}})");
  EXPECT_EQ(DumpJson(stored["triggers"]), "[]");

  Json listed = Body(Send("GET", "/v0/namespace/ns/graphs/"));
  EXPECT_EQ(listed["templates"][0]["retry_policy"]["max_retries"], 1);
  const std::string secret = listed["templates"][0]["secrets"]["token"];
  EXPECT_NE(secret, "abc");

  HttpResponse trigger = Send("POST", "/v0/namespace/ns/graph/g/trigger", "{}");
  EXPECT_EQ(trigger.status, 400);
  EXPECT_EQ(trigger.body, R"({"detail":"Graph template is not valid"})");
}

TEST_F(ApiTest, StructuralProblemsAre400AndFieldProblemsAre422) {
  HttpResponse structural = Send("PUT", "/v0/namespace/ns/graph/g", R"({"secrets": {},
      "nodes": [{"node_name": "A", "namespace": "ns", "identifier": "a", "inputs": {}, "next_nodes": ["b"]}]})");
  EXPECT_EQ(structural.status, 400);
  EXPECT_THAT(
      Body(structural)["detail"].get<std::string>(),
      HasSubstr("Error validating graph template: 1 validation error for GraphTemplate\nnodes\n"
                "  Value error, Node identifier b does not exist in the graph"));
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/graph/g").status, 404);
  HttpResponse field = Send("PUT", "/v0/namespace/ns/graph/g", R"({"secrets": {}, "nodes": [
      {"node_name": "A", "namespace": "ns", "identifier": "store", "inputs": {}}]})");
  EXPECT_EQ(field.status, 422);
}

TEST_F(ApiTest, GraphNotFoundDetails) {
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/graph/missing").body,
            R"({"detail":"Graph template missing not found in namespace ns"})");
  EXPECT_EQ(Send("POST", "/v0/namespace/ns/graph/missing/trigger", "{}").body,
            R"({"detail":"Graph template not found for namespace ns and graph missing"})");
}

TEST_F(ApiTest, TriggerResolvesTheStoreAndChecksRequiredKeys) {
  SeedValidGraph({"k", "j"});
  HttpResponse missing =
      Send("POST", "/v0/namespace/ns/graph/g/trigger", R"({"store": {"k": "1"}})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body, R"({"detail":"Missing store keys: {'j'}"})");
  HttpResponse bad_input = Send("POST", "/v0/namespace/ns/graph/g/trigger",
                                R"({"inputs": {"y": "${{ a.outputs.z }}"}})");
  EXPECT_EQ(
      bad_input.body,
      R"({"detail":"Invalid input: 400: Root node can have only store identifier as dependent but got a"})");
  HttpResponse syntax =
      Send("POST", "/v0/namespace/ns/graph/g/trigger", R"({"inputs": {"y": "${{ x"}})");
  EXPECT_EQ(
      syntax.body,
      R"({"detail":"Invalid input: Invalid syntax string placeholder  x for: ${{ x '${' not closed"})");

  HttpResponse triggered = Send("POST", "/v0/namespace/ns/graph/g/trigger",
                                R"({"store": {"k": "1", "j": "2"}, "inputs": {"ignored": "z"}})");
  ASSERT_EQ(triggered.status, 200) << triggered.body;
  EXPECT_EQ(Body(triggered)["status"], "CREATED");
  HttpResponse claimed =
      Send("POST", "/v0/namespace/ns/states/enqueue", R"({"nodes": ["A"], "batch_size": 5})");
  Json states = Body(claimed)["states"];
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(DumpJson(states[0]["inputs"]), R"({"x":"v=1","y":"fixed"})");
}

TEST_F(ApiTest, RootStoreDefaultsApplyAndMissingDependentsAre400) {
  SeedValidGraph();
  ASSERT_EQ(Send("POST", "/v0/namespace/ns/graph/g/trigger", "{}").status, 200);
  Json states = Body(Send("POST", "/v0/namespace/ns/states/enqueue",
                          R"({"nodes": ["A"], "batch_size": 5})"))["states"];
  EXPECT_EQ(states[0]["inputs"]["x"], "v=default");
  HttpResponse missing = Send("POST", "/v0/namespace/ns/graph/g/trigger",
                              R"({"inputs": {"y": "${{ store.nothing }}"}})");
  EXPECT_EQ(
      missing.body,
      R"({"detail":"Invalid input: 400: Dependent nothing not found in store for root node a"})");
}

TEST_F(ApiTest, StateEndpointsMapErrorsToTheServersResponses) {
  const std::string unknown = "/v0/namespace/ns/state/0123456789abcdef01234567";
  EXPECT_EQ(Send("POST", unknown + "/executed", R"({"outputs": []})").body,
            R"({"detail":"State not found"})");
  EXPECT_EQ(Send("POST", unknown + "/errored", R"({"error": "x"})").status, 404);
  EXPECT_EQ(Send("POST", unknown + "/prune", R"({"data": {}})").status, 404);
  EXPECT_EQ(Send("POST", unknown + "/re-enqueue-after", R"({"enqueue_after": 5})").status, 404);
  EXPECT_EQ(Send("POST", unknown + "/manual-retry", R"({"fanout_id": "f"})").status, 404);
  // Not an ObjectId: the generic 500, but only after the body passed validation.
  EXPECT_EQ(Send("POST", "/v0/namespace/ns/state/xyz/executed", R"({"outputs": []})").body,
            kGenericError);
  EXPECT_EQ(Send("POST", "/v0/namespace/ns/state/xyz/executed", R"({})").status, 422);
  // Secrets: every failure is the generic 500.
  EXPECT_EQ(Send("GET", unknown + "/secrets").body, kGenericError);
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/state/xyz/secrets").body, kGenericError);
}

TEST_F(ApiTest, StateLifecycleStatusChecks) {
  SeedValidGraph();
  ASSERT_EQ(Send("POST", "/v0/namespace/ns/graph/g/trigger", "{}").status, 200);
  Json states = Body(Send("POST", "/v0/namespace/ns/states/enqueue",
                          R"({"nodes": ["A"], "batch_size": 1})"))["states"];
  const std::string path = "/v0/namespace/ns/state/" + states[0]["state_id"].get<std::string>();
  // Uppercase hex is a valid ObjectId too.
  std::string upper = states[0]["state_id"].get<std::string>();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  HttpResponse pruned =
      Send("POST", "/v0/namespace/ns/state/" + upper + "/prune", R"({"data": {"why": 1}})");
  ASSERT_EQ(pruned.status, 200) << pruned.body;
  EXPECT_EQ(Body(pruned)["status"], "PRUNED");
  EXPECT_EQ(Send("POST", path + "/prune", R"({"data": {}})").body,
            R"({"detail":"State is not queued"})");
  EXPECT_EQ(Send("POST", path + "/executed", R"({"outputs": []})").body,
            R"({"detail":"State is not queued"})");
  EXPECT_EQ(Send("POST", path + "/errored", R"({"error": "e"})").body,
            R"({"detail":"State is not queued or executed"})");
  HttpResponse requeued = Send("POST", path + "/re-enqueue-after", R"({"enqueue_after": 1000})");
  EXPECT_EQ(Body(requeued)["status"], "CREATED");
  EXPECT_EQ(Body(requeued)["enqueue_after"], absl::ToUnixMillis(clock_.Now()) + 1000);
  EXPECT_EQ(Body(Send("POST", "/v0/namespace/ns/states/enqueue",
                      R"({"nodes": ["A"], "batch_size": 1})"))["count"],
            0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Body(Send("POST", "/v0/namespace/ns/states/enqueue",
                      R"({"nodes": ["A"], "batch_size": 1})"))["count"],
            1);
  HttpResponse errored = Send("POST", path + "/errored", R"({"error": "boom"})");
  EXPECT_EQ(errored.body, R"({"status":"ERRORED","retry_created":true})");
  EXPECT_EQ(Send("POST",
                 "/v0/namespace/other/state/" + states[0]["state_id"].get<std::string>() +
                     "/manual-retry",
                 R"({"fanout_id": "f1"})")
                .status,
            404);
  HttpResponse manual = Send("POST", path + "/manual-retry", R"({"fanout_id": "f1"})");
  EXPECT_EQ(manual.status, 200);
  HttpResponse duplicate = Send("POST", path + "/manual-retry", R"({"fanout_id": "f1"})");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.body, R"({"detail":"Duplicate retry state detected"})");
}

TEST_F(ApiTest, InspectionEndpoints) {
  SeedValidGraph();
  ASSERT_EQ(Send("POST", "/v0/namespace/ns/graph/g/trigger", "{}").status, 200);
  Json runs = Body(Send("GET", "/v0/namespace/ns/runs/1/0"));
  EXPECT_EQ(runs["total"], 1);
  EXPECT_EQ(runs["runs"][0]["status"], "PENDING");
  EXPECT_EQ(runs["runs"][0]["pending_count"], 1);
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/runs/0/10").body, kGenericError);
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/runs/0/0").status, 200);
  HttpResponse bad = Send("GET", "/v0/namespace/ns/runs/one/two");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(Body(bad)["detail"].size(), 2u);

  const std::string run_id = runs["runs"][0]["run_id"];
  Json graph = Body(Send("GET", "/v0/namespace/ns/states/run/" + run_id + "/graph"));
  EXPECT_EQ(graph["graph_name"], "g");
  EXPECT_EQ(graph["node_count"], 1);
  EXPECT_EQ(graph["execution_summary"]["CREATED"], 1);
  EXPECT_EQ(graph["root_states"].size(), 1u);
  Json empty = Body(Send("GET", "/v0/namespace/ns/states/run/none/graph"));
  EXPECT_EQ(empty["graph_name"], "");
  EXPECT_EQ(empty["execution_summary"].size(), 8u);

  const std::string node_id = graph["nodes"][0]["id"];
  HttpResponse details = Send("GET", "/v0/namespace/ns/graph/g/run/" + run_id + "/node/" + node_id);
  ASSERT_EQ(details.status, 200);
  EXPECT_EQ(Body(details)["status"], "CREATED");
  EXPECT_EQ(Send("GET", "/v0/namespace/ns/graph/g/run/" + run_id + "/node/zz").body,
            R"({"detail":"Invalid node ID format: zz"})");
  EXPECT_EQ(
      Send("GET", "/v0/namespace/ns/graph/other/run/" + run_id + "/node/" + node_id).body,
      R"({"detail":"Node )" + node_id + " not found in run " + run_id + R"( for graph other"})");
}

TEST_F(ApiTest, RegisteringNodesCreatesTheNamespace) {
  HttpResponse registered = Send("PUT", "/v0/namespace/team-a/nodes/", R"({"runtime_name": "rt",
      "nodes": [{"name": "A", "inputs_schema": {}, "outputs_schema": {}, "secrets": ["s"]}]})");
  ASSERT_EQ(registered.status, 200);
  EXPECT_EQ(
      registered.body,
      R"({"runtime_name":"rt","registered_nodes":[{"name":"A","inputs_schema":{},"outputs_schema":{},"secrets":["s"]}]})");
  Json namespaces = Body(Send("GET", "/v0/namespaces"));
  EXPECT_EQ(DumpJson(namespaces), R"({"namespaces":["team-a"],"count":1})");
  Json nodes = Body(Send("GET", "/v0/namespace/team-a/nodes/"));
  EXPECT_EQ(nodes["count"], 1);
  EXPECT_EQ(nodes["nodes"][0]["runtime_namespace"], "team-a");
  EXPECT_TRUE(ids::IsObjectId(nodes["nodes"][0]["_id"].get<std::string>()));
}

}  // namespace
}  // namespace exosphere::devserver
