#include "devserver/openapi.h"

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "devserver/api.h"
#include "devserver/request_dispatcher.h"
#include "devserver/secret_cipher.h"
#include "devserver/task_runner.h"
#include "tests/fakes/fake_clock.h"

namespace exosphere::devserver {
namespace {

using ::testing::HasSubstr;

// The API exactly as the devserver registers it, so the document is compared with what is
// really served.
class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *Store::Open(nullptr);
    tasks_ = std::make_unique<TaskRunner>(clock_, 1);
    graphs_ = std::make_unique<GraphService>(*store_, *tasks_, clock_, cipher_, absl::Hours(1));
    runs_ = std::make_unique<RunService>(*store_, clock_);
    next_states_ = std::make_unique<NextStateCreator>(*store_, *tasks_, clock_);
    states_ = std::make_unique<StateService>(*store_, *next_states_, clock_, cipher_);
    inspection_ = std::make_unique<InspectionService>(*store_);
    api_ = std::make_unique<Api>("key", *graphs_, *runs_, *states_, *inspection_);
    api_->Register(router_);
  }
  void TearDown() override { tasks_->Shutdown(); }

  HttpResponse Get(const std::string& path, const std::string& method = "GET") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    return RequestDispatcher(router_).Dispatch(request);
  }

  testing::FakeClock clock_;
  const SecretCipher cipher_ = *SecretCipher::FromKey(*SecretCipher::GenerateKey());
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

TEST_F(OpenApiTest, TheDocumentListsExactlyTheServedRoutes) {
  std::set<std::string> served;
  std::set<std::string> undocumented;
  for (const Router::RouteInfo& route : router_.Routes()) {
    const std::string operation = absl::AsciiStrToLower(route.method) + " " + route.pattern;
    (route.in_schema ? served : undocumented).insert(operation);
  }
  std::set<std::string> documented;
  for (const auto& [path, operations] : OpenApiDocument()["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      documented.insert(method + " " + path);
    }
  }
  EXPECT_EQ(documented, served);
  // FastAPI's own routes are served but, as there, not documented.
  EXPECT_EQ(undocumented, (std::set<std::string>{"get /openapi.json", "head /openapi.json",
                                                 "get /docs", "head /docs"}));
}

TEST_F(OpenApiTest, OperationsDeclareTheirPathParametersBodiesAndKey) {
  const Json& document = OpenApiDocument();
  EXPECT_EQ(document["openapi"], "3.1.0");
  const std::regex parameter(R"(\{(\w+)\})");
  std::set<std::string> operation_ids;
  for (const auto& [path, operations] : document["paths"].items()) {
    std::set<std::string> in_path;
    for (std::sregex_iterator it(path.begin(), path.end(), parameter), end; it != end; ++it) {
      in_path.insert((*it)[1]);
    }
    for (const auto& [method, operation] : operations.items()) {
      SCOPED_TRACE(method + " " + path);
      EXPECT_TRUE(operation_ids.insert(operation["operationId"].get<std::string>()).second);
      std::set<std::string> declared;
      for (const Json& p : operation.value("parameters", Json::array())) {
        EXPECT_EQ(p["in"], "path");
        EXPECT_EQ(p["required"], true);
        declared.insert(p["name"].get<std::string>());
      }
      EXPECT_EQ(declared, in_path);
      // Requests with a body are exactly the PUT and POST routes.
      EXPECT_EQ(operation.contains("requestBody"), method == "put" || method == "post");
      // Every /v0 route needs the key; /health does not.
      EXPECT_EQ(operation.contains("security"), absl::StartsWith(path, "/v0/"));
    }
  }
}

void CollectRefs(const Json& node, std::set<std::string>* refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref") {
        refs->insert(value.get<std::string>());
      } else {
        CollectRefs(value, refs);
      }
    }
  } else if (node.is_array()) {
    for (const Json& item : node) CollectRefs(item, refs);
  }
}

TEST_F(OpenApiTest, EveryReferencedSchemaExists) {
  std::set<std::string> refs;
  CollectRefs(OpenApiDocument(), &refs);
  ASSERT_FALSE(refs.empty());
  const Json& schemas = OpenApiDocument()["components"]["schemas"];
  for (const std::string& ref : refs) {
    ASSERT_TRUE(absl::StartsWith(ref, "#/components/schemas/")) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(std::string("#/components/schemas/").size()))) << ref;
  }
}

TEST_F(OpenApiTest, DocumentAndDocsPageAreServedWithoutAKey) {
  HttpResponse document = Get("/openapi.json");
  EXPECT_EQ(document.status, 200);
  EXPECT_EQ(document.content_type, "application/json");
  EXPECT_EQ(Json::parse(document.body), OpenApiDocument());
  EXPECT_EQ(Get("/openapi.json", "HEAD").status, 200);
  HttpResponse docs = Get("/docs");
  EXPECT_EQ(docs.status, 200);
  EXPECT_EQ(docs.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(docs.body, HasSubstr(R"(href="/openapi.json")"));
  EXPECT_EQ(Get("/redoc").status, 404);
  EXPECT_EQ(Get("/openapi.json", "POST").status, 405);
}

}  // namespace
}  // namespace exosphere::devserver
