#include "devserver/graph_requests.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "devserver/python_json_decoder.h"

namespace exosphere::devserver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Json Parse(const std::string& text) {
  PythonJsonResult result = DecodePythonJson(text);
  EXPECT_EQ(result.outcome, PythonJsonResult::Outcome::kOk) << text;
  return result.value;
}

class GraphRequestsTest : public ::testing::Test {
 protected:
  std::string ErrorsJson() const { return DumpJson(errors_.items()); }

  ValidationErrors errors_;
  FieldReader reader_{errors_};
};

TEST_F(GraphRequestsTest, ParsesRegistrationIgnoringUnknownFields) {
  std::optional<RegisterNodesRequest> request = ParseRegisterNodesRequest(
      Parse(R"({"runtime_name": "rt", "runtime_namespace": "ignored", "nodes": [
        {"name": "A", "namespace": "x", "inputs_schema": {"type": "object"},
         "outputs_schema": {}, "secrets": ["s"]}]})"),
      reader_);
  ASSERT_TRUE(request.has_value()) << ErrorsJson();
  EXPECT_EQ(request->runtime_name, "rt");
  ASSERT_EQ(request->nodes.size(), 1u);
  EXPECT_EQ(request->nodes[0].name, "A");
  EXPECT_THAT(request->nodes[0].secrets, ElementsAre("s"));
}

TEST_F(GraphRequestsTest, RegistrationRequiresSecrets) {
  EXPECT_FALSE(ParseRegisterNodesRequest(
      Parse(
          R"({"runtime_name": "rt", "nodes": [{"name": "A", "inputs_schema": {}, "outputs_schema": {}}]})"),
      reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"missing","loc":["body","nodes",0,"secrets"],"msg":"Field required","input":{"name":"A","inputs_schema":{},"outputs_schema":{}}}])");
}

TEST_F(GraphRequestsTest, NormalizesNodeTemplatesAndAppliesDefaults) {
  std::optional<UpsertGraphRequest> request =
      ParseUpsertGraphRequest(Parse(R"({"secrets": {"k": "v"}, "nodes": [
        {"node_name": " A ", "namespace": "ns", "identifier": " a ", "inputs": {"x": "1"},
         "next_nodes": [" b "], "unites": null},
        {"node_name": "B", "namespace": "ns", "identifier": "b", "inputs": {},
         "unites": {"identifier": " a "}}]})"),
                              reader_);
  ASSERT_TRUE(request.has_value()) << ErrorsJson();
  EXPECT_EQ(request->nodes[0].node_name, "A");
  EXPECT_EQ(request->nodes[0].identifier, "a");
  EXPECT_THAT(*request->nodes[0].next_nodes, ElementsAre("b"));
  EXPECT_FALSE(request->nodes[1].next_nodes.has_value());
  EXPECT_EQ(request->nodes[1].unites->identifier, "a");
  EXPECT_EQ(request->nodes[1].unites->strategy, UnitesStrategy::kAllSuccess);
  EXPECT_EQ(request->retry_policy.max_retries, 3);
  EXPECT_EQ(request->retry_policy.strategy, RetryStrategy::kExponential);
  EXPECT_FALSE(request->retry_policy.max_delay.has_value());
  EXPECT_TRUE(request->store_config.required_keys.empty());
  EXPECT_TRUE(request->triggers.empty());
}

TEST_F(GraphRequestsTest, ReportsEveryNodeFieldProblem) {
  EXPECT_FALSE(ParseUpsertGraphRequest(Parse(R"({"secrets": {}, "nodes": [
        {"node_name": "  ", "namespace": "ns", "identifier": "store", "inputs": {},
         "next_nodes": ["x", "", "x"], "unites": {"identifier": " "}},
        {"namespace": 5, "identifier": "", "inputs": [], "unites": {"identifier": "u", "strategy": "ANY"}},
        "text"]})"),
                                       reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"value_error","loc":["body","nodes",0,"node_name"],"msg":"Value error, Node name cannot be empty","input":"  ","ctx":{"error":{}}},)"
      R"({"type":"value_error","loc":["body","nodes",0,"identifier"],"msg":"Value error, Node identifier cannot be reserved word 'store'","input":"store","ctx":{"error":{}}},)"
      R"({"type":"value_error","loc":["body","nodes",0,"next_nodes"],"msg":"Value error, Next node identifier cannot be empty\nNext node identifier x is not unique","input":["x","","x"],"ctx":{"error":{}}},)"
      R"({"type":"value_error","loc":["body","nodes",0,"unites"],"msg":"Value error, Unites identifier cannot be empty","input":{"identifier":" "},"ctx":{"error":{}}},)"
      R"({"type":"missing","loc":["body","nodes",1,"node_name"],"msg":"Field required","input":{"namespace":5,"identifier":"","inputs":[],"unites":{"identifier":"u","strategy":"ANY"}}},)"
      R"({"type":"string_type","loc":["body","nodes",1,"namespace"],"msg":"Input should be a valid string","input":5},)"
      R"({"type":"value_error","loc":["body","nodes",1,"identifier"],"msg":"Value error, Node identifier cannot be empty","input":"","ctx":{"error":{}}},)"
      R"({"type":"dict_type","loc":["body","nodes",1,"inputs"],"msg":"Input should be a valid dictionary","input":[]},)"
      R"({"type":"enum","loc":["body","nodes",1,"unites","strategy"],"msg":"Input should be 'ALL_SUCCESS' or 'ALL_DONE'","input":"ANY","ctx":{"expected":"'ALL_SUCCESS' or 'ALL_DONE'"}},)"
      R"({"type":"model_attributes_type","loc":["body","nodes",2],"msg":"Input should be a valid dictionary or object to extract fields from","input":"text"}])");
}

TEST_F(GraphRequestsTest, ValidatesRetryPolicyBounds) {
  EXPECT_FALSE(ParseUpsertGraphRequest(
      Parse(R"({"secrets": {}, "nodes": [], "retry_policy": {"max_retries": -1,
        "strategy": "SOMETIMES", "backoff_factor": 0, "exponent": "2", "max_delay": 0}})"),
      reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"greater_than_equal","loc":["body","retry_policy","max_retries"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}},)"
      R"({"type":"enum","loc":["body","retry_policy","strategy"],"msg":"Input should be 'EXPONENTIAL', 'EXPONENTIAL_FULL_JITTER', 'EXPONENTIAL_EQUAL_JITTER', 'LINEAR', 'LINEAR_FULL_JITTER', 'LINEAR_EQUAL_JITTER', 'FIXED', 'FIXED_FULL_JITTER' or 'FIXED_EQUAL_JITTER'","input":"SOMETIMES","ctx":{"expected":"'EXPONENTIAL', 'EXPONENTIAL_FULL_JITTER', 'EXPONENTIAL_EQUAL_JITTER', 'LINEAR', 'LINEAR_FULL_JITTER', 'LINEAR_EQUAL_JITTER', 'FIXED', 'FIXED_FULL_JITTER' or 'FIXED_EQUAL_JITTER'"}},)"
      R"({"type":"greater_than","loc":["body","retry_policy","backoff_factor"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}},)"
      R"({"type":"greater_than","loc":["body","retry_policy","max_delay"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}}])");
}

TEST_F(GraphRequestsTest, ValidatesStoreKeysAndCoercesDefaults) {
  std::optional<UpsertGraphRequest> request = ParseUpsertGraphRequest(
      Parse(R"({"secrets": {}, "nodes": [], "store_config": {"required_keys": [" a "],
        "default_values": {" n ": 5, "b": true}}})"),
      reader_);
  ASSERT_TRUE(request.has_value()) << ErrorsJson();
  EXPECT_THAT(request->store_config.required_keys, ElementsAre("a"));
  EXPECT_EQ(DumpJson(request->store_config.default_values), R"({"n":"5","b":"True"})");

  EXPECT_FALSE(ParseUpsertGraphRequest(
      Parse(
          R"({"secrets": {}, "nodes": [], "store_config": {"required_keys": [" ", "a.b", "c", "c "],
        "default_values": {"x.y": "1"}}})"),
      reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"value_error","loc":["body","store_config","required_keys"],"msg":"Value error, Key cannot be empty or contain only whitespace\nKey 'a.b' cannot contain '.' character\nKey 'c' is duplicated","input":[" ","a.b","c","c "],"ctx":{"error":{}}},)"
      R"({"type":"value_error","loc":["body","store_config","default_values"],"msg":"Value error, Key 'x.y' cannot contain '.' character","input":{"x.y":"1"},"ctx":{"error":{}}}])");
}

TEST_F(GraphRequestsTest, ValidatesCronTriggers) {
  std::optional<UpsertGraphRequest> request = ParseUpsertGraphRequest(
      Parse(
          R"({"secrets": {}, "nodes": [], "triggers": [{"type": "CRON", "value": {"expression": "*/5 * * * *"}}]})"),
      reader_);
  ASSERT_TRUE(request.has_value()) << ErrorsJson();
  ASSERT_EQ(request->triggers.size(), 1u);
  EXPECT_EQ(request->triggers[0].expression, "*/5 * * * *");

  EXPECT_FALSE(ParseUpsertGraphRequest(Parse(R"({"secrets": {}, "nodes": [], "triggers": [
        {"type": "CRON", "value": {"expression": "not a cron"}},
        {"type": "WEBHOOK", "value": {}},
        {"type": "CRON"}]})"),
                                       reader_));
  ASSERT_EQ(errors_.size(), 3u);
  EXPECT_EQ(
      DumpJson(errors_.items()[0]),
      R"({"type":"value_error","loc":["body","triggers",0],"msg":"Value error, 1 validation error for CronTrigger\nexpression\n  Value error, Invalid cron expression [type=value_error, input_value='not a cron', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.11/v/value_error","input":{"type":"CRON","value":{"expression":"not a cron"}},"ctx":{"error":{}}})");
  EXPECT_EQ(
      DumpJson(errors_.items()[1]),
      R"({"type":"enum","loc":["body","triggers",1,"type"],"msg":"Input should be 'CRON'","input":"WEBHOOK","ctx":{"expected":"'CRON'"}})");
  EXPECT_THAT(
      DumpJson(errors_.items()[2]),
      HasSubstr(
          R"(1 validation error for CronTrigger\nexpression\n  Field required [type=missing, input_value={}, input_type=dict])"));
}

TEST_F(GraphRequestsTest, RequiresSecretsAndNodes) {
  EXPECT_FALSE(ParseUpsertGraphRequest(Parse(R"({"nodes": "x", "secrets": {"a": 1}})"), reader_));
  EXPECT_EQ(
      ErrorsJson(),
      R"([{"type":"string_type","loc":["body","secrets","a"],"msg":"Input should be a valid string","input":1},)"
      R"({"type":"list_type","loc":["body","nodes"],"msg":"Input should be a valid list","input":"x"}])");
}

}  // namespace
}  // namespace exosphere::devserver
