#include "tests/reliability/fault_proxy_control.h"

#include <httplib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "tests/reliability/proxy_test_peers.h"
#include "tests/support/status_matchers.h"

namespace exosphere::reliability {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class FaultProxyControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(upstream_, TestUpstream::Start());
    FaultProxyOptions options;
    options.upstream_port = upstream_->port();
    ASSERT_OK_AND_ASSIGN(proxy_, FaultProxy::Start(options));
    ASSERT_OK_AND_ASSIGN(control_, FaultProxyControl::Start(*proxy_, 0));
    api_ = std::make_unique<httplib::Client>("127.0.0.1", control_->port());
  }

  void TearDown() override {
    api_.reset();
    control_.reset();
    proxy_.reset();
    upstream_.reset();
  }

  Json Body(const httplib::Result& result) {
    EXPECT_TRUE(result);
    return result ? Json::parse(result->body, nullptr, false) : Json();
  }

  std::unique_ptr<TestUpstream> upstream_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<FaultProxyControl> control_;
  std::unique_ptr<httplib::Client> api_;
};

TEST_F(FaultProxyControlTest, PutFaultsReplacesTheRulesAndTheProxyAppliesThem) {
  httplib::Result put =
      api_->Put("/faults", R"({"rules": [{"name": "busy", "kind": "status", "status": 503,
                                "endpoints": ["executed"]}]})",
                "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(Body(api_->Get("/faults"))["rules"][0]["name"], "busy");

  httplib::Client through("127.0.0.1", proxy_->port());
  EXPECT_EQ(through.Post("/v0/namespace/ns/state/abc/executed", "{}", "application/json")->status,
            503);
  EXPECT_EQ(through.Get("/health")->status, 200);

  const Json stats = Body(api_->Get("/stats"));
  EXPECT_EQ(stats["faults_by_rule"]["busy"], 1);
  EXPECT_EQ(stats["requests"]["POST executed"], 1);
  EXPECT_EQ(stats["requests"]["GET health"], 1);
}

TEST_F(FaultProxyControlTest, InvalidRuleSetsAre400WithTheReason) {
  httplib::Result put = api_->Put("/faults", R"([{"kind": "truncate"}])", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 400);
  EXPECT_THAT(Body(put)["detail"].get<std::string>(), HasSubstr("after_forward"));
  httplib::Result bad_json = api_->Put("/faults", "{", "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
}

TEST_F(FaultProxyControlTest, RulesCanBeAddedSwitchedAndRemoved) {
  ASSERT_EQ(api_->Post("/faults", R"({"name": "r", "kind": "drop", "enabled": false})",
                       "application/json")
                ->status,
            200);
  EXPECT_EQ(Body(api_->Post("/faults/r/enable"))["rules"][0]["enabled"], true);
  EXPECT_EQ(proxy_->Rules().at(0).enabled, true);
  EXPECT_EQ(Body(api_->Post("/faults/r/disable"))["rules"][0]["enabled"], false);
  EXPECT_EQ(api_->Post("/faults/nope/enable")->status, 404);
  EXPECT_EQ(api_->Delete("/faults/r")->status, 200);
  EXPECT_TRUE(proxy_->Rules().empty());
  ASSERT_EQ(api_->Post("/faults", R"({"kind": "drop"})", "application/json")->status, 200);
  EXPECT_EQ(api_->Delete("/faults")->status, 200);
  EXPECT_TRUE(proxy_->Rules().empty());
}

TEST_F(FaultProxyControlTest, DownAndUp) {
  EXPECT_EQ(Body(api_->Post("/down"))["down"], true);
  EXPECT_TRUE(proxy_->IsDown());
  EXPECT_EQ(Body(api_->Get("/health"))["down"], true);
  EXPECT_EQ(Body(api_->Post("/up"))["down"], false);
  EXPECT_FALSE(proxy_->IsDown());
}

TEST_F(FaultProxyControlTest, StatsListStatesOnRequest) {
  httplib::Client through("127.0.0.1", proxy_->port());
  ASSERT_TRUE(through.Post("/v0/namespace/ns/state/abc/executed", "{}", "application/json"));
  EXPECT_FALSE(Body(api_->Get("/stats")).contains("applied_reports"));
  EXPECT_EQ(Body(api_->Get("/stats?states=1"))["applied_reports"]["abc"]["executed"], 1);
}

}  // namespace
}  // namespace exosphere::reliability
