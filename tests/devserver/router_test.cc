#include "devserver/router.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::devserver {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("PUT", "/v0/namespace/{namespace}/nodes/");
    Add("GET", "/v0/namespace/{namespace}/graph/{graph_name}");
    Add("PUT", "/v0/namespace/{namespace}/graph/{graph_name}");
    Add("POST", "/v0/namespace/{namespace}/graph/{graph_name}/trigger");
    Add("GET", "/health");
  }

  void Add(const std::string& method, const std::string& pattern) {
    router_.Add(method, pattern, [pattern](const HttpRequest&, const Router::Params&) {
      HttpResponse response;
      response.body = pattern;
      return response;
    });
  }

  Router router_;
};

TEST_F(RouterTest, MatchesPathAndMethodAndExtractsParameters) {
  Router::Match match = router_.Find("POST", "/v0/namespace/ns1/graph/g-1/trigger");
  ASSERT_EQ(match.kind, Router::Match::Kind::kFound);
  EXPECT_THAT(match.params, ElementsAre(Pair("graph_name", "g-1"), Pair("namespace", "ns1")));
  EXPECT_EQ((*match.handler)(HttpRequest(), match.params).body,
            "/v0/namespace/{namespace}/graph/{graph_name}/trigger");
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowedWithTheFirstRoutesMethod) {
  Router::Match match = router_.Find("DELETE", "/v0/namespace/ns/graph/g");
  EXPECT_EQ(match.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_THAT(match.allowed_methods, ElementsAre("GET", "PUT"));
  EXPECT_EQ(router_.Find("HEAD", "/health").kind, Router::Match::Kind::kMethodNotAllowed);
}

TEST_F(RouterTest, WrongTrailingSlashRedirectsToTheOtherForm) {
  Router::Match match = router_.Find("PUT", "/v0/namespace/ns/nodes");
  ASSERT_EQ(match.kind, Router::Match::Kind::kRedirect);
  EXPECT_EQ(match.redirect_path, "/v0/namespace/ns/nodes/");
  match = router_.Find("GET", "/v0/namespace/ns/graph/g//");
  ASSERT_EQ(match.kind, Router::Match::Kind::kRedirect);
  EXPECT_EQ(match.redirect_path, "/v0/namespace/ns/graph/g");
  // A redirect happens whatever the method of the other form.
  EXPECT_EQ(router_.Find("DELETE", "/v0/namespace/ns/nodes").kind, Router::Match::Kind::kRedirect);
}

TEST_F(RouterTest, UnknownPathsAndEmptySegmentsAreNotFound) {
  EXPECT_EQ(router_.Find("GET", "/nope").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router_.Find("PUT", "/v0/namespace//nodes/").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/v0/namespace/a/b/graph/g").kind, Router::Match::Kind::kNotFound);
}

}  // namespace
}  // namespace exosphere::devserver
