#include "exosphere/client/runtime.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "harness/scratch_dir.h"
#include "tests/client/cpp/fake_node_host.h"
#include "tests/client/cpp/fake_sidecar_server.h"
#include "tests/support/status_matchers.h"

namespace exosphere::client {
namespace {

namespace v1 = ::exosphere::sidecar::v1;
using ::exosphere::client::testing::FakeNodeHost;
using ::exosphere::client::testing::FakeSidecarServer;
using ::exosphere::client::testing::FakeWorkerConnection;
using ::exosphere::harness::ScratchDir;
using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kTimeout = absl::Seconds(10);

StringMap Fields(const v1::Output& output) {
  return StringMap(output.fields().begin(), output.fields().end());
}

// Counts nodes running at once and holds them until released.
class Gate {
 public:
  // Called by a node: counts it as running until Release().
  void Enter() {
    absl::MutexLock lock(&mu_);
    ++running_;
    ++entered_;
    max_running_ = std::max(max_running_, running_);
    mu_.Await(absl::Condition(&released_));
    --running_;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  bool AwaitRunning(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  int max_running() {
    absl::MutexLock lock(&mu_);
    return max_running_;
  }

 private:
  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int entered_ ABSL_GUARDED_BY(mu_) = 0;
  int max_running_ ABSL_GUARDED_BY(mu_) = 0;
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(server_, FakeSidecarServer::Start({&host_})); }

  void TearDown() override {
    runtime_.reset();
    server_.reset();
  }

  RuntimeOptions Options(int workers = 2) {
    RuntimeOptions options;
    options.workers = workers;
    options.initial_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(50);
    options.channel_factory = [this] { return server_->InProcessChannel(); };
    options.log_sink = [this](LogSeverity, const std::string& message) {
      absl::MutexLock lock(&log_mu_);
      logs_.push_back(message);
    };
    return options;
  }

  // Creates and starts runtime_ and returns the stream of its first Hello.
  absl::StatusOr<FakeWorkerConnection*> StartRuntime(std::vector<std::shared_ptr<BaseNode>> nodes,
                                                     RuntimeOptions options,
                                                     const std::string& namespace_name = "ns") {
    absl::StatusOr<std::unique_ptr<Runtime>> runtime =
        Runtime::Create(namespace_name, "test-runtime", std::move(nodes), std::move(options));
    if (!runtime.ok()) return runtime.status();
    runtime_ = *std::move(runtime);
    absl::Status started = runtime_->Start();
    if (!started.ok()) return started;
    return host_.WaitForConnection(0, kTimeout);
  }

  // Runs one task of the node "node" (declaring `outputs`) and returns its result.
  absl::StatusOr<v1::TaskResult> ResultOf(ExecuteFunction execute,
                                          std::vector<std::string> outputs = {"out"}) {
    absl::StatusOr<FakeWorkerConnection*> connection =
        StartRuntime({MakeNode({"node", {}, std::move(outputs)}, std::move(execute))}, Options());
    if (!connection.ok()) return connection.status();
    (*connection)->SendTask("s1", "node");
    return (*connection)->NextResult(kTimeout);
  }

  bool AwaitLog(const std::string& part, absl::Duration timeout) {
    absl::MutexLock lock(&log_mu_);
    auto logged = [this, &part]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(log_mu_) {
      for (const std::string& line : logs_) {
        if (line.find(part) != std::string::npos) return true;
      }
      return false;
    };
    return log_mu_.AwaitWithTimeout(absl::Condition(&logged), timeout);
  }

  FakeNodeHost host_;
  std::unique_ptr<FakeSidecarServer> server_;
  std::unique_ptr<Runtime> runtime_;
  absl::Mutex log_mu_;
  std::vector<std::string> logs_ ABSL_GUARDED_BY(log_mu_);
};

TEST_F(RuntimeTest, HelloDescribesNodesSlotsLabelAndToken) {
  RuntimeOptions options = Options(/*workers=*/3);
  options.worker_label = "pod-7";
  options.worker_token = "token-123";
  NodeSpec spec{"fetch", {"url"}, {"body", "status"}, {"api_key"}, absl::Microseconds(1500)};
  spec.inputs_schema_json = R"({"type":"object","properties":{"url":{"type":"string"}}})";
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode(spec, [](const Task&) { return NodeResult(); })},
                                    std::move(options), "team-a"));

  const v1::Hello hello = connection->hello();
  EXPECT_EQ(hello.namespace_(), "team-a");
  EXPECT_EQ(hello.runtime_name(), "test-runtime");
  EXPECT_EQ(hello.slots(), 3u);
  EXPECT_EQ(hello.worker_label(), "pod-7");
  ASSERT_EQ(hello.nodes_size(), 1);
  const v1::NodeDefinition& node = hello.nodes(0);
  EXPECT_EQ(node.name(), "fetch");
  EXPECT_THAT(node.input_fields(), ElementsAre("url"));
  EXPECT_THAT(node.output_fields(), ElementsAre("body", "status"));
  EXPECT_THAT(node.secret_fields(), ElementsAre("api_key"));
  EXPECT_EQ(node.deadline_ms(), 2u);  // rounded up to whole milliseconds
  EXPECT_EQ(node.inputs_schema_json(), spec.inputs_schema_json);
  EXPECT_EQ(connection->worker_token(), "token-123");
}

TEST_F(RuntimeTest, OneOutputIsSentAsExecuted) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, ResultOf([](const Task&) {
                         return StringMap{{"out", "1"}, {"extra", "kept"}};
                       }));
  EXPECT_EQ(result.state_id(), "s1");
  ASSERT_TRUE(result.has_executed());
  ASSERT_EQ(result.executed().outputs_size(), 1);
  EXPECT_THAT(Fields(result.executed().outputs(0)),
              UnorderedElementsAre(Pair("out", "1"), Pair("extra", "kept")));
}

TEST_F(RuntimeTest, SeveralOutputsFanOut) {
  ASSERT_OK_AND_ASSIGN(
      v1::TaskResult result, ResultOf([](const Task&) {
        return std::vector<StringMap>{{{"out", "a"}}, {{"out", "b"}}, {{"out", "c"}}};
      }));
  ASSERT_TRUE(result.has_executed());
  ASSERT_EQ(result.executed().outputs_size(), 3);
  EXPECT_EQ(result.executed().outputs(2).fields().at("out"), "c");
}

TEST_F(RuntimeTest, ZeroOutputsFinishWithoutOutput) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result,
                       ResultOf([](const Task&) { return NodeResult::NoOutputs(); }));
  ASSERT_TRUE(result.has_executed());
  EXPECT_EQ(result.executed().outputs_size(), 0);
}

TEST_F(RuntimeTest, PruneCarriesData) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, ResultOf([](const Task&) {
                         return NodeResult::Prune({{"reason", "duplicate"}});
                       }));
  ASSERT_TRUE(result.has_prune());
  EXPECT_EQ(result.prune().data().fields().at("reason").string_value(), "duplicate");
}

TEST_F(RuntimeTest, RequeueAfterSendsDelayInMilliseconds) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, ResultOf([](const Task&) {
                         return NodeResult::RequeueAfter(absl::Seconds(3));
                       }));
  ASSERT_TRUE(result.has_requeue_after());
  EXPECT_EQ(result.requeue_after().delay_ms(), 3000u);
}

TEST_F(RuntimeTest, NonPositiveRequeueDelayIsErrored) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, ResultOf([](const Task&) {
                         return NodeResult::RequeueAfter(absl::ZeroDuration());
                       }));
  ASSERT_TRUE(result.has_errored());
  EXPECT_EQ(result.errored().message(), "Delay must be greater than 0");
}

TEST_F(RuntimeTest, ErrorStatusBecomesErroredWithItsMessage) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result,
                       ResultOf([](const Task&) { return absl::NotFoundError("no user 42"); }));
  ASSERT_TRUE(result.has_errored());
  EXPECT_EQ(result.errored().message(), "no user 42");
}

TEST_F(RuntimeTest, ExceptionBecomesErroredAndTheWorkerKeepsServing) {
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"node", {}, {"out"}},
                                              [&calls](const Task& task) -> NodeResult {
                                                ++calls;
                                                if (task.state_id() == "s1")
                                                  throw std::runtime_error("boom");
                                                if (task.state_id() == "s2") throw 42;
                                                return StringMap{{"out", "fine"}};
                                              })},
                                    Options(/*workers=*/1)));
  connection->SendTask("s1", "node");
  connection->SendTask("s2", "node");
  connection->SendTask("s3", "node");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult first, connection->NextResult(kTimeout));
  ASSERT_OK_AND_ASSIGN(v1::TaskResult second, connection->NextResult(kTimeout));
  ASSERT_OK_AND_ASSIGN(v1::TaskResult third, connection->NextResult(kTimeout));
  EXPECT_EQ(first.errored().message(), "boom");
  EXPECT_THAT(second.errored().message(), HasSubstr("not a std::exception"));
  EXPECT_TRUE(third.has_executed());
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(RuntimeTest, OutputMissingADeclaredFieldIsErroredLocally) {
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, ResultOf(
                                                  [](const Task&) {
                                                    return StringMap{{"other", "x"}};
                                                  },
                                                  {"out", "count"}));
  ASSERT_TRUE(result.has_errored());
  EXPECT_THAT(result.errored().message(),
              HasSubstr("lacks the declared output fields \"out\", \"count\""));
}

TEST_F(RuntimeTest, UnknownNodeIsErrored) {
  ASSERT_OK_AND_ASSIGN(
      FakeWorkerConnection * connection,
      StartRuntime({MakeNode({"node"}, [](const Task&) { return NodeResult(); })}, Options()));
  connection->SendTask("s1", "other");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
  EXPECT_EQ(result.errored().message(), "Unknown node \"other\"");
}

TEST_F(RuntimeTest, NodeSeesInputsSecretsAndIdentifier) {
  ASSERT_OK_AND_ASSIGN(
      FakeWorkerConnection * connection,
      StartRuntime({MakeNode({"echo", {"name"}, {"seen"}, {"key"}},
                             [](const Task& task) {
                               return StringMap{
                                   {"seen", task.state_id() + "|" + task.node_name() + "|" +
                                                task.identifier() + "|" + task.input("name") + "|" +
                                                task.secret("key") + "|" + task.input("absent")}};
                             })},
                   Options()));
  connection->SendTask("s9", "echo", {{"name", "ada"}}, {{"key", "k-1"}}, "greet");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
  EXPECT_EQ(result.executed().outputs(0).fields().at("seen"), "s9|echo|greet|ada|k-1|");
}

TEST_F(RuntimeTest, CancelTaskSignalsTheNodeAndDropsItsResult) {
  absl::Notification started;
  absl::Mutex mu;
  std::string cancel_reason;
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"slow", {}, {"out"}},
                                              [&](const Task& task) {
                                                started.Notify();
                                                if (task.WaitForCancellation(kTimeout)) {
                                                  absl::MutexLock lock(&mu);
                                                  cancel_reason = task.cancellation()->reason();
                                                }
                                                return StringMap{{"out", "late"}};
                                              }),
                                     MakeNode({"fast", {}, {"out"}},
                                              [](const Task&) {
                                                return StringMap{{"out", "fast"}};
                                              })},
                                    Options(/*workers=*/1)));
  connection->SendTask("s1", "slow");
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kTimeout));
  connection->SendCancel("s1", v1::CancelTask::DEADLINE_EXCEEDED);
  // With one worker thread, s2 runs only after s1's result was dropped or sent; the first
  // result to arrive shows which.
  connection->SendTask("s2", "fast");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
  EXPECT_EQ(result.state_id(), "s2");
  absl::MutexLock lock(&mu);
  EXPECT_THAT(cancel_reason, HasSubstr("cancelled by the test"));
}

TEST_F(RuntimeTest, EveryTaskOfATaskBatchRunsOnceAndIsAnsweredByItself) {
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"node", {}, {"out"}},
                                              [](const Task&) {
                                                return StringMap{{"out", "1"}};
                                              })},
                                    Options(/*workers=*/3)));
  v1::SidecarMessage batch;
  for (const char* id : {"s1", "s2", "s3"}) {
    v1::Task& task = *batch.mutable_task_batch()->add_tasks();
    task.set_state_id(id);
    task.set_node_name("node");
    task.set_identifier("node");
  }
  connection->Send(std::move(batch));
  std::vector<std::string> answered;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
    EXPECT_TRUE(result.has_executed());
    answered.push_back(result.state_id());
  }
  EXPECT_THAT(answered, UnorderedElementsAre("s1", "s2", "s3"));
  // Nothing more: one result per task.
  EXPECT_THAT(connection->NextMessage(absl::Milliseconds(100)).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no message")));
}

TEST_F(RuntimeTest, RunsAtMostWorkersTasksAtOnce) {
  Gate gate;
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"block", {}, {}},
                                              [&gate](const Task&) {
                                                gate.Enter();
                                                return NodeResult();
                                              })},
                                    Options(/*workers=*/2)));
  EXPECT_EQ(connection->hello().slots(), 2u);
  for (int i = 0; i < 5; ++i) connection->SendTask("s" + std::to_string(i), "block");
  ASSERT_TRUE(gate.AwaitRunning(2, kTimeout));
  // Five tasks are waiting; a third one must not start while two run.
  EXPECT_FALSE(gate.AwaitRunning(3, absl::Milliseconds(200)));
  gate.Release();
  for (int i = 0; i < 5; ++i) ASSERT_OK(connection->NextResult(kTimeout).status());
  EXPECT_EQ(gate.max_running(), 2);
}

TEST_F(RuntimeTest, DrainFinishesTasksInFlightThenClosesAndReconnects) {
  Gate gate;
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"block", {}, {}},
                                              [&gate](const Task&) {
                                                gate.Enter();
                                                return NodeResult();
                                              })},
                                    Options()));
  connection->SendTask("s1", "block");
  ASSERT_TRUE(gate.AwaitRunning(1, kTimeout));
  connection->SendDrain(absl::Seconds(30));
  EXPECT_FALSE(connection->WaitForWorkerClose(absl::Milliseconds(100)));
  gate.Release();
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
  EXPECT_EQ(result.state_id(), "s1");
  EXPECT_TRUE(connection->WaitForWorkerClose(kTimeout));
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * second, host_.WaitForConnection(1, kTimeout));
  second->SendTask("s2", "block");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult after, second->NextResult(kTimeout));
  EXPECT_EQ(after.state_id(), "s2");
}

TEST_F(RuntimeTest, StopPausesFinishesTasksInFlightAndCloses) {
  Gate gate;
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"block", {}, {}},
                                              [&gate](const Task&) {
                                                gate.Enter();
                                                return NodeResult();
                                              })},
                                    Options()));
  connection->SendTask("s1", "block");
  ASSERT_TRUE(gate.AwaitRunning(1, kTimeout));
  absl::Notification stopped;
  std::thread stopper([&] {
    runtime_->Stop();
    stopped.Notify();
  });
  ASSERT_OK_AND_ASSIGN(v1::WorkerMessage pause, connection->NextMessage(kTimeout));
  EXPECT_TRUE(pause.has_set_slots());
  EXPECT_EQ(pause.set_slots().slots(), 0u);
  EXPECT_FALSE(stopped.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  gate.Release();
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
  EXPECT_EQ(result.state_id(), "s1");
  EXPECT_TRUE(connection->WaitForWorkerClose(kTimeout));
  EXPECT_TRUE(stopped.WaitForNotificationWithTimeout(kTimeout));
  stopper.join();
  EXPECT_OK(runtime_->Wait());
  EXPECT_EQ(host_.hello_count(), 1);
}

TEST_F(RuntimeTest, StopCalledFromANodeBeginsTheStopWithoutDeadlock) {
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"shutdown", {}, {"done"}},
                                              [this](const Task&) {
                                                runtime_->Stop();
                                                return StringMap{{"done", "yes"}};
                                              })},
                                    Options()));
  connection->SendTask("s1", "shutdown");
  ASSERT_OK_AND_ASSIGN(v1::WorkerMessage pause, connection->NextMessage(kTimeout));
  EXPECT_EQ(pause.set_slots().slots(), 0u);
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, connection->NextResult(kTimeout));
  EXPECT_EQ(result.executed().outputs(0).fields().at("done"), "yes");
  EXPECT_TRUE(connection->WaitForWorkerClose(kTimeout));
  EXPECT_OK(runtime_->Wait());
}

TEST_F(RuntimeTest, StopCancelsTasksStillRunningAfterTheGracePeriod) {
  absl::Notification started;
  bool cancelled = false;
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"stubborn", {}, {}},
                                              [&](const Task& task) {
                                                started.Notify();
                                                cancelled = task.WaitForCancellation(kTimeout);
                                                return NodeResult();
                                              })},
                                    Options()));
  connection->SendTask("s1", "stubborn");
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kTimeout));
  runtime_->Stop(absl::Milliseconds(50));
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(connection->WaitForDone(kTimeout));
  ASSERT_OK_AND_ASSIGN(v1::WorkerMessage pause, connection->NextMessage(kTimeout));
  EXPECT_TRUE(pause.has_set_slots());
  // The stream is over: nothing else was sent, in particular no result for s1.
  EXPECT_THAT(connection->NextMessage(absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no message")));
}

TEST_F(RuntimeTest, BrokenStreamCancelsTasksAndReconnects) {
  absl::Notification started;
  absl::Mutex mu;
  std::string cancel_reason;
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       StartRuntime({MakeNode({"slow", {}, {}},
                                              [&](const Task& task) {
                                                if (task.state_id() != "s1") return NodeResult();
                                                started.Notify();
                                                if (task.WaitForCancellation(kTimeout)) {
                                                  absl::MutexLock lock(&mu);
                                                  cancel_reason = task.cancellation()->reason();
                                                }
                                                return NodeResult();
                                              })},
                                    Options(/*workers=*/1)));
  connection->SendTask("s1", "slow");
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kTimeout));
  connection->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "sidecar restarting"));
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * second, host_.WaitForConnection(1, kTimeout));
  second->SendTask("s2", "slow");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, second->NextResult(kTimeout));
  EXPECT_EQ(result.state_id(), "s2");  // s1's result did not follow it to the new stream
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(cancel_reason, "the stream to the sidecar ended");
  }
  EXPECT_TRUE(AwaitLog("reconnecting in", kTimeout));
}

TEST_F(RuntimeTest, RetriesHellosRejectedForTransientReasons) {
  host_.RejectNextHellos({grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many workers"),
                          grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining")});
  ASSERT_OK(StartRuntime({MakeNode({"node", {}, {}}, [](const Task&) { return NodeResult(); })},
                         Options())
                .status());
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * third, host_.WaitForConnection(2, kTimeout));
  third->SendTask("s1", "node");
  EXPECT_OK(third->NextResult(kTimeout).status());
  EXPECT_TRUE(AwaitLog("too many workers", kTimeout));
}

TEST_F(RuntimeTest, ReconnectBackoffGrowsBetweenFailedAttempts) {
  RuntimeOptions options = Options();
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(80);
  const grpc::Status unavailable(grpc::StatusCode::UNAVAILABLE, "not yet");
  host_.RejectNextHellos({unavailable, unavailable, unavailable, unavailable});
  ASSERT_OK(StartRuntime({MakeNode({"node"}, [](const Task&) { return NodeResult(); })},
                         std::move(options))
                .status());
  ASSERT_OK(host_.WaitForConnection(4, kTimeout).status());
  const std::vector<absl::Time> times = host_.hello_times();
  ASSERT_GE(times.size(), 5u);
  // Attempt n waits at least half its ceiling min(20 ms * 2^n, 80 ms).
  const absl::Duration floors[] = {absl::Milliseconds(10), absl::Milliseconds(20),
                                   absl::Milliseconds(40), absl::Milliseconds(40)};
  for (int i = 0; i < 4; ++i) {
    EXPECT_GE(times[i + 1] - times[i], floors[i]) << "between attempts " << i << " and " << i + 1;
  }
}

class PermanentHelloErrorTest : public RuntimeTest,
                                public ::testing::WithParamInterface<grpc::StatusCode> {};

TEST_P(PermanentHelloErrorTest, EndsTheRuntimeWithTheSidecarsError) {
  host_.RejectNextHellos({grpc::Status(GetParam(), "node \"node\" is served differently")});
  ASSERT_OK(StartRuntime({MakeNode({"node"}, [](const Task&) { return NodeResult(); })}, Options())
                .status());
  const absl::Status status = runtime_->Wait();
  EXPECT_THAT(status, StatusIs(static_cast<absl::StatusCode>(GetParam()),
                               HasSubstr("node \"node\" is served differently")));
  EXPECT_THAT(status.message(), HasSubstr("rejected the Hello of runtime \"test-runtime\""));
  EXPECT_THAT(runtime_->WaitUntilRegistered(kTimeout), StatusIs(status.code(), HasSubstr("Hello")));
  EXPECT_EQ(host_.hello_count(), 1);
}

INSTANTIATE_TEST_SUITE_P(Codes, PermanentHelloErrorTest,
                         ::testing::Values(grpc::StatusCode::INVALID_ARGUMENT,
                                           grpc::StatusCode::FAILED_PRECONDITION,
                                           grpc::StatusCode::UNAUTHENTICATED));

TEST_F(RuntimeTest, WaitUntilRegisteredFollowsRegistrationMessages) {
  host_.set_auto_register(false);
  ASSERT_OK_AND_ASSIGN(
      FakeWorkerConnection * connection,
      StartRuntime({MakeNode({"node"}, [](const Task&) { return NodeResult(); })}, Options()));
  connection->SendRegistration(false, "state manager unreachable");
  ASSERT_TRUE(AwaitLog("state manager unreachable", kTimeout));
  EXPECT_THAT(runtime_->WaitUntilRegistered(absl::Milliseconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("last error: state manager unreachable")));
  connection->SendRegistration(true);
  EXPECT_OK(runtime_->WaitUntilRegistered(kTimeout));
}

TEST_F(RuntimeTest, ResultLargerThanTheSidecarsLimitIsErrored) {
  host_.set_max_message_bytes(2000);
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, ResultOf([](const Task&) {
                         return StringMap{{"out", std::string(5000, 'x')}};
                       }));
  ASSERT_TRUE(result.has_errored());
  EXPECT_THAT(result.errored().message(), HasSubstr("more than the sidecar's limit of 2000"));
}

TEST_F(RuntimeTest, RejectedResultIsLogged) {
  ASSERT_OK_AND_ASSIGN(
      FakeWorkerConnection * connection,
      StartRuntime({MakeNode({"node"}, [](const Task&) { return NodeResult(); })}, Options()));
  v1::SidecarMessage rejected;
  rejected.mutable_result_rejected()->set_state_id("s7");
  rejected.mutable_result_rejected()->set_reason(v1::ResultRejected::UNKNOWN_TASK);
  rejected.mutable_result_rejected()->set_message("no task s7 in flight");
  connection->Send(rejected);
  EXPECT_TRUE(
      AwaitLog("rejected the result for state s7 (UNKNOWN_TASK): no task s7 in flight", kTimeout));
}

TEST_F(RuntimeTest, StartTwiceAndWaitBeforeStartFail) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Runtime> runtime,
      Runtime::Create("ns", "rt", {MakeNode({"node"}, [](const Task&) { return NodeResult(); })},
                      Options()));
  EXPECT_THAT(runtime->Wait(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not started")));
  EXPECT_THAT(runtime->WaitUntilRegistered(kTimeout),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not started")));
  ASSERT_OK(runtime->Start());
  EXPECT_THAT(runtime->Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already running")));
  runtime->Stop();
  EXPECT_OK(runtime->Wait());
  EXPECT_THAT(runtime->Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("stopped")));
}

TEST_F(RuntimeTest, RunBlocksUntilStop) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Runtime> runtime,
      Runtime::Create("ns", "rt", {MakeNode({"node"}, [](const Task&) { return NodeResult(); })},
                      Options()));
  absl::Status run_status = absl::UnknownError("Run did not return");
  std::thread runner([&] { run_status = runtime->Run(); });
  ASSERT_OK(host_.WaitForConnection(0, kTimeout).status());
  runtime->Stop();
  runner.join();
  EXPECT_OK(run_status);
}

// Uses a real unix socket address (no channel_factory) and a sidecar that starts late and
// restarts.
TEST_F(RuntimeTest, ReachesASidecarThatStartsLateAndReconnectsAfterItRestarts) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ScratchDir> dir, ScratchDir::Create());
  const std::string socket = dir->File("sidecar.sock");
  RuntimeOptions options = Options(/*workers=*/1);
  options.channel_factory = nullptr;
  options.sidecar_address = "unix:" + socket;
  ASSERT_OK_AND_ASSIGN(runtime_, Runtime::Create("ns", "rt",
                                                 {MakeNode({"node", {}, {"out"}},
                                                           [](const Task&) {
                                                             return StringMap{{"out", "ok"}};
                                                           })},
                                                 std::move(options)));
  ASSERT_OK(runtime_->Start());
  ASSERT_TRUE(AwaitLog("Could not connect to the sidecar at unix:" + socket, kTimeout));

  FakeNodeHost first_host;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeSidecarServer> first,
                       FakeSidecarServer::Start({&first_host}, socket));
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * connection,
                       first_host.WaitForConnection(0, kTimeout));
  connection->SendTask("s1", "node");
  ASSERT_OK(connection->NextResult(kTimeout).status());
  first->Shutdown();

  FakeNodeHost second_host;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeSidecarServer> second,
                       FakeSidecarServer::Start({&second_host}, socket));
  ASSERT_OK_AND_ASSIGN(FakeWorkerConnection * reconnected,
                       second_host.WaitForConnection(0, kTimeout));
  reconnected->SendTask("s2", "node");
  ASSERT_OK_AND_ASSIGN(v1::TaskResult result, reconnected->NextResult(kTimeout));
  EXPECT_EQ(result.state_id(), "s2");
  runtime_.reset();
}

}  // namespace
}  // namespace exosphere::client
