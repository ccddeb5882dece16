#include "sidecar/core/task_router.h"

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "sidecar/core/hello_validator.h"
#include "sidecar/metrics/sidecar_metrics.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_router_peers.h"
#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeCapacityListener;
using ::exosphere::testing::FakeClock;
using ::exosphere::testing::FakeRegistrationRequester;
using ::exosphere::testing::FakeReportQueue;
using ::exosphere::testing::FakeSecretsFetcher;
using ::exosphere::testing::FakeWorkerSink;
using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kNs[] = "ns";

struct NodeDecl {
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> secrets;
  uint64_t deadline_ms = 0;
};

v1::Hello MakeHello(const std::string& runtime, uint32_t slots,
                    const std::vector<NodeDecl>& nodes) {
  v1::Hello hello;
  hello.set_namespace_(kNs);
  hello.set_runtime_name(runtime);
  hello.set_slots(slots);
  for (const NodeDecl& decl : nodes) {
    v1::NodeDefinition& node = *hello.add_nodes();
    node.set_name(decl.name);
    for (const auto& field : decl.inputs) node.add_input_fields(field);
    for (const auto& field : decl.outputs) node.add_output_fields(field);
    for (const auto& field : decl.secrets) node.add_secret_fields(field);
    node.set_deadline_ms(decl.deadline_ms);
  }
  return hello;
}

ClaimedState State(const std::string& id, const std::string& node,
                   json::Json inputs = {{"text", "hi"}}) {
  ClaimedState state;
  state.state_id = id;
  state.node_name = node;
  state.identifier = node + "-id";
  state.inputs = std::move(inputs);
  return state;
}

v1::TaskResult Executed(const std::string& id, std::vector<json::StringMap> outputs) {
  v1::TaskResult result;
  result.set_state_id(id);
  auto* executed = result.mutable_executed();
  for (const auto& output : outputs) {
    executed->add_outputs()->mutable_fields()->insert(output.begin(), output.end());
  }
  return result;
}

const NodeDecl kEcho{"echo", {"text"}, {"out"}, {}};

class TaskRouterTest : public ::testing::Test {
 protected:
  TaskRouterTest() {
    options_.max_worker_losses = 2;
    options_.reconnect_grace = absl::Seconds(10);
    options_.handback_delay = absl::Milliseconds(1500);
    router_ = std::make_unique<TaskRouter>(options_, scheduler_, reports_, secrets_, capacity_,
                                           registrar_, &metrics_);
  }
  ~TaskRouterTest() override {
    router_.reset();
    scheduler_.Stop();
  }

  // Adds a worker and completes its registration.
  std::string AddWorker(FakeWorkerSink& sink, const std::string& runtime, uint32_t slots,
                        const std::vector<NodeDecl>& nodes) {
    absl::StatusOr<WorkerSpec> spec = ValidateHello(MakeHello(runtime, slots, nodes), limits_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    absl::StatusOr<std::string> id = router_->AddWorker(*std::move(spec), &sink, 1024);
    EXPECT_TRUE(id.ok()) << id.status();
    RegisterAll();
    return id.value_or("");
  }

  // Completes every registration requested so far.
  void RegisterAll() {
    for (const RegistrationRequest& request : registrar_.requests()) {
      router_->OnRegistration({request.ns, request.runtime_name, request.generation,
                               absl::OkStatus(), absl::ZeroDuration()});
    }
  }

  void Advance(absl::Duration duration) {
    clock_.Advance(duration);
    scheduler_.WaitUntilIdle();
  }

  int TotalCapacity() {
    int total = 0;
    for (const PollGroup& group : router_->PlanPolls(kNs)) total += group.capacity;
    return total;
  }

  HelloLimits limits_;
  TaskRouterOptions options_;
  FakeClock clock_;
  Scheduler scheduler_{clock_};
  FakeReportQueue reports_;
  FakeSecretsFetcher secrets_;
  FakeCapacityListener capacity_;
  FakeRegistrationRequester registrar_;
  SidecarMetrics metrics_;
  std::unique_ptr<TaskRouter> router_;
};

TEST_F(TaskRouterTest, NewWorkerIsWelcomedAndPolledForOnlyAfterRegistration) {
  FakeWorkerSink sink;
  absl::StatusOr<WorkerSpec> spec = ValidateHello(MakeHello("rt", 3, {kEcho}), limits_);
  ASSERT_TRUE(spec.ok());
  ASSERT_OK_AND_ASSIGN(std::string id, router_->AddWorker(*spec, &sink, 1024));
  EXPECT_EQ(id, "w-1");
  ASSERT_EQ(sink.messages().size(), 1u);
  EXPECT_EQ(sink.messages()[0].welcome().worker_id(), "w-1");
  EXPECT_EQ(sink.messages()[0].welcome().namespace_(), kNs);
  EXPECT_EQ(sink.messages()[0].welcome().max_message_bytes(), 1024u);

  ASSERT_EQ(registrar_.requests().size(), 1u);
  const RegistrationRequest request = registrar_.requests()[0];
  EXPECT_EQ(request.runtime_name, "rt");
  ASSERT_EQ(request.nodes.size(), 1u);
  EXPECT_EQ(request.nodes[0].name, "echo");
  EXPECT_EQ(request.nodes[0].inputs_schema["properties"]["text"]["type"], "string");
  EXPECT_THAT(router_->PlanPolls(kNs), IsEmpty());

  RegisterAll();
  const auto registration = sink.OfKind(v1::SidecarMessage::kRegistration);
  ASSERT_EQ(registration.size(), 1u);
  EXPECT_TRUE(registration[0].registration().registered());
  const std::vector<PollGroup> plan = router_->PlanPolls(kNs);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_THAT(plan[0].node_names, ElementsAre("echo"));
  EXPECT_EQ(plan[0].capacity, 3);
  EXPECT_GE(capacity_.events(kNs), 1);
}

TEST_F(TaskRouterTest, AReplicaWithTheSameNodesIsRegisteredAtOnce) {
  FakeWorkerSink first, second;
  AddWorker(first, "rt", 1, {kEcho});
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec, ValidateHello(MakeHello("rt", 2, {kEcho}), limits_));
  ASSERT_OK(router_->AddWorker(spec, &second, 1024).status());
  EXPECT_EQ(registrar_.requests().size(), 1u);
  EXPECT_TRUE(second.OfKind(v1::SidecarMessage::kRegistration).at(0).registration().registered());
  EXPECT_EQ(TotalCapacity(), 3);
}

TEST_F(TaskRouterTest, ANewNodeOfTheRuntimeReRegistersTheWholeSet) {
  FakeWorkerSink first, second;
  AddWorker(first, "rt", 1, {kEcho});
  AddWorker(second, "rt", 1, {{"upper", {"text"}, {"out"}, {}}});
  ASSERT_EQ(registrar_.requests().size(), 2u);
  std::vector<std::string> names;
  const RegistrationRequest second_request = registrar_.requests()[1];
  for (const auto& node : second_request.nodes) names.push_back(node.name);
  EXPECT_THAT(names, UnorderedElementsAre("echo", "upper"));
  EXPECT_EQ(registrar_.requests()[1].generation, 2u);
}

TEST_F(TaskRouterTest, ConflictingDefinitionsAndRuntimesAreRejectedPrecisely) {
  FakeWorkerSink first, second;
  AddWorker(first, "rt", 1, {kEcho});
  ASSERT_OK_AND_ASSIGN(
      WorkerSpec other_outputs,
      ValidateHello(MakeHello("rt", 1, {{"echo", {"text"}, {"result"}, {}}}), limits_));
  EXPECT_THAT(router_->AddWorker(other_outputs, &second, 1024),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("output fields [result] vs [out]")));
  ASSERT_OK_AND_ASSIGN(WorkerSpec other_runtime,
                       ValidateHello(MakeHello("rt2", 1, {kEcho}), limits_));
  EXPECT_THAT(router_->AddWorker(other_runtime, &second, 1024),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("runtime \"rt\"")));
  EXPECT_THAT(second.messages(), IsEmpty());
  // Once the old worker is gone, the node may be defined anew.
  router_->RemoveWorker("w-1", "test");
  EXPECT_OK(router_->AddWorker(other_outputs, &second, 1024).status());
}

TEST_F(TaskRouterTest, RegistrationFailuresAreToldToWaitingWorkers) {
  FakeWorkerSink sink;
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec, ValidateHello(MakeHello("rt", 1, {kEcho}), limits_));
  ASSERT_OK(router_->AddWorker(spec, &sink, 1024).status());
  router_->OnRegistration(
      {kNs, "rt", 1, absl::UnavailableError("PUT /nodes/: HTTP 503"), absl::Milliseconds(800)});
  const auto failed = sink.OfKind(v1::SidecarMessage::kRegistration);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_FALSE(failed[0].registration().registered());
  EXPECT_THAT(failed[0].registration().error(), HasSubstr("HTTP 503"));
  EXPECT_EQ(failed[0].registration().retry_in_ms(), 800u);
  EXPECT_THAT(router_->PlanPolls(kNs), IsEmpty());
  RegisterAll();
  EXPECT_TRUE(sink.OfKind(v1::SidecarMessage::kRegistration).at(1).registration().registered());
}

TEST_F(TaskRouterTest, PollGroupsNeverPromiseMoreThanTheServingWorkersCanRun) {
  FakeWorkerSink a, b;
  const NodeDecl x{"x", {}, {}, {}};
  const NodeDecl y{"y", {}, {}, {}};
  AddWorker(a, "rt", 2, {x, y});
  AddWorker(b, "rt", 3, {y});
  const std::vector<PollGroup> plan = router_->PlanPolls(kNs);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_THAT(plan[0].node_names, ElementsAre("y"));
  EXPECT_EQ(plan[0].capacity, 5);
  EXPECT_THAT(plan[1].node_names, ElementsAre("x"));
  EXPECT_EQ(plan[1].capacity, 2);

  // Claiming x twice uses both of a's slots: y is left with b's three.
  router_->Dispatch(
      kNs, {State("s1", "x", json::Json::object()), State("s2", "x", json::Json::object())},
      clock_.Now());
  const std::vector<PollGroup> after = router_->PlanPolls(kNs);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_THAT(after[0].node_names, ElementsAre("y"));
  EXPECT_EQ(after[0].capacity, 3);
}

TEST_F(TaskRouterTest, TasksGoToTheLeastLoadedWorkerAndNeverBeyondItsSlots) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 2, {kEcho});
  AddWorker(b, "rt", 4, {kEcho});
  std::vector<ClaimedState> states;
  for (int i = 0; i < 6; ++i) states.push_back(State(absl::StrCat("s", i), "echo"));
  router_->Dispatch(kNs, states, clock_.Now());
  EXPECT_EQ(a.TaskIds().size(), 2u);
  EXPECT_EQ(b.TaskIds().size(), 4u);
  EXPECT_EQ(TotalCapacity(), 0);
  EXPECT_EQ(router_->Stats().busy_slots, 6);
  // With 1 of 2 and 1 of 4 busy, b (a quarter loaded) is preferred over a (half loaded).
  router_->HandleResult("w-1", Executed(a.TaskIds()[0], {{{"out", "x"}}}));
  router_->HandleResult("w-2", Executed(b.TaskIds()[0], {{{"out", "x"}}}));
  router_->HandleResult("w-2", Executed(b.TaskIds()[1], {{{"out", "x"}}}));
  router_->HandleResult("w-2", Executed(b.TaskIds()[2], {{{"out", "x"}}}));
  router_->Dispatch(kNs, {State("t1", "echo")}, clock_.Now());
  EXPECT_EQ(b.TaskIds().back(), "t1");
}

TEST_F(TaskRouterTest, AClaimedBatchReachesEachWorkerInOneDeliveryInClaimOrder) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 3, {kEcho});
  AddWorker(b, "rt", 3, {kEcho});
  a.Clear();  // the welcome
  b.Clear();
  std::vector<ClaimedState> states;
  for (int i = 0; i < 6; ++i) states.push_back(State(absl::StrCat("s", i), "echo"));
  router_->Dispatch(kNs, states, clock_.Now());
  // Spread over both (least loaded first), each worker's share in one SendAll.
  EXPECT_THAT(a.deliveries(), ElementsAre(3u));
  EXPECT_THAT(b.deliveries(), ElementsAre(3u));
  EXPECT_THAT(a.TaskIds(), ElementsAre("s0", "s2", "s4"));
  EXPECT_THAT(b.TaskIds(), ElementsAre("s1", "s3", "s5"));
}

TEST_F(TaskRouterTest, TaskCarriesInputsDeadlineAndClaimTime) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 1, {{"echo", {"text"}, {"out"}, {}, 2500}});
  const absl::Time claimed_at = clock_.Now();
  router_->Dispatch(kNs, {State("s1", "echo", {{"text", "hello"}, {"extra", "kept"}})}, claimed_at);
  const auto tasks = sink.OfKind(v1::SidecarMessage::kTask);
  ASSERT_EQ(tasks.size(), 1u);
  const v1::Task& task = tasks[0].task();
  EXPECT_EQ(task.state_id(), "s1");
  EXPECT_EQ(task.node_name(), "echo");
  EXPECT_EQ(task.identifier(), "echo-id");
  EXPECT_EQ(task.inputs().at("text"), "hello");
  EXPECT_EQ(task.inputs().at("extra"), "kept");
  EXPECT_TRUE(task.secrets().empty());
  EXPECT_EQ(task.deadline_ms(), 2500u);
  EXPECT_EQ(task.claimed_at_unix_micros(), absl::ToUnixMicros(claimed_at));
}

TEST_F(TaskRouterTest, EachResultKindBecomesItsReportAndFreesTheSlot) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 4, {kEcho});
  router_->Dispatch(
      kNs, {State("a", "echo"), State("b", "echo"), State("c", "echo"), State("d", "echo")},
      clock_.Now());
  EXPECT_EQ(TotalCapacity(), 0);
  const int events_before = capacity_.events(kNs);

  router_->HandleResult("w-1", Executed("a", {{{"out", "1"}}, {{"out", "2"}, {"more", "x"}}}));
  v1::TaskResult errored;
  errored.set_state_id("b");
  errored.mutable_errored()->set_message("boom");
  router_->HandleResult("w-1", errored);
  v1::TaskResult prune;
  prune.set_state_id("c");
  (*prune.mutable_prune()->mutable_data()->mutable_fields())["why"].set_string_value("dup");
  router_->HandleResult("w-1", prune);
  v1::TaskResult requeue;
  requeue.set_state_id("d");
  requeue.mutable_requeue_after()->set_delay_ms(5000);
  router_->HandleResult("w-1", requeue);

  EXPECT_EQ(TotalCapacity(), 4);
  EXPECT_EQ(capacity_.events(kNs), events_before + 4);
  const Report a = reports_.ReportFor("a");
  EXPECT_EQ(a.kind, Report::Kind::kExecuted);
  ASSERT_EQ(a.outputs.size(), 2u);
  EXPECT_EQ(a.outputs[1].at("more"), "x");
  EXPECT_EQ(reports_.ReportFor("b").error, "boom");
  EXPECT_EQ(reports_.ReportFor("c").prune_data, json::Json({{"why", "dup"}}));
  EXPECT_EQ(reports_.ReportFor("d").delay_ms, 5000);
  EXPECT_THAT(sink.OfKind(v1::SidecarMessage::kResultRejected), IsEmpty());
  for (SidecarMetrics::Outcome outcome :
       {SidecarMetrics::Outcome::kExecuted, SidecarMetrics::Outcome::kErrored,
        SidecarMetrics::Outcome::kPruned, SidecarMetrics::Outcome::kRequeued}) {
    EXPECT_EQ(metrics_.Finished(kNs, "echo", outcome), 1u) << OutcomeName(outcome);
  }
}

TEST_F(TaskRouterTest, AResultBreakingTheContractIsReportedErroredAndTheWorkerToldWhy) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  router_->HandleResult("w-1", Executed("s1", {{{"wrong", "x"}}}));
  const Report report = reports_.ReportFor("s1");
  EXPECT_EQ(report.kind, Report::Kind::kErrored);
  EXPECT_THAT(report.error, HasSubstr("lacks the declared field \"out\""));
  const auto rejected = sink.OfKind(v1::SidecarMessage::kResultRejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].result_rejected().reason(), v1::ResultRejected::INVALID_RESULT);
  EXPECT_THAT(rejected[0].result_rejected().message(), HasSubstr("reported errored"));
}

TEST_F(TaskRouterTest, UnknownDuplicateAndForeignResultsAreRejectedWithoutReports) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 1, {kEcho});
  AddWorker(b, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  const std::string owner = a.TaskIds().empty() ? "w-2" : "w-1";
  const std::string other = owner == "w-1" ? "w-2" : "w-1";
  FakeWorkerSink& other_sink = owner == "w-1" ? b : a;
  FakeWorkerSink& owner_sink = owner == "w-1" ? a : b;

  router_->HandleResult(other, Executed("s1", {{{"out", "x"}}}));  // not sent to that worker
  router_->HandleResult(owner, Executed("nope", {{{"out", "x"}}}));
  EXPECT_EQ(reports_.count(), 0u);
  router_->HandleResult(owner, Executed("s1", {{{"out", "x"}}}));
  router_->HandleResult(owner, Executed("s1", {{{"out", "y"}}}));  // duplicate
  EXPECT_EQ(reports_.count(), 1u);
  EXPECT_EQ(reports_.ReportFor("s1").outputs[0].at("out"), "x");
  EXPECT_EQ(other_sink.OfKind(v1::SidecarMessage::kResultRejected).at(0).result_rejected().reason(),
            v1::ResultRejected::UNKNOWN_TASK);
  EXPECT_EQ(owner_sink.OfKind(v1::SidecarMessage::kResultRejected).size(), 2u);
}

TEST_F(TaskRouterTest, NonStringOrMissingInputsAreReportedErroredWithoutReachingAWorker) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 2, {kEcho});
  router_->Dispatch(kNs,
                    {State("s1", "echo", {{"text", 5}}), State("s2", "echo", {{"other", "x"}})},
                    clock_.Now());
  EXPECT_THAT(sink.TaskIds(), IsEmpty());
  EXPECT_THAT(reports_.ReportFor("s1").error,
              HasSubstr("input \"text\" of node \"echo\" is a number"));
  EXPECT_THAT(reports_.ReportFor("s2").error,
              HasSubstr("input \"text\" declared by node \"echo\" is missing"));
  EXPECT_EQ(TotalCapacity(), 2);
}

TEST_F(TaskRouterTest, SecretsAreFetchedOnlyForNodesThatDeclareThemAndOnlyThoseAreSent) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 2, {kEcho, {"api", {}, {}, {"token"}}});
  router_->Dispatch(kNs, {State("plain", "echo"), State("secret", "api", json::Json::object())},
                    clock_.Now());
  EXPECT_THAT(secrets_.pending(), ElementsAre("secret"));
  EXPECT_THAT(sink.TaskIds(), ElementsAre("plain"));
  EXPECT_EQ(TotalCapacity(), 0);  // the slot is held while the secrets are on their way
  secrets_.Complete("secret", json::StringMap{{"token", "t0p"}, {"other_graph_secret", "no"}});
  const auto tasks = sink.OfKind(v1::SidecarMessage::kTask);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_THAT(tasks[1].task().secrets(), ::testing::SizeIs(1));
  EXPECT_EQ(tasks[1].task().secrets().at("token"), "t0p");
}

TEST_F(TaskRouterTest, MissingOrUnreachableSecretsAreReportedErrored) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 2, {{"api", {}, {}, {"token"}}});
  router_->Dispatch(
      kNs, {State("s1", "api", json::Json::object()), State("s2", "api", json::Json::object())},
      clock_.Now());
  secrets_.Complete("s1", json::StringMap{{"unrelated", "x"}});
  secrets_.Complete("s2", absl::UnavailableError("GET secrets: HTTP 500"));
  EXPECT_THAT(
      reports_.ReportFor("s1").error,
      HasSubstr("secret \"token\" declared by node \"api\" is not among the graph's secrets"));
  EXPECT_THAT(reports_.ReportFor("s2").error, HasSubstr("could not fetch the secrets"));
  EXPECT_THAT(sink.TaskIds(), IsEmpty());
  EXPECT_EQ(TotalCapacity(), 2);
}

TEST_F(TaskRouterTest, APassedDeadlineCancelsTheTaskReportsErroredAndRejectsTheLateResult) {
  FakeWorkerSink sink;
  AddWorker(sink, "rt", 1, {{"slow", {}, {"out"}, {}, 500}});
  router_->Dispatch(kNs, {State("s1", "slow", json::Json::object())}, clock_.Now());
  Advance(absl::Milliseconds(499));
  EXPECT_EQ(reports_.count(), 0u);
  Advance(absl::Milliseconds(1));
  const auto cancels = sink.OfKind(v1::SidecarMessage::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].cancel().state_id(), "s1");
  EXPECT_EQ(cancels[0].cancel().reason(), v1::CancelTask::DEADLINE_EXCEEDED);
  EXPECT_THAT(reports_.ReportFor("s1").error, HasSubstr("deadline exceeded after 500 ms"));
  EXPECT_EQ(TotalCapacity(), 1);
  router_->HandleResult("w-1", Executed("s1", {{{"out", "late"}}}));
  EXPECT_EQ(reports_.count(), 1u);
  EXPECT_EQ(sink.OfKind(v1::SidecarMessage::kResultRejected).at(0).result_rejected().reason(),
            v1::ResultRejected::UNKNOWN_TASK);
}

TEST_F(TaskRouterTest, ALostWorkersTasksGoToAnotherLiveWorker) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  AddWorker(b, "rt", 1, {kEcho});
  ASSERT_THAT(a.TaskIds(), ElementsAre("s1"));
  router_->RemoveWorker("w-1", "stream broke");
  EXPECT_THAT(b.TaskIds(), ElementsAre("s1"));
  EXPECT_EQ(reports_.count(), 0u);
  router_->HandleResult("w-2", Executed("s1", {{{"out", "ok"}}}));
  EXPECT_EQ(reports_.ReportFor("s1").kind, Report::Kind::kExecuted);
}

TEST_F(TaskRouterTest, ATaskThatTakesDownTooManyWorkersIsReportedErrored) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 1, {kEcho});
  AddWorker(b, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("poison", "echo")}, clock_.Now());
  const std::string first = a.TaskIds().empty() ? "w-2" : "w-1";
  router_->RemoveWorker(first, "crashed");
  EXPECT_EQ(reports_.count(), 0u);
  const std::string second = first == "w-1" ? "w-2" : "w-1";
  router_->RemoveWorker(second, "crashed again");
  EXPECT_THAT(reports_.ReportFor("poison").error,
              HasSubstr("task was in flight on 2 workers that were lost"));
}

TEST_F(TaskRouterTest, ALostTaskAvoidsTheOtherStreamsOfTheProcessThatWasLost) {
  // Two streams of process 1 and one of process 2. When process 1 dies, its streams close one
  // after the other; its second stream looks idle until its own close arrives.
  auto add = [&](FakeWorkerSink& sink, const std::string& label, uint32_t slots) {
    v1::Hello hello = MakeHello("rt", slots, {kEcho});
    hello.set_worker_label(label);
    absl::StatusOr<WorkerSpec> spec = ValidateHello(hello, limits_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    absl::StatusOr<std::string> id = router_->AddWorker(*std::move(spec), &sink, 1024);
    EXPECT_TRUE(id.ok()) << id.status();
    RegisterAll();
    return id.value_or("");
  };
  FakeWorkerSink first_of_1, second_of_1, only_of_2;
  const std::string dying = add(first_of_1, "host:1", 1);
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  const std::string sibling = add(second_of_1, "host:1", 1);
  const std::string other = add(only_of_2, "host:2", 2);
  router_->Dispatch(kNs, {State("busy", "echo")}, clock_.Now());
  ASSERT_THAT(only_of_2.TaskIds(), ElementsAre("busy"));  // the idle sibling is less loaded

  router_->RemoveWorker(dying, "stream broke");
  EXPECT_THAT(second_of_1.TaskIds(), IsEmpty());
  EXPECT_THAT(only_of_2.TaskIds(), ElementsAre("busy", "s1"));
  router_->RemoveWorker(sibling, "stream broke");
  EXPECT_EQ(reports_.count(), 0u);
  router_->HandleResult(other, Executed("s1", {{{"out", "ok"}}}));
  EXPECT_EQ(reports_.ReportFor("s1").kind, Report::Kind::kExecuted);
}

TEST_F(TaskRouterTest, ALostTaskStillGoesToASiblingStreamWhenNoOtherWorkerIsFree) {
  FakeWorkerSink a, b;
  v1::Hello hello = MakeHello("rt", 1, {kEcho});
  hello.set_worker_label("host:1");
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec, ValidateHello(hello, limits_));
  ASSERT_OK_AND_ASSIGN(std::string first, router_->AddWorker(spec, &a, 1024));
  RegisterAll();
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  ASSERT_OK(router_->AddWorker(spec, &b, 1024).status());
  RegisterAll();
  router_->RemoveWorker(first, "one stream broke, the process lives");
  EXPECT_THAT(b.TaskIds(), ElementsAre("s1"));
}

TEST_F(TaskRouterTest, AnOrphanWaitsForAWorkerWithinTheGracePeriod) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  router_->RemoveWorker("w-1", "restarting");
  EXPECT_EQ(router_->Stats().orphaned_tasks, 1);
  Advance(absl::Seconds(9));
  AddWorker(b, "rt", 1, {kEcho});
  EXPECT_THAT(b.TaskIds(), ElementsAre("s1"));
  EXPECT_EQ(TotalCapacity(), 0);  // the returning slot went to the orphan, not to a new claim
  Advance(absl::Seconds(5));      // the grace timer was cancelled
  EXPECT_EQ(reports_.count(), 0u);
}

TEST_F(TaskRouterTest, AnOrphanIsHandedBackWhenNoWorkerComesInTime) {
  FakeWorkerSink a;
  AddWorker(a, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  router_->RemoveWorker("w-1", "gone");
  Advance(absl::Seconds(10));
  const Report report = reports_.ReportFor("s1");
  EXPECT_EQ(report.kind, Report::Kind::kRequeueAfter);
  EXPECT_EQ(report.delay_ms, 1500);
  EXPECT_EQ(router_->Stats().tasks_in_flight, 0);
  EXPECT_EQ(metrics_.Finished(kNs, "echo", SidecarMetrics::Outcome::kHandedBack), 1u);
  EXPECT_EQ(metrics_.Finished(kNs, "echo", SidecarMetrics::Outcome::kRequeued), 0u);
}

TEST_F(TaskRouterTest, StatesOfANodeNobodyServesAreHandedBackAfterTheGracePeriod) {
  FakeWorkerSink a;
  AddWorker(a, "rt", 1, {kEcho});
  router_->Dispatch(kNs, {State("s1", "unknown", json::Json::object())}, clock_.Now());
  Advance(absl::Seconds(10));
  EXPECT_EQ(reports_.ReportFor("s1").kind, Report::Kind::kRequeueAfter);
}

TEST_F(TaskRouterTest, DrainTellsWorkersStopsClaimsAndHandBackAllCancelsTheRest) {
  FakeWorkerSink a, b;
  AddWorker(a, "rt", 2, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo"), State("s2", "echo")}, clock_.Now());
  router_->BeginDrain(absl::Seconds(30));
  EXPECT_EQ(a.OfKind(v1::SidecarMessage::kDrain).at(0).drain().deadline_ms(), 30000u);
  EXPECT_THAT(router_->PlanPolls(kNs), IsEmpty());
  ASSERT_OK_AND_ASSIGN(WorkerSpec spec, ValidateHello(MakeHello("rt", 1, {kEcho}), limits_));
  EXPECT_THAT(router_->AddWorker(spec, &b, 1024),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("draining")));

  router_->HandleResult("w-1", Executed("s1", {{{"out", "done"}}}));  // results still count
  EXPECT_FALSE(router_->AwaitNoTasks(clock_.Now()));
  router_->HandBackAll("drain timeout");
  EXPECT_EQ(reports_.ReportFor("s1").kind, Report::Kind::kExecuted);
  EXPECT_EQ(reports_.ReportFor("s2").kind, Report::Kind::kRequeueAfter);
  const auto cancels = a.OfKind(v1::SidecarMessage::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].cancel().reason(), v1::CancelTask::DRAIN_TIMEOUT);
  EXPECT_TRUE(router_->AwaitNoTasks(clock_.Now()));
}

TEST_F(TaskRouterTest, ClaimsArrivingDuringADrainAreHandedBackAtOnce) {
  FakeWorkerSink a;
  AddWorker(a, "rt", 2, {kEcho});
  router_->BeginDrain(absl::Seconds(30));
  router_->Dispatch(kNs, {State("late", "echo")}, clock_.Now());
  EXPECT_EQ(reports_.ReportFor("late").kind, Report::Kind::kRequeueAfter);
  EXPECT_THAT(a.TaskIds(), IsEmpty());
}

TEST_F(TaskRouterTest, SlotsCanBeLoweredToPauseAndRaisedAgain) {
  FakeWorkerSink a;
  AddWorker(a, "rt", 2, {kEcho});
  router_->SetSlots("w-1", 0);
  EXPECT_EQ(TotalCapacity(), 0);
  const int events = capacity_.events(kNs);
  router_->SetSlots("w-1", 5);
  EXPECT_EQ(TotalCapacity(), 5);
  EXPECT_GT(capacity_.events(kNs), events);
}

TEST_F(TaskRouterTest, MalformedAndDuplicateClaimsAreHandledOnce) {
  FakeWorkerSink a;
  AddWorker(a, "rt", 2, {kEcho});
  ClaimedState malformed = State("bad", "echo");
  malformed.malformed = "field 'inputs' must be an object";
  router_->Dispatch(kNs, {malformed, State("s1", "echo")}, clock_.Now());
  router_->Dispatch(kNs, {State("s1", "echo")}, clock_.Now());
  EXPECT_THAT(reports_.ReportFor("bad").error, HasSubstr("malformed state"));
  EXPECT_THAT(a.TaskIds(), ElementsAre("s1"));
}

// Whatever happens to workers, every claimed state leaves the router exactly once.
TEST_F(TaskRouterTest, SendsAndReportsHappenWithTheRouterUnlocked) {
  // Each hook asks, from another thread, for the router's statistics (which take its lock) and
  // waits a bounded time: a send or report made under the lock would make it time out.
  std::atomic<int> calls{0};
  std::atomic<int> blocked{0};
  auto probe = [&] {
    ++calls;
    absl::Notification answered;
    std::thread prober([&] {
      router_->Stats();
      answered.Notify();
    });
    if (!answered.WaitForNotificationWithTimeout(absl::Seconds(10))) ++blocked;
    prober.join();
  };
  FakeWorkerSink sink;
  sink.SetHook(probe);
  reports_.SetHook(probe);
  const std::string worker = AddWorker(sink, "rt", 2, {kEcho});
  router_->Dispatch(kNs, {State("s1", "echo"), State("s2", "echo")}, clock_.Now());
  router_->HandleResult(worker, Executed("s1", {{{"out", "x"}}}));
  router_->HandleResult(worker, Executed("unknown", {}));  // answered with ResultRejected
  router_->BeginDrain(absl::ZeroDuration());
  router_->HandBackAll("test end");
  // Welcome, Registration, two Tasks (one SendAll), ResultRejected, Drain, Cancel; two reports.
  EXPECT_GE(calls.load(), 8);
  EXPECT_EQ(blocked.load(), 0);
  EXPECT_EQ(reports_.count(), 2u);
}

TEST_F(TaskRouterTest, EveryClaimedStateIsReportedExactlyOnceUnderRandomChurn) {
  absl::BitGen gen;
  std::map<std::string, std::unique_ptr<FakeWorkerSink>> sinks;  // by worker id
  std::set<std::string> claimed;
  int next_state = 0;
  for (int step = 0; step < 3000; ++step) {
    const int action = absl::Uniform(gen, 0, 100);
    if (action < 10 || sinks.empty()) {
      auto sink = std::make_unique<FakeWorkerSink>();
      const std::string id = AddWorker(*sink, "rt", absl::Uniform<uint32_t>(gen, 1, 4),
                                       {{"echo", {"text"}, {"out"}, {}, 1000}});
      sinks[id] = std::move(sink);
    } else if (action < 18) {
      auto it = std::next(sinks.begin(), absl::Uniform<size_t>(gen, 0, sinks.size()));
      router_->RemoveWorker(it->first, "churn");
      sinks.erase(it);
    } else if (action < 50) {
      std::vector<ClaimedState> batch;
      const int capacity = TotalCapacity();
      for (int i = 0; i < capacity; ++i) {
        const std::string id = absl::StrCat("s", next_state++);
        claimed.insert(id);
        batch.push_back(State(id, "echo"));
      }
      router_->Dispatch(kNs, batch, clock_.Now());
    } else if (action < 90) {
      // A worker answers one of its tasks (possibly one already answered or cancelled).
      auto it = std::next(sinks.begin(), absl::Uniform<size_t>(gen, 0, sinks.size()));
      const std::vector<std::string> tasks = it->second->TaskIds();
      if (!tasks.empty()) {
        const std::string& id = tasks[absl::Uniform<size_t>(gen, 0, tasks.size())];
        router_->HandleResult(it->first, Executed(id, {{{"out", "x"}}}));
      }
    } else {
      Advance(absl::Milliseconds(absl::Uniform(gen, 1, 3000)));
    }
  }
  router_->BeginDrain(absl::ZeroDuration());
  router_->HandBackAll("test end");
  Advance(absl::Seconds(60));
  std::map<std::string, int> counts;
  for (const Report& report : reports_.reports()) ++counts[report.state_id];
  EXPECT_EQ(counts.size(), claimed.size());
  for (const std::string& id : claimed) EXPECT_EQ(counts[id], 1) << id;
  uint64_t finished = 0;
  for (SidecarMetrics::Outcome outcome :
       {SidecarMetrics::Outcome::kExecuted, SidecarMetrics::Outcome::kErrored,
        SidecarMetrics::Outcome::kPruned, SidecarMetrics::Outcome::kRequeued,
        SidecarMetrics::Outcome::kHandedBack}) {
    finished += metrics_.Finished(kNs, "echo", outcome);
  }
  EXPECT_EQ(finished, claimed.size());
  EXPECT_EQ(router_->Stats().tasks_in_flight, 0);
}

}  // namespace
}  // namespace exosphere::sidecar
