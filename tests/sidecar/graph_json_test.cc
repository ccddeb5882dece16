#include "sidecar/services/graph_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(GraphJsonTest, UpsertBodyHasTheContractShapeAndOnlyTheSetPolicyFields) {
  v1::UpsertGraphRequest request;
  request.set_graph_name("g");
  v1::GraphNode& root = *request.add_nodes();
  root.set_node_name("fetch");
  root.set_identifier("fetch");
  (*root.mutable_inputs())["url"] = "${{ store.url }}";
  root.add_next_nodes("join");
  v1::GraphNode& join = *request.add_nodes();
  join.set_node_name("join");
  join.set_namespace_("explicit");
  join.set_identifier("join");
  join.mutable_unites()->set_identifier("fetch");
  join.mutable_unites()->set_strategy(v1::UNITES_STRATEGY_ALL_DONE);
  (*request.mutable_secrets())["token"] = "t";
  request.mutable_retry_policy()->set_max_retries(0);
  request.mutable_retry_policy()->set_strategy(v1::RETRY_STRATEGY_LINEAR_FULL_JITTER);
  request.mutable_store_config()->add_required_keys("url");
  (*request.mutable_store_config()->mutable_default_values())["lang"] = "en";
  request.add_triggers()->set_expression("*/5 * * * *");

  EXPECT_EQ(UpsertGraphBody(request, "ns"), json::Json::parse(R"({
    "secrets": {"token": "t"},
    "nodes": [
      {"node_name": "fetch", "namespace": "ns", "identifier": "fetch",
       "inputs": {"url": "${{ store.url }}"}, "next_nodes": ["join"]},
      {"node_name": "join", "namespace": "explicit", "identifier": "join", "inputs": {},
       "next_nodes": [], "unites": {"identifier": "fetch", "strategy": "ALL_DONE"}}],
    "retry_policy": {"max_retries": 0, "strategy": "LINEAR_FULL_JITTER"},
    "store_config": {"required_keys": ["url"], "default_values": {"lang": "en"}},
    "triggers": [{"type": "CRON", "value": {"expression": "*/5 * * * *"}}]})"));

  v1::UpsertGraphRequest minimal;
  EXPECT_EQ(UpsertGraphBody(minimal, "ns"), json::Json::parse(R"({"secrets": {}, "nodes": []})"));
}

TEST(GraphJsonTest, TriggerBodyCarriesInputsStoreAndDelay) {
  v1::TriggerRunRequest request;
  (*request.mutable_inputs())["a"] = "1";
  (*request.mutable_store())["k"] = "v";
  request.set_start_delay_ms(250);
  EXPECT_EQ(TriggerBody(request),
            json::Json::parse(R"({"inputs":{"a":"1"},"store":{"k":"v"},"start_delay":250})"));
}

TEST(GraphJsonTest, GraphDocumentsBecomeGraphsWithStoredPolicies) {
  const json::Json document = json::Json::parse(R"({
    "name": "g", "nodes": [{"node_name": "n", "namespace": "ns", "identifier": "i",
      "inputs": {"a": "x", "num": 3}, "next_nodes": null, "unites": null}],
    "secrets": {"token": true}, "validation_status": "INVALID",
    "validation_errors": ["Node n in namespace ns does not exist."],
    "created_at": "2025-01-02T03:04:05", "updated_at": "2025-01-02T03:04:06",
    "retry_policy": {"max_retries": 5, "strategy": "FIXED", "backoff_factor": 100, "exponent": 3, "max_delay": null},
    "store_config": {"required_keys": ["k"], "default_values": {"d": "1"}},
    "triggers": [{"type": "CRON", "value": {"expression": "0 * * * *"}}]})");
  ASSERT_OK_AND_ASSIGN(v1::Graph graph, GraphFromJson(document, "ns", "g", /*with_policies=*/true));
  EXPECT_EQ(graph.validation_status(), v1::VALIDATION_STATUS_INVALID);
  EXPECT_THAT(graph.validation_errors(), ElementsAre("Node n in namespace ns does not exist."));
  EXPECT_THAT(graph.secret_names(), ElementsAre("token"));
  EXPECT_EQ(graph.nodes(0).inputs().at("num"), "3");
  EXPECT_EQ(graph.retry_policy().max_retries(), 5u);
  EXPECT_EQ(graph.retry_policy().strategy(), v1::RETRY_STRATEGY_FIXED);
  EXPECT_FALSE(graph.retry_policy().has_max_delay_ms());
  EXPECT_EQ(graph.store_config().default_values().at("d"), "1");
  EXPECT_EQ(graph.triggers(0).expression(), "0 * * * *");

  ASSERT_OK_AND_ASSIGN(v1::Graph without,
                       GraphFromJson(document, "ns", "g", /*with_policies=*/false));
  EXPECT_FALSE(without.has_retry_policy());
  EXPECT_THAT(GraphFromJson(json::Json::parse(R"({"nodes": "x"})"), "ns", "g", false),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("unexpected graph document")));
}

TEST(GraphJsonTest, PolicyNumbersOutsideTheirRangeAreIgnoredNotConverted) {
  const json::Json document = json::Json::parse(R"({"nodes": [], "retry_policy": {
    "max_retries": -1, "backoff_factor": 1.5e300, "exponent": 4294967296, "max_delay": 2500.9}})");
  ASSERT_OK_AND_ASSIGN(v1::Graph graph, GraphFromJson(document, "ns", "g", /*with_policies=*/true));
  EXPECT_EQ(graph.retry_policy().max_retries(), 0u);
  EXPECT_EQ(graph.retry_policy().backoff_factor_ms(), 0u);
  EXPECT_EQ(graph.retry_policy().exponent(), 0u);
  EXPECT_EQ(graph.retry_policy().max_delay_ms(), 2500u);
}

TEST(GraphJsonTest, RunGraphsBecomeStatesInCreationOrderWithTheRunStatusRule) {
  const json::Json document = json::Json::parse(R"({"graph_name": "g", "nodes": [
      {"id": "0000000000000000000000b2", "node_name": "n", "identifier": "b", "status": "ERRORED", "error": "boom"},
      {"id": "0000000000000000000000a1", "node_name": "n", "identifier": "a", "status": "SUCCESS", "error": null}]})");
  ASSERT_OK_AND_ASSIGN(v1::RunStates states, RunStatesFromJson(document, "r"));
  ASSERT_EQ(states.states_size(), 2);
  EXPECT_EQ(states.states(0).identifier(), "a");
  EXPECT_EQ(states.states(1).error(), "boom");
  EXPECT_EQ(states.status(), v1::RUN_STATUS_FAILED);
  states.mutable_states(1)->set_status(v1::STATE_STATUS_RETRY_CREATED);
  EXPECT_EQ(RunStatusOf(states), v1::RUN_STATUS_SUCCESS);
  states.mutable_states(0)->set_status(v1::STATE_STATUS_QUEUED);
  EXPECT_EQ(RunStatusOf(states), v1::RUN_STATUS_PENDING);
  EXPECT_EQ(RunStatusOf(v1::RunStates()), v1::RUN_STATUS_FAILED);
}

TEST(GraphJsonTest, DetailsFillInputsOutputsAndParentsInLineageOrder) {
  v1::RunState state;
  ASSERT_OK(
      MergeStateDetails(json::Json::parse(R"({"inputs": {"a": "1"}, "outputs": {"o": "x", "n": 7},
      "parents": {"zeta": "000000000000000000000001", "alpha": "000000000000000000000002"},
      "created_at": "c", "updated_at": "u", "error": null})"),
                        state));
  EXPECT_EQ(state.outputs().at("n"), "7");
  ASSERT_EQ(state.parents_size(), 2);
  EXPECT_EQ(state.parents(0).identifier(), "zeta");
  EXPECT_EQ(state.parents(1).identifier(), "alpha");
}

TEST(GraphJsonTest, RunsListParsesCountsAndStatus) {
  ASSERT_OK_AND_ASSIGN(v1::ListRunsResponse runs,
                       RunsFromJson(json::Json::parse(R"({"total": 7, "runs": [
      {"run_id": "r", "graph_name": "g", "success_count": 2, "pending_count": 1, "errored_count": 0,
       "retried_count": 1, "total_count": 4, "status": "PENDING", "created_at": "t"}]})")));
  EXPECT_EQ(runs.total(), 7u);
  EXPECT_EQ(runs.runs(0).status(), v1::RUN_STATUS_PENDING);
  EXPECT_EQ(runs.runs(0).retried_count(), 1u);
  EXPECT_THAT(RunsFromJson(json::Json::parse(R"({"runs": []})")),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("total")));
}

}  // namespace
}  // namespace exosphere::sidecar
