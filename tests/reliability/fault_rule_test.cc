#include "tests/reliability/fault_rule.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::reliability {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FaultRuleTest, GlobStarMatchesAnyRunIncludingSlashes) {
  EXPECT_TRUE(
      GlobMatches("/v0/namespace/*/state/*/executed", "/v0/namespace/ns/state/abc/executed"));
  EXPECT_TRUE(GlobMatches("*executed", "/v0/namespace/ns/state/abc/executed"));
  EXPECT_TRUE(GlobMatches("*", ""));
  EXPECT_TRUE(GlobMatches("a*b*c", "aXXbYYbc"));
  EXPECT_FALSE(
      GlobMatches("/v0/namespace/*/state/*/executed", "/v0/namespace/ns/state/abc/errored"));
  EXPECT_FALSE(GlobMatches("abc", "abcd"));
  EXPECT_FALSE(GlobMatches("a*b", "acb/c"));
}

TEST(FaultRuleTest, EmptyFiltersMatchEverything) {
  FaultRule rule;
  EXPECT_TRUE(rule.Matches("GET", "/health", EndpointKind::kHealth));
  EXPECT_TRUE(rule.Matches("POST", "/x", EndpointKind::kOther));
}

TEST(FaultRuleTest, EveryFilterMustMatch) {
  FaultRule rule;
  rule.methods = {"POST"};
  rule.endpoints = {EndpointKind::kExecuted};
  rule.path_glob = "/v0/namespace/*/state/abc/*";
  EXPECT_TRUE(rule.Matches("POST", "/v0/namespace/ns/state/abc/executed", EndpointKind::kExecuted));
  EXPECT_TRUE(
      rule.Matches("POST", "/v0/namespace/ns/state/abc/executed?q=1", EndpointKind::kExecuted));
  EXPECT_FALSE(rule.Matches("GET", "/v0/namespace/ns/state/abc/executed", EndpointKind::kExecuted));
  EXPECT_FALSE(rule.Matches("POST", "/v0/namespace/ns/state/abc/errored", EndpointKind::kErrored));
  EXPECT_FALSE(
      rule.Matches("POST", "/v0/namespace/ns/state/xyz/executed", EndpointKind::kExecuted));
}

TEST(FaultRuleTest, ValidationAcceptsSensibleRules) {
  FaultRule delay;
  delay.delay = absl::Milliseconds(10);
  delay.max_delay = absl::Milliseconds(20);
  EXPECT_THAT(ValidateFaultRule(delay), IsOk());
  FaultRule truncate;
  truncate.kind = FaultKind::kTruncate;
  truncate.phase = FaultPhase::kAfterForward;
  EXPECT_THAT(ValidateFaultRule(truncate), IsOk());
}

TEST(FaultRuleTest, ValidationNamesTheProblem) {
  FaultRule rule;
  rule.name = "r";
  rule.probability = 1.5;
  EXPECT_THAT(ValidateFaultRule(rule),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'r' (delay): probability")));
  rule = FaultRule{};
  rule.delay = absl::Milliseconds(20);
  rule.max_delay = absl::Milliseconds(10);
  EXPECT_THAT(ValidateFaultRule(rule),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_delay")));
  rule = FaultRule{};
  rule.kind = FaultKind::kStatus;
  rule.status = 200;
  EXPECT_THAT(ValidateFaultRule(rule),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("400..599")));
  rule = FaultRule{};
  rule.kind = FaultKind::kTruncate;
  EXPECT_THAT(ValidateFaultRule(rule),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after_forward")));
  rule = FaultRule{};
  rule.methods = {"post"};
  EXPECT_THAT(ValidateFaultRule(rule),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("upper case")));
  rule = FaultRule{};
  rule.max_injections = -1;
  EXPECT_THAT(ValidateFaultRule(rule),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_injections")));
}

TEST(FaultRuleTest, KindAndPhaseNamesRoundTrip) {
  for (FaultKind kind : {FaultKind::kDelay, FaultKind::kDrop, FaultKind::kReset, FaultKind::kStatus,
                         FaultKind::kTruncate, FaultKind::kMalformed, FaultKind::kBlackhole}) {
    EXPECT_EQ(ParseFaultKind(FaultKindName(kind)), kind);
  }
  EXPECT_EQ(ParseFaultPhase("before_forward"), FaultPhase::kBeforeForward);
  EXPECT_EQ(ParseFaultPhase(FaultPhaseName(FaultPhase::kAfterForward)), FaultPhase::kAfterForward);
  EXPECT_FALSE(ParseFaultKind("explode").has_value());
  EXPECT_FALSE(ParseFaultPhase("during").has_value());
}

}  // namespace
}  // namespace exosphere::reliability
