#include "exosphere/client/state_manager.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/client/cpp/fake_graphs_service.h"
#include "tests/client/cpp/fake_sidecar_server.h"
#include "tests/support/status_matchers.h"

namespace exosphere::client {
namespace {

namespace v1 = ::exosphere::sidecar::v1;
using ::exosphere::client::testing::FakeGraphsService;
using ::exosphere::client::testing::FakeSidecarServer;
using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class StateManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, FakeSidecarServer::Start({&service_}));
    StateManagerOptions options;
    options.channel = server_->InProcessChannel();
    options.worker_token = "tok";
    state_manager_ = std::make_unique<StateManager>("team", std::move(options));
  }

  static v1::Graph ValidGraph() {
    v1::Graph graph;
    graph.set_namespace_("team");
    graph.set_graph_name("g");
    graph.set_validation_status(v1::VALIDATION_STATUS_VALID);
    v1::GraphNode& node = *graph.add_nodes();
    node.set_node_name("fetch");
    node.set_identifier("fetch");
    return graph;
  }

  FakeGraphsService service_;
  std::unique_ptr<FakeSidecarServer> server_;
  std::unique_ptr<StateManager> state_manager_;
};

TEST_F(StateManagerTest, UpsertGraphSendsTheWholeTemplateAndReturnsTheValidGraph) {
  service_.set_graph(ValidGraph());
  RetryPolicy retry;
  retry.max_retries = 1;
  retry.strategy = RetryStrategy::kFixed;
  retry.backoff_factor = absl::Milliseconds(10);
  ASSERT_OK_AND_ASSIGN(Graph graph,
                       state_manager_->UpsertGraph(
                           "g",
                           {{"fetch", "fetch", {{"url", "${{ store.url }}"}}, {"parse"}},
                            {"parse", "parse", {{"body", "${{ fetch.outputs.body }}"}}, {}}},
                           {{"api_key", "secret"}}, retry, StoreConfig{{"url"}, {{"page", "1"}}},
                           {CronTrigger{"0 * * * *"}}, absl::Seconds(5)));
  EXPECT_EQ(graph.graph_name, "g");
  EXPECT_EQ(graph.validation_status, ValidationStatus::kValid);

  const v1::UpsertGraphRequest request = service_.last_upsert();
  EXPECT_EQ(request.namespace_(), "team");
  EXPECT_EQ(request.graph_name(), "g");
  ASSERT_EQ(request.nodes_size(), 2);
  EXPECT_THAT(request.nodes(0).next_nodes(), ElementsAre("parse"));
  EXPECT_EQ(request.nodes(1).inputs().at("body"), "${{ fetch.outputs.body }}");
  EXPECT_EQ(request.secrets().at("api_key"), "secret");
  EXPECT_EQ(request.retry_policy().max_retries(), 1u);
  EXPECT_EQ(request.retry_policy().strategy(), v1::RETRY_STRATEGY_FIXED);
  EXPECT_EQ(request.retry_policy().backoff_factor_ms(), 10u);
  EXPECT_THAT(request.store_config().required_keys(), ElementsAre("url"));
  EXPECT_EQ(request.triggers(0).expression(), "0 * * * *");
  EXPECT_EQ(request.validation_timeout_ms(), 5000u);
  EXPECT_EQ(service_.last_token(), "tok");
}

TEST_F(StateManagerTest, UpsertGraphLeavesOptionalPartsUnset) {
  service_.set_graph(ValidGraph());
  ASSERT_OK(state_manager_->UpsertGraph("g", {{"fetch", "fetch"}}).status());
  const v1::UpsertGraphRequest request = service_.last_upsert();
  EXPECT_FALSE(request.has_retry_policy());
  EXPECT_FALSE(request.has_store_config());
  EXPECT_EQ(request.validation_timeout_ms(), 60000u);
}

TEST_F(StateManagerTest, InvalidGraphFailsLikeTheSdks) {
  v1::Graph graph = ValidGraph();
  graph.set_validation_status(v1::VALIDATION_STATUS_INVALID);
  graph.add_validation_errors("Node fetch in namespace team does not exist.");
  graph.add_validation_errors("Secret K is required but not present in the graph template");
  service_.set_graph(graph);
  EXPECT_THAT(state_manager_->UpsertGraph("g", {{"fetch", "fetch"}}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "Graph validation failed: INVALID and errors: ['Node fetch in namespace "
                       "team does not exist.', 'Secret K is required but not present in the "
                       "graph template']"));
}

TEST_F(StateManagerTest, ValidationTimeoutIsPassedThrough) {
  service_.set_status(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                   "Graph validation check timed out after 2 seconds"));
  EXPECT_THAT(state_manager_
                  ->UpsertGraph("g", {{"fetch", "fetch"}}, {}, std::nullopt, std::nullopt, {},
                                absl::Seconds(2))
                  .status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "Graph validation check timed out after 2 seconds"));
}

TEST_F(StateManagerTest, StillPendingGraphCountsAsTimedOut) {
  v1::Graph graph = ValidGraph();
  graph.set_validation_status(v1::VALIDATION_STATUS_PENDING);
  service_.set_graph(graph);
  EXPECT_THAT(state_manager_
                  ->UpsertGraph("g", {{"fetch", "fetch"}}, {}, std::nullopt, std::nullopt, {},
                                absl::Seconds(3))
                  .status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "Graph validation check timed out after 3 seconds"));
}

TEST_F(StateManagerTest, ErrorsKeepTheSidecarsCodeAndNameTheOperation) {
  service_.set_status(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "There should be exactly one root node"));
  EXPECT_THAT(state_manager_->UpsertGraph("g", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "UpsertGraph \"g\": There should be exactly one root node"));
  service_.set_status(grpc::Status(grpc::StatusCode::NOT_FOUND, "graph g not found"));
  EXPECT_THAT(state_manager_->GetGraph("g").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("GetGraph \"g\"")));
  service_.set_status(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "graph is INVALID"));
  EXPECT_THAT(state_manager_->Trigger("g").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, "Trigger \"g\": graph is INVALID"));
}

TEST_F(StateManagerTest, GetGraphReadsTheTemplate) {
  service_.set_graph(ValidGraph());
  ASSERT_OK_AND_ASSIGN(Graph graph, state_manager_->GetGraph("g"));
  EXPECT_EQ(graph.nodes.size(), 1u);
  EXPECT_EQ(service_.last_get_graph().graph_name(), "g");
  EXPECT_EQ(service_.last_get_graph().namespace_(), "team");
}

TEST_F(StateManagerTest, TriggerSendsInputsStoreAndDelayAndReturnsTheRunId) {
  service_.set_run_id("run-1");
  ASSERT_OK_AND_ASSIGN(
      std::string run_id,
      state_manager_->Trigger("g", {{"url", "x"}}, {{"cursor", "0"}}, absl::Milliseconds(1500)));
  EXPECT_EQ(run_id, "run-1");
  const v1::TriggerRunRequest request = service_.last_trigger();
  EXPECT_THAT(request.inputs(), ElementsAre(Pair("url", "x")));
  EXPECT_THAT(request.store(), ElementsAre(Pair("cursor", "0")));
  EXPECT_EQ(request.start_delay_ms(), 1500u);
}

TEST_F(StateManagerTest, ListRunsPassesThePage) {
  v1::ListRunsResponse runs;
  runs.set_total(3);
  v1::Run& run = *runs.add_runs();
  run.set_run_id("r3");
  run.set_status(v1::RUN_STATUS_PENDING);
  run.set_pending_count(2);
  service_.set_runs(runs);
  ASSERT_OK_AND_ASSIGN(RunList list, state_manager_->ListRuns(2, 1));
  EXPECT_EQ(list.total, 3u);
  ASSERT_EQ(list.runs.size(), 1u);
  EXPECT_EQ(list.runs[0].status, RunStatus::kPending);
  EXPECT_EQ(service_.last_list_runs().page(), 2u);
  EXPECT_EQ(service_.last_list_runs().page_size(), 1u);
  EXPECT_THAT(state_manager_->ListRuns(0, 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1")));
}

TEST_F(StateManagerTest, GetRunStatesAndWaitForRunReturnStates) {
  v1::RunStates states;
  states.set_run_id("r1");
  states.set_status(v1::RUN_STATUS_SUCCESS);
  v1::RunState& state = *states.add_states();
  state.set_identifier("fetch");
  state.set_status(v1::STATE_STATUS_SUCCESS);
  (*state.mutable_outputs())["body"] = "hello";
  service_.set_run_states(states);

  ASSERT_OK_AND_ASSIGN(RunStates now, state_manager_->GetRunStates("r1", true));
  EXPECT_EQ(now.states[0].status, StateStatus::kSuccess);
  EXPECT_TRUE(service_.last_get_run_states().include_details());

  ASSERT_OK_AND_ASSIGN(RunStates done, state_manager_->WaitForRun("r1", absl::Seconds(7)));
  EXPECT_EQ(done.status, RunStatus::kSuccess);
  EXPECT_EQ(done.states[0].outputs.at("body"), "hello");
  EXPECT_EQ(service_.last_wait_for_run().timeout_ms(), 7000u);
  EXPECT_EQ(service_.last_wait_for_run().run_id(), "r1");
}

TEST_F(StateManagerTest, UnreachableSidecarIsUnavailable) {
  StateManagerOptions options;
  options.sidecar_address = "unix:/nonexistent-dir/sidecar.sock";
  options.rpc_timeout = absl::Seconds(5);
  StateManager unreachable("team", options);
  EXPECT_THAT(unreachable.GetGraph("g").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("GetGraph \"g\"")));
}

}  // namespace
}  // namespace exosphere::client
