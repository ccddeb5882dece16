#include "sidecar/services/graphs_service.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

#include "common/scheduler.h"
#include "common/thread_pool.h"
#include "exosphere/sidecar/v1/graphs.grpc.pb.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_state_manager_client.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeClock;
using ::exosphere::testing::FakeStateManagerClient;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kParallel = 3;
// How long a fetch waits for the others it expects to run alongside it. Only a regression
// (fetches one after another) waits this long, and then fails instead of hanging.
constexpr absl::Duration kRendezvousTimeout = absl::Seconds(10);

std::string StateId(int index) { return absl::StrFormat("%024d", index); }

// The Graphs service over an in-process gRPC server, against the fake state manager. The fake
// clock stays still: nothing tested here waits on the scheduler.
class GraphsServiceTest : public ::testing::Test {
 protected:
  GraphsServiceTest() : scheduler_(clock_) {
    GraphsServiceOptions options;
    options.default_namespace = "ns";
    options.max_parallel_detail_fetches = kParallel;
    service_ = std::make_unique<GraphsService>(client_, pool_, scheduler_, options,
                                               [](const std::string&) {});
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = v1::Graphs::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  ~GraphsServiceTest() override {
    server_->Shutdown();
    server_->Wait();
  }

  // A finished run of `count` states in the fake, each with details naming its index.
  void AddRun(const std::string& run_id, int count) {
    json::Json nodes = json::Json::array();
    for (int i = 0; i < count; ++i) {
      nodes.push_back({{"id", StateId(i)},
                       {"node_name", "echo"},
                       {"identifier", absl::StrCat("step-", i)},
                       {"status", "SUCCESS"},
                       {"error", nullptr}});
      client_.SetNodeDetails(StateId(i), {{"inputs", {{"in", absl::StrCat("in-", i)}}},
                                          {"outputs", {{"out", absl::StrCat("out-", i)}}},
                                          {"parents", json::Json::object()}});
    }
    client_.SetRunGraph(run_id,
                        {{"graph_name", "g"}, {"nodes", nodes}, {"edges", json::Json::array()}});
  }

  grpc::Status GetRunStates(const std::string& run_id, v1::RunStates& states) {
    v1::GetRunStatesRequest request;
    request.set_run_id(run_id);
    request.set_include_details(true);
    grpc::ClientContext context;
    return stub_->GetRunStates(&context, request, &states);
  }

  FakeClock clock_;
  FakeStateManagerClient client_;
  // Room for the service's thread plus its helpers, and one more to show the bound holds.
  ThreadPool pool_{kParallel + 1};
  Scheduler scheduler_;
  std::unique_ptr<GraphsService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Graphs::Stub> stub_;
};

TEST_F(GraphsServiceTest, RunDetailsAreFetchedInParallelAndReturnedInStateOrder) {
  constexpr int kStates = 7;
  AddRun("run-1", kStates);
  absl::Mutex mu;
  int started = 0;
  int in_flight = 0;
  int most_in_flight = 0;
  std::vector<int> finished_order;
  client_.SetNodeDetailsHook([&](const std::string& state_id) {
    const int index = std::stoi(state_id);
    absl::MutexLock lock(&mu);
    const bool first_batch = ++started <= kParallel;
    most_in_flight = std::max(most_in_flight, ++in_flight);
    if (first_batch) {
      // The first fetches meet here, then finish last-taken first, so that answers arrive out
      // of order.
      auto all_in_flight = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return in_flight >= kParallel || static_cast<int>(finished_order.size()) > 0;
      };
      if (!mu.AwaitWithTimeout(absl::Condition(&all_in_flight), kRendezvousTimeout)) {
        --in_flight;
        return absl::DeadlineExceededError(absl::StrCat(
            "only ", in_flight + 1, " run-details fetch(es) in flight, expected ", kParallel));
      }
      auto my_turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return static_cast<int>(finished_order.size()) >= kParallel - 1 - index;
      };
      mu.AwaitWithTimeout(absl::Condition(&my_turn), kRendezvousTimeout);
    }
    --in_flight;
    finished_order.push_back(index);
    return absl::OkStatus();
  });

  v1::RunStates states;
  const grpc::Status status = GetRunStates("run-1", states);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(states.states_size(), kStates);
  for (int i = 0; i < kStates; ++i) {
    EXPECT_EQ(states.states(i).state_id(), StateId(i));
    EXPECT_EQ(states.states(i).inputs().at("in"), absl::StrCat("in-", i));
    EXPECT_EQ(states.states(i).outputs().at("out"), absl::StrCat("out-", i));
  }
  absl::MutexLock lock(&mu);
  EXPECT_EQ(most_in_flight, kParallel);
  ASSERT_GE(finished_order.size(), 3u);
  EXPECT_EQ(finished_order[0], 2);  // answers came back out of order, results are in order
  EXPECT_EQ(finished_order.size(), static_cast<size_t>(kStates));
}

TEST_F(GraphsServiceTest, TheFirstFailingStateInOrderIsReported) {
  AddRun("run-1", 6);
  client_.SetNodeDetailsHook([](const std::string& state_id) {
    const int index = std::stoi(state_id);
    if (index != 1 && index != 3) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("GET /v0/namespace/ns/graph/g/run/run-1/node/",
                                            state_id, ": HTTP 404: State ", state_id,
                                            " not found"));
  });
  v1::RunStates states;
  const grpc::Status status = GetRunStates("run-1", states);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr(absl::StrCat("State ", StateId(1), " not found")),
                    HasSubstr("(state manager: HTTP 404)"), Not(HasSubstr(StateId(3)))));
}

TEST_F(GraphsServiceTest, AStateWithoutDetailsFailsTheCallLikeBefore) {
  AddRun("run-1", 1);
  client_.SetRunGraph("run-2", {{"graph_name", "g"},
                                {"nodes",
                                 {{{"id", "ffffffffffffffffffffffff"},
                                   {"node_name", "echo"},
                                   {"identifier", "x"},
                                   {"status", "SUCCESS"},
                                   {"error", nullptr}}}},
                                {"edges", json::Json::array()}});
  v1::RunStates states;
  EXPECT_EQ(GetRunStates("run-2", states).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetRunStates("run-1", states).ok());
}

TEST_F(GraphsServiceTest, UpsertGraphReadsTheValidatedGraphOnce) {
  v1::UpsertGraphRequest request;
  request.set_graph_name("g");
  v1::GraphNode& node = *request.add_nodes();
  node.set_node_name("echo");
  node.set_identifier("echo");
  request.mutable_retry_policy()->set_max_retries(7);
  v1::Graph graph;
  grpc::ClientContext context;
  const grpc::Status status = stub_->UpsertGraph(&context, request, &graph);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(graph.validation_status(), v1::VALIDATION_STATUS_VALID);
  EXPECT_EQ(graph.graph_name(), "g");
  // The stored policy still comes from the listing, not GET /graph's defaults.
  EXPECT_EQ(graph.retry_policy().max_retries(), 7u);
  EXPECT_EQ(client_.graph_reads(), 1);
}

}  // namespace
}  // namespace exosphere::sidecar
