#include "tests/reliability/fault_proxy_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::reliability {
namespace {

using ::exosphere::testing::StatusIs;
using json::Json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FaultProxyJsonTest, ParsesEveryField) {
  ASSERT_OK_AND_ASSIGN(std::vector<FaultRule> rules, ParseFaultRules(R"({"rules": [
      {"name": "lost", "kind": "drop", "phase": "after_forward", "probability": 0.25,
       "enabled": false, "max_injections": 3, "methods": ["POST"],
       "endpoints": ["executed", "errored"], "path": "/v0/*"},
      {"kind": "delay", "delay_ms": 10, "max_delay_ms": 30},
      {"kind": "status", "status": 429}]})"));
  ASSERT_EQ(rules.size(), 3u);
  const FaultRule& lost = rules[0];
  EXPECT_EQ(lost.name, "lost");
  EXPECT_EQ(lost.kind, FaultKind::kDrop);
  EXPECT_EQ(lost.phase, FaultPhase::kAfterForward);
  EXPECT_DOUBLE_EQ(lost.probability, 0.25);
  EXPECT_FALSE(lost.enabled);
  EXPECT_EQ(lost.max_injections, 3);
  EXPECT_THAT(lost.methods, ElementsAre("POST"));
  EXPECT_THAT(lost.endpoints, ElementsAre(EndpointKind::kExecuted, EndpointKind::kErrored));
  EXPECT_EQ(lost.path_glob, "/v0/*");
  EXPECT_EQ(rules[1].delay, absl::Milliseconds(10));
  EXPECT_EQ(rules[1].max_delay, absl::Milliseconds(30));
  EXPECT_EQ(rules[1].phase, FaultPhase::kBeforeForward);
  EXPECT_EQ(rules[2].status, 429);
}

TEST(FaultProxyJsonTest, AcceptsABareArray) {
  ASSERT_OK_AND_ASSIGN(std::vector<FaultRule> rules,
                       ParseFaultRules(R"([{"kind": "reset"}, {"kind": "blackhole"}])"));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].kind, FaultKind::kReset);
  EXPECT_EQ(rules[1].kind, FaultKind::kBlackhole);
}

TEST(FaultProxyJsonTest, RejectsUnknownFieldsKindsAndEndpoints) {
  EXPECT_THAT(ParseFaultRules(R"([{"kind": "drop", "probabilty": 0.5}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'probabilty'")));
  EXPECT_THAT(ParseFaultRules(R"([{"kind": "explode"}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'kind'")));
  EXPECT_THAT(ParseFaultRules(R"([{"name": "x", "kind": "drop", "endpoints": ["executd"]}])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'x': field 'endpoints' names an unknown endpoint 'executd'")));
  EXPECT_THAT(ParseFaultRules(R"([{"name": "x"}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'kind' is required")));
  EXPECT_THAT(ParseFaultRules(R"([{"kind": "delay", "delay_ms": "10"}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("integer")));
  EXPECT_THAT(ParseFaultRules(R"({"rules": 3})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be an array")));
  EXPECT_THAT(ParseFaultRules("not json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON")));
}

TEST(FaultProxyJsonTest, RulesRoundTrip) {
  FaultRule rule;
  rule.name = "slow-enqueue";
  rule.kind = FaultKind::kDelay;
  rule.delay = absl::Milliseconds(5);
  rule.max_delay = absl::Milliseconds(50);
  rule.endpoints = {EndpointKind::kEnqueue};
  rule.methods = {"POST"};
  rule.probability = 0.5;
  rule.max_injections = 7;
  ASSERT_OK_AND_ASSIGN(std::vector<FaultRule> parsed, FaultRulesFromJson(FaultRulesToJson({rule})));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(json::Dump(FaultRuleToJson(parsed[0])), json::Dump(FaultRuleToJson(rule)));
}

TEST(FaultProxyJsonTest, StatsListDuplicatesAndPerStateOnlyOnRequest) {
  FaultProxyStats stats;
  stats.requests[{"POST", EndpointKind::kExecuted}] = 3;
  stats.faults_by_kind[FaultKind::kDrop] = 2;
  stats.faults_by_rule["lost"] = 2;
  stats.upstream_statuses[200] = 3;
  stats.applied_reports["a"].executed = 2;
  stats.applied_reports["b"].executed = 1;
  stats.claims["a"] = {2, 2};
  stats.claims["c"] = {1, 0};
  const Json summary = StatsToJson(stats, /*per_state=*/false);
  EXPECT_EQ(summary["requests"]["POST executed"], 3);
  EXPECT_EQ(summary["faults_by_kind"]["drop"], 2);
  EXPECT_EQ(summary["faults_total"], 2);
  EXPECT_EQ(summary["upstream_statuses"]["200"], 3);
  EXPECT_EQ(summary["applied"]["executed"], 3);
  EXPECT_EQ(summary["duplicate_executed_states"], Json::array({"a"}));
  EXPECT_EQ(summary["claimed_states"], 2);
  EXPECT_EQ(summary["undelivered_claim_states"], Json::array({"c"}));
  EXPECT_FALSE(summary.contains("applied_reports"));
  EXPECT_EQ(StatsToJson(stats, /*per_state=*/true)["applied_reports"]["b"]["executed"], 1);
}

}  // namespace
}  // namespace exosphere::reliability
