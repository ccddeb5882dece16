#include "client/cpp/internal/graph_conversion.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::client::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(GraphConversionTest, GraphNodeRoundTripsWithUnites) {
  GraphNode node{"merge",
                 "merge-1",
                 {{"x", "${{ split.outputs.x }}"}},
                 {"next"},
                 Unites{"split", UnitesStrategy::kAllDone}};
  const v1::GraphNode proto = ToProto(node);
  EXPECT_EQ(proto.node_name(), "merge");
  EXPECT_EQ(proto.identifier(), "merge-1");
  EXPECT_EQ(proto.unites().identifier(), "split");
  EXPECT_EQ(proto.unites().strategy(), v1::UNITES_STRATEGY_ALL_DONE);
  const GraphNode back = FromProto(proto);
  EXPECT_EQ(back.node_name, "merge");
  EXPECT_THAT(back.inputs, ElementsAre(Pair("x", "${{ split.outputs.x }}")));
  EXPECT_THAT(back.next_nodes, ElementsAre("next"));
  ASSERT_TRUE(back.unites.has_value());
  EXPECT_EQ(back.unites->strategy, UnitesStrategy::kAllDone);
}

TEST(GraphConversionTest, NodeWithoutUnitesHasNone) {
  const v1::GraphNode proto = ToProto(GraphNode{"a", "a"});
  EXPECT_FALSE(proto.has_unites());
  EXPECT_FALSE(FromProto(proto).unites.has_value());
}

TEST(GraphConversionTest, RetryPolicyKeepsUnsetFieldsUnset) {
  RetryPolicy policy;
  policy.max_retries = 2;
  policy.strategy = RetryStrategy::kLinearFullJitter;
  policy.backoff_factor = absl::Microseconds(1500);
  const v1::RetryPolicy proto = ToProto(policy);
  EXPECT_EQ(proto.max_retries(), 2u);
  EXPECT_EQ(proto.strategy(), v1::RETRY_STRATEGY_LINEAR_FULL_JITTER);
  EXPECT_EQ(proto.backoff_factor_ms(), 2u);
  EXPECT_FALSE(proto.has_exponent());
  EXPECT_FALSE(proto.has_max_delay_ms());
  const RetryPolicy back = FromProto(proto);
  EXPECT_EQ(back.max_retries, 2);
  EXPECT_EQ(back.strategy, RetryStrategy::kLinearFullJitter);
  EXPECT_FALSE(back.exponent.has_value());
  EXPECT_EQ(FromProto(v1::RetryPolicy()).strategy, RetryStrategy::kExponential);
}

TEST(GraphConversionTest, StoreConfigRoundTrips) {
  const StoreConfig back = FromProto(ToProto(StoreConfig{{"cursor"}, {{"page", "1"}}}));
  EXPECT_THAT(back.required_keys, ElementsAre("cursor"));
  EXPECT_THAT(back.default_values, ElementsAre(Pair("page", "1")));
}

TEST(GraphConversionTest, ReadsGraphsRunsAndStates) {
  v1::Graph graph_proto;
  graph_proto.set_graph_name("g");
  graph_proto.set_validation_status(v1::VALIDATION_STATUS_INVALID);
  graph_proto.add_validation_errors("Node x does not exist.");
  graph_proto.add_secret_names("key");
  graph_proto.add_triggers()->set_expression("*/5 * * * *");
  const Graph graph = FromProto(graph_proto);
  EXPECT_EQ(graph.validation_status, ValidationStatus::kInvalid);
  EXPECT_THAT(graph.validation_errors, ElementsAre("Node x does not exist."));
  EXPECT_THAT(graph.secret_names, ElementsAre("key"));
  ASSERT_EQ(graph.triggers.size(), 1u);
  EXPECT_EQ(graph.triggers[0].expression, "*/5 * * * *");

  v1::RunStates states_proto;
  states_proto.set_run_id("r1");
  states_proto.set_status(v1::RUN_STATUS_FAILED);
  v1::RunState& state = *states_proto.add_states();
  state.set_identifier("b");
  state.set_status(v1::STATE_STATUS_NEXT_CREATED_ERROR);
  (*state.mutable_outputs())["o"] = "1";
  v1::Parent& parent = *state.add_parents();
  parent.set_identifier("a");
  parent.set_state_id("s0");
  const RunStates states = FromProto(states_proto);
  EXPECT_EQ(states.status, RunStatus::kFailed);
  ASSERT_EQ(states.states.size(), 1u);
  EXPECT_EQ(states.states[0].status, StateStatus::kNextCreatedError);
  EXPECT_EQ(states.states[0].parents[0].state_id, "s0");
  EXPECT_EQ(states.StatesOf("b").size(), 1u);
  EXPECT_TRUE(states.StatesOf("a").empty());

  v1::ListRunsResponse runs_proto;
  runs_proto.set_total(7);
  runs_proto.add_runs()->set_retried_count(2);
  const RunList runs = FromProto(runs_proto);
  EXPECT_EQ(runs.total, 7u);
  EXPECT_EQ(runs.runs[0].retried_count, 2u);
}

TEST(GraphTypesTest, NamesMatchTheStateManager) {
  EXPECT_STREQ(ToString(StateStatus::kNextCreatedError), "NEXT_CREATED_ERROR");
  EXPECT_STREQ(ToString(RunStatus::kSuccess), "SUCCESS");
  EXPECT_STREQ(ToString(ValidationStatus::kInvalid), "INVALID");
  EXPECT_STREQ(ToString(RetryStrategy::kFixedEqualJitter), "FIXED_EQUAL_JITTER");
  EXPECT_STREQ(ToString(UnitesStrategy::kAllDone), "ALL_DONE");
}

}  // namespace
}  // namespace exosphere::client::internal
