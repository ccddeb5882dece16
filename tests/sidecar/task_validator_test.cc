#include "sidecar/core/task_validator.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

constexpr size_t kLimit = 8 << 20;

NodeSpec Node() {
  NodeSpec node;
  node.name = "n";
  node.input_fields = {"a"};
  node.output_fields = {"x", "y"};
  node.secret_fields = {"key"};
  return node;
}

TEST(TaskValidatorTest, InputsMustBeStringsAndIncludeTheDeclaredFields) {
  ASSERT_OK_AND_ASSIGN(json::StringMap inputs,
                       ValidateInputs(Node(), {{"a", "1"}, {"extra", "2"}}));
  EXPECT_EQ(inputs.size(), 2u);
  EXPECT_THAT(ValidateInputs(Node(), {{"a", json::Json::array()}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("input \"a\" of node \"n\" is a array")));
  EXPECT_THAT(ValidateInputs(Node(), json::Json::object()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("input \"a\" declared by node \"n\" is missing")));
  EXPECT_THAT(ValidateInputs(Node(), "text"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
}

TEST(TaskValidatorTest, OnlyDeclaredSecretsAreSelected) {
  ASSERT_OK_AND_ASSIGN(json::StringMap selected,
                       SelectSecrets(Node(), {{"key", "v"}, {"other", "w"}}));
  EXPECT_EQ(selected, (json::StringMap{{"key", "v"}}));
  EXPECT_THAT(SelectSecrets(Node(), {{"other", "w"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("secret \"key\"")));
}

TEST(TaskValidatorTest, ExecutedOutputsMustCarryEveryDeclaredField) {
  v1::TaskResult result;
  result.set_state_id("s");
  auto* first = result.mutable_executed()->add_outputs()->mutable_fields();
  (*first)["x"] = "1";
  (*first)["y"] = "2";
  (*first)["z"] = "extra";
  ValidatedResult ok = ValidateResult(Node(), result, kLimit);
  EXPECT_TRUE(ok.violation.empty());
  EXPECT_EQ(ok.report.kind, Report::Kind::kExecuted);
  EXPECT_EQ(ok.report.outputs[0].at("z"), "extra");

  (*result.mutable_executed()->add_outputs()->mutable_fields())["x"] = "only";
  ValidatedResult bad = ValidateResult(Node(), result, kLimit);
  EXPECT_EQ(bad.violation, "output 1 of node \"n\" lacks the declared field \"y\"");
  EXPECT_EQ(bad.report.kind, Report::Kind::kErrored);
  EXPECT_EQ(bad.report.error, bad.violation);
}

TEST(TaskValidatorTest, ZeroOutputsAreAValidExecution) {
  v1::TaskResult result;
  result.set_state_id("s");
  result.mutable_executed();
  ValidatedResult validated = ValidateResult(Node(), result, kLimit);
  EXPECT_TRUE(validated.violation.empty());
  EXPECT_TRUE(validated.report.outputs.empty());
}

TEST(TaskValidatorTest, RequeueDelayMustBePositiveAndAnOutcomeIsRequired) {
  v1::TaskResult result;
  result.set_state_id("s");
  result.mutable_requeue_after()->set_delay_ms(0);
  EXPECT_THAT(ValidateResult(Node(), result, kLimit).violation, HasSubstr("must be between 1 and"));
  result.clear_outcome();
  EXPECT_THAT(ValidateResult(Node(), result, kLimit).violation, HasSubstr("has no outcome"));
  result.mutable_errored()->set_message("");
  EXPECT_THAT(ValidateResult(Node(), result, kLimit).report.error,
              HasSubstr("failed without a message"));
}

TEST(TaskValidatorTest, PruneDataBecomesAJsonObject) {
  v1::TaskResult result;
  result.set_state_id("s");
  auto& fields = *result.mutable_prune()->mutable_data()->mutable_fields();
  fields["reason"].set_string_value("duplicate");
  fields["count"].set_number_value(2);
  ValidatedResult validated = ValidateResult(Node(), result, kLimit);
  EXPECT_EQ(validated.report.prune_data, json::Json({{"reason", "duplicate"}, {"count", 2.0}}));
  EXPECT_EQ(validated.report.Body(),
            json::Json({{"data", {{"reason", "duplicate"}, {"count", 2.0}}}}));
}

TEST(TaskValidatorTest, AResultWhoseReportWouldBeTooLargeIsAViolationReportedErrored) {
  v1::TaskResult result;
  result.set_state_id("s1");
  auto& fields = *result.mutable_executed()->add_outputs()->mutable_fields();
  fields["x"] = "";
  fields["y"] = std::string(20000, '\n');
  // 20,000 newlines are 40,000 bytes of JSON.
  ValidatedResult executed = ValidateResult(Node(), result, 40000);
  EXPECT_THAT(executed.violation, HasSubstr("would be 400"));
  EXPECT_THAT(executed.violation, HasSubstr("over the sidecar's limit of 40000"));
  EXPECT_EQ(executed.report.kind, Report::Kind::kErrored);
  EXPECT_TRUE(ValidateResult(Node(), result, 50000).violation.empty());

  result.mutable_errored()->set_message(std::string(1 << 20, 'e'));
  ValidatedResult errored = ValidateResult(Node(), result, 65536);
  EXPECT_FALSE(errored.violation.empty());
  // The worker's own message is kept, cut short.
  EXPECT_EQ(errored.report.kind, Report::Kind::kErrored);
  EXPECT_EQ(errored.report.error.substr(0, 10), "eeeeeeeeee");
  EXPECT_LT(errored.report.error.size(), 4200u);
  EXPECT_THAT(errored.report.error, HasSubstr("cut by the sidecar from 1048576 bytes"));
}

}  // namespace
}  // namespace exosphere::sidecar
