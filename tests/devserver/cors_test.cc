#include "devserver/cors.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "devserver/devserver.h"

namespace exosphere::devserver {
namespace {

using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

HttpRequest Request(std::string method, std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = "/v0/namespace/ns/nodes/";
  request.headers = std::move(headers);
  return request;
}

HttpRequest Preflight(const std::string& origin, const std::string& method = "GET",
                      const std::string& headers = "x-api-key,content-type") {
  return Request("OPTIONS", {{"Origin", origin},
                             {"Access-Control-Request-Method", method},
                             {"Access-Control-Request-Headers", headers}});
}

// Starlette's CORSMiddleware as the state manager configures it, with its default origins.
class CorsTest : public ::testing::Test {
 protected:
  const Cors cors_{DefaultCorsOrigins()};
};

TEST_F(CorsTest, APreflightFromAnAllowedOriginIsAnsweredOk) {
  std::optional<HttpResponse> response = cors_.Preflight(Preflight("http://localhost:3000"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "OK");
  EXPECT_EQ(response->content_type, "text/plain; charset=utf-8");
  EXPECT_THAT(response->headers,
              ::testing::ElementsAre(
                  Pair("Vary", "Origin"),
                  Pair("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS, PATCH"),
                  Pair("Access-Control-Max-Age", "600"),
                  Pair("Access-Control-Allow-Headers",
                       "Accept, Accept-Language, Authorization, Content-Language, Content-Type, "
                       "X-API-Key, X-Exosphere-Request-ID, X-Requested-With"),
                  Pair("Access-Control-Allow-Credentials", "true"),
                  Pair("Access-Control-Allow-Origin", "http://localhost:3000")));
}

TEST_F(CorsTest, APreflightFromAnotherOriginIs400WithoutAllowOrigin) {
  std::optional<HttpResponse> response = cors_.Preflight(Preflight("https://evil.example"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, "Disallowed CORS origin");
  EXPECT_THAT(response->headers, Not(Contains(Key("Access-Control-Allow-Origin"))));
}

TEST_F(CorsTest, DisallowedMethodsAndHeadersAreNamed) {
  EXPECT_EQ(cors_.Preflight(Preflight("http://127.0.0.1:3001", "TRACE"))->body,
            "Disallowed CORS method");
  EXPECT_EQ(cors_.Preflight(Preflight("http://127.0.0.1:3001", "PUT", "X-API-Key, X-Other"))->body,
            "Disallowed CORS headers");
  EXPECT_EQ(cors_.Preflight(Preflight("http://nope", "TRACE", "x-other"))->body,
            "Disallowed CORS origin, method, headers");
  // Header names are compared case-insensitively, blanks trimmed.
  EXPECT_EQ(
      cors_.Preflight(Preflight("http://127.0.0.1:3001", "PUT", " X-Api-Key , ACCEPT"))->status,
      200);
}

TEST_F(CorsTest, OnlyOptionsWithOriginAndRequestMethodIsAPreflight) {
  EXPECT_FALSE(cors_.Preflight(Request("OPTIONS", {{"Origin", "http://localhost:3000"}})));
  EXPECT_FALSE(cors_.Preflight(Request("OPTIONS", {{"Access-Control-Request-Method", "GET"}})));
  EXPECT_FALSE(cors_.Preflight(Request(
      "GET", {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "GET"}})));
}

TEST_F(CorsTest, ResponsesToAllowedOriginsCarryAllowOriginAndExposeTheRequestId) {
  HttpResponse response;
  response.headers = {{"Vary", "Accept-Encoding"}};
  cors_.Decorate(Request("GET", {{"Origin", "http://localhost:3001"}}), response);
  EXPECT_THAT(response.headers, ::testing::UnorderedElementsAre(
                                    Pair("Vary", "Accept-Encoding, Origin"),
                                    Pair("Access-Control-Allow-Credentials", "true"),
                                    Pair("Access-Control-Expose-Headers", "X-Exosphere-Request-ID"),
                                    Pair("Access-Control-Allow-Origin", "http://localhost:3001")));

  HttpResponse other;
  cors_.Decorate(Request("GET", {{"Origin", "https://evil.example"}}), other);
  EXPECT_THAT(other.headers, Not(Contains(Key("Access-Control-Allow-Origin"))));
  EXPECT_THAT(other.headers, Contains(Pair("Access-Control-Allow-Credentials", "true")));

  HttpResponse no_origin;
  cors_.Decorate(Request("GET", {}), no_origin);
  EXPECT_TRUE(no_origin.headers.empty());
}

TEST_F(CorsTest, AWildcardAllowsEveryOriginAndEchoesItForCookies) {
  const Cors any({"*"});
  EXPECT_EQ(any.Preflight(Preflight("https://anywhere.example"))->status, 200);
  HttpResponse plain;
  any.Decorate(Request("GET", {{"Origin", "https://anywhere.example"}}), plain);
  EXPECT_THAT(plain.headers, Contains(Pair("Access-Control-Allow-Origin", "*")));
  HttpResponse with_cookie;
  any.Decorate(Request("GET", {{"Origin", "https://anywhere.example"}, {"Cookie", "a=b"}}),
               with_cookie);
  EXPECT_THAT(with_cookie.headers,
              Contains(Pair("Access-Control-Allow-Origin", "https://anywhere.example")));
}

TEST(CorsOriginsTest, ParsesTheServersCommaSeparatedSyntax) {
  EXPECT_THAT(ParseCorsOrigins(" http://a:1 ,,http://b:2,  "),
              ::testing::ElementsAre("http://a:1", "http://b:2"));
  EXPECT_TRUE(ParseCorsOrigins(" , ").empty());
  EXPECT_THAT(DefaultCorsOrigins(),
              ::testing::ElementsAre("http://localhost:3000", "http://localhost:3001",
                                     "http://127.0.0.1:3000", "http://127.0.0.1:3001"));
}

}  // namespace
}  // namespace exosphere::devserver
