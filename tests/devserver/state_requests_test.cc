#include "devserver/state_requests.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "devserver/python_json_decoder.h"

namespace exosphere::devserver {
namespace {

using ::testing::ElementsAre;

Json Parse(const std::string& text) {
  PythonJsonResult result = DecodePythonJson(text);
  EXPECT_EQ(result.outcome, PythonJsonResult::Outcome::kOk) << text;
  return result.value;
}

class StateRequestsTest : public ::testing::Test {
 protected:
  std::string ErrorsJson() const { return DumpJson(errors_.items()); }

  ValidationErrors errors_;
  FieldReader reader_{errors_};
};

TEST_F(StateRequestsTest, TriggerFieldsAllHaveDefaults) {
  std::optional<TriggerRequest> request = ParseTriggerRequest(Parse("{}"), reader_);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->start_delay, 0);
  EXPECT_TRUE(request->inputs.empty());
  request = ParseTriggerRequest(
      Parse(R"({"inputs": {"a": "1"}, "store": {"k": "v"}, "start_delay": "250"})"), reader_);
  ASSERT_TRUE(request.has_value()) << ErrorsJson();
  EXPECT_EQ(request->start_delay, 250);
  EXPECT_EQ(DumpJson(request->store), R"({"k":"v"})");
}

TEST_F(StateRequestsTest, TriggerRejectsNegativeDelaysAndNonStringValues) {
  EXPECT_FALSE(ParseTriggerRequest(Parse(R"({"inputs": {"a": 1}, "start_delay": -5})"), reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"string_type","loc":["body","inputs","a"],"msg":"Input should be a valid string","input":1},)"
      R"({"type":"greater_than_equal","loc":["body","start_delay"],"msg":"Input should be greater than or equal to 0","input":-5,"ctx":{"ge":0}}])");
}

TEST_F(StateRequestsTest, EnqueueRequiresNodesAndBatchSize) {
  std::optional<EnqueueRequest> request =
      ParseEnqueueRequest(Parse(R"({"nodes": ["A", "B"], "batch_size": 16})"), reader_);
  ASSERT_TRUE(request.has_value());
  EXPECT_THAT(request->nodes, ElementsAre("A", "B"));
  EXPECT_EQ(request->batch_size, 16);
  EXPECT_FALSE(ParseEnqueueRequest(Parse("{}"), reader_));
  EXPECT_EQ(ErrorsJson(),
            R"([{"type":"missing","loc":["body","nodes"],"msg":"Field required","input":{}},)"
            R"({"type":"missing","loc":["body","batch_size"],"msg":"Field required","input":{}}])");
}

TEST_F(StateRequestsTest, ExecutedOutputsMustBeObjects) {
  std::optional<ExecutedRequest> request =
      ParseExecutedRequest(Parse(R"({"outputs": [{"a": 1}, {}]})"), reader_);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->outputs.size(), 2u);
  EXPECT_FALSE(ParseExecutedRequest(Parse(R"({"outputs": [{}, "x"]})"), reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"dict_type","loc":["body","outputs",1],"msg":"Input should be a valid dictionary","input":"x"}])");
}

TEST_F(StateRequestsTest, SignalsAndReports) {
  EXPECT_TRUE(ParseErroredRequest(Parse(R"({"error": "boom"})"), reader_).has_value());
  EXPECT_TRUE(ParsePruneRequest(Parse(R"({"data": {"why": "skip"}})"), reader_).has_value());
  EXPECT_TRUE(ParseManualRetryRequest(Parse(R"({"fanout_id": "f"})"), reader_).has_value());
  std::optional<ReEnqueueAfterRequest> requeue =
      ParseReEnqueueAfterRequest(Parse(R"({"enqueue_after": 1500})"), reader_);
  ASSERT_TRUE(requeue.has_value());
  EXPECT_EQ(requeue->enqueue_after, 1500);
  EXPECT_TRUE(errors_.empty()) << ErrorsJson();
}

TEST_F(StateRequestsTest, ReEnqueueAfterMustBePositive) {
  EXPECT_FALSE(ParseReEnqueueAfterRequest(Parse(R"({"enqueue_after": 0})"), reader_));
  // The contract's example, byte for byte.
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"greater_than","loc":["body","enqueue_after"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}}])");
}

TEST_F(StateRequestsTest, RequiredFieldsAndTypes) {
  EXPECT_FALSE(ParseErroredRequest(Parse(R"({"error": null})"), reader_));
  EXPECT_FALSE(ParsePruneRequest(Parse("{}"), reader_));
  EXPECT_FALSE(ParseManualRetryRequest(Parse("[]"), reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"string_type","loc":["body","error"],"msg":"Input should be a valid string","input":null},)"
      R"({"type":"missing","loc":["body","data"],"msg":"Field required","input":{}},)"
      R"({"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[]}])");
}

}  // namespace
}  // namespace exosphere::devserver
