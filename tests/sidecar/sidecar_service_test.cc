// The real sidecar (gRPC services, router, pollers, reporter) over an in-process channel, with a
// fake state manager behind it.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"

#include "exosphere/sidecar/v1/graphs.grpc.pb.h"
#include "exosphere/sidecar/v1/node_host.grpc.pb.h"
#include "sidecar/sidecar.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_state_manager_client.h"
#include "tests/support/status_matchers.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeStateManagerClient;
using ::exosphere::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Stream = grpc::ClientReaderWriter<v1::WorkerMessage, v1::SidecarMessage>;

ClaimedState State(const std::string& id, const std::string& node, json::Json inputs) {
  ClaimedState state;
  state.state_id = id;
  state.node_name = node;
  state.identifier = node;
  state.inputs = std::move(inputs);
  return state;
}

// One worker's end of a NodeHost stream, driven synchronously by the test.
class TestWorker {
 public:
  TestWorker(v1::NodeHost::Stub& stub, const std::string& token = "") {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) context_.AddMetadata("x-exosphere-worker-token", token);
    stream_ = stub.Connect(&context_);
  }
  bool Send(const v1::WorkerMessage& message) { return stream_->Write(message); }
  bool Hello(const std::string& runtime, uint32_t slots, const std::string& node,
             std::vector<std::string> outputs = {"out"}) {
    v1::WorkerMessage message;
    v1::Hello& hello = *message.mutable_hello();
    hello.set_runtime_name(runtime);
    hello.set_slots(slots);
    hello.set_accepts_task_batches(accepts_task_batches_);
    v1::NodeDefinition& definition = *hello.add_nodes();
    definition.set_name(node);
    definition.add_input_fields("text");
    for (const std::string& output : outputs) definition.add_output_fields(output);
    return Send(message);
  }
  // The next message of `kind`, skipping others (e.g. Registration); nullopt if the stream ended.
  std::optional<v1::SidecarMessage> Next(v1::SidecarMessage::KindCase kind) {
    v1::SidecarMessage message;
    while (stream_->Read(&message)) {
      if (message.kind_case() == kind) return message;
    }
    return std::nullopt;
  }
  // Declare in the Hello that this worker takes TaskBatch messages.
  void AcceptTaskBatches() { accepts_task_batches_ = true; }
  // Reads until `count` tasks arrived, skipping other kinds; the state ids of each message that
  // carried tasks (one for a Task, several for a TaskBatch). Fewer if the stream ended.
  std::vector<std::vector<std::string>> NextTasks(int count) {
    std::vector<std::vector<std::string>> messages;
    v1::SidecarMessage message;
    for (int seen = 0; seen < count && stream_->Read(&message);) {
      std::vector<std::string> ids;
      if (message.has_task()) ids.push_back(message.task().state_id());
      for (const v1::Task& task : message.task_batch().tasks()) ids.push_back(task.state_id());
      if (ids.empty()) continue;
      seen += static_cast<int>(ids.size());
      messages.push_back(std::move(ids));
    }
    return messages;
  }
  bool Result(const std::string& state_id, const std::string& out) {
    v1::WorkerMessage message;
    v1::TaskResult& result = *message.mutable_result();
    result.set_state_id(state_id);
    (*result.mutable_executed()->add_outputs()->mutable_fields())["out"] = out;
    return Send(message);
  }
  grpc::Status Close() {
    stream_->WritesDone();
    v1::SidecarMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    return stream_->Finish();
  }
  grpc::Status Finish() {
    v1::SidecarMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    return stream_->Finish();
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<Stream> stream_;
  bool accepts_task_batches_ = false;
};

class SidecarServiceTest : public ::testing::Test {
 protected:
  void Start(SidecarConfig config) {
    config.listen = absl::StrCat("unix:", ::testing::TempDir(), "/sidecar-", getpid(), ".sock");
    config.poll_interval = absl::Milliseconds(20);
    config.reconnect_grace = absl::Seconds(5);
    ASSERT_OK_AND_ASSIGN(sidecar_, Sidecar::Start(config, {&client_, &client_, nullptr}));
    channel_ = sidecar_->InProcessChannel();
    node_host_ = v1::NodeHost::NewStub(channel_);
    graphs_ = v1::Graphs::NewStub(channel_);
  }
  void Start() {
    SidecarConfig config;
    config.state_manager_uri = "http://unused";
    config.api_key = "unused";
    config.max_message_bytes = 64 * 1024;
    Start(config);
  }
  // Claimable states of node "echo" in the default namespace, in this order.
  void AddEchoStates(std::initializer_list<const char*> ids) {
    for (const char* id : ids) client_.AddClaimable("default", State(id, "echo", {{"text", "t"}}));
  }
  void TearDown() override {
    if (sidecar_ != nullptr) sidecar_->Shutdown();
  }

  FakeStateManagerClient client_;
  std::unique_ptr<Sidecar> sidecar_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::NodeHost::Stub> node_host_;
  std::unique_ptr<v1::Graphs::Stub> graphs_;
};

// Listen failures name their real cause and what to do about it.
TEST(SidecarListenTest, AMissingSocketDirectoryIsNamedWithHowToCreateIt) {
  FakeStateManagerClient client;
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  const std::string dir = absl::StrCat(::testing::TempDir(), "/missing-", getpid(), "/exo");
  config.listen = absl::StrCat("unix:", dir, "/s.sock");
  EXPECT_THAT(Sidecar::Start(config, {&client, &client, nullptr}),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat("cannot listen on ", config.listen)),
                             HasSubstr("No such file or directory"),
                             HasSubstr(absl::StrCat("mkdir -p ", dir)))));
}

TEST(SidecarListenTest, APortInUseIsNamed) {
  FakeStateManagerClient client;
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  // A plain listening socket (without SO_REUSEPORT, which gRPC's own listeners share).
  const int holder = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  config.listen = absl::StrCat("127.0.0.1:", port);
  EXPECT_THAT(Sidecar::Start(config, {&client, &client, nullptr}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("cannot listen on 127.0.0.1:", port, ": port ", port,
                                              " is in use"))));
  close(holder);
}

TEST_F(SidecarServiceTest, AWorkerRegistersReceivesTasksAndItsResultsAreReported) {
  Start();
  client_.AddClaimable("default", State("s1", "echo", {{"text", "hello"}}));
  TestWorker worker(*node_host_);
  ASSERT_TRUE(worker.Hello("rt", 2, "echo"));
  auto welcome = worker.Next(v1::SidecarMessage::kWelcome);
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->welcome().namespace_(), "default");
  EXPECT_EQ(welcome->welcome().max_message_bytes(), 64u * 1024);
  auto registration = worker.Next(v1::SidecarMessage::kRegistration);
  ASSERT_TRUE(registration.has_value());
  EXPECT_TRUE(registration->registration().registered());
  ASSERT_EQ(client_.registrations().size(), 1u);
  EXPECT_EQ(client_.registrations()[0].runtime_name, "rt");

  auto task = worker.Next(v1::SidecarMessage::kTask);
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->task().state_id(), "s1");
  EXPECT_EQ(task->task().inputs().at("text"), "hello");
  ASSERT_TRUE(worker.Result("s1", "HELLO"));
  ASSERT_TRUE(client_.AwaitReports(1));
  EXPECT_EQ(client_.reports()[0].report.outputs[0].at("out"), "HELLO");
  // Claims never asked for more than the worker's two slots.
  for (const auto& call : client_.claim_calls()) EXPECT_LE(call.batch_size, 2);
  EXPECT_TRUE(worker.Close().ok());
}

TEST_F(SidecarServiceTest, TasksClaimedTogetherReachAWorkerThatTakesBatchesInOneMessage) {
  Start();
  AddEchoStates({"s1", "s2", "s3", "s4"});
  TestWorker worker(*node_host_);
  worker.AcceptTaskBatches();
  ASSERT_TRUE(worker.Hello("rt", 4, "echo"));
  // One claim of four: they queue for the stream together and leave as one TaskBatch.
  const std::vector<std::vector<std::string>> messages = worker.NextTasks(4);
  ASSERT_THAT(messages, ElementsAre(ElementsAre("s1", "s2", "s3", "s4")));
  for (const std::string& id : messages[0]) ASSERT_TRUE(worker.Result(id, "done"));
  ASSERT_TRUE(client_.AwaitReports(4));
  EXPECT_TRUE(worker.Close().ok());
}

TEST_F(SidecarServiceTest, AWorkerThatDoesNotTakeBatchesGetsEachTaskInItsOwnMessage) {
  Start();
  AddEchoStates({"s1", "s2", "s3", "s4"});
  TestWorker worker(*node_host_);
  ASSERT_TRUE(worker.Hello("rt", 4, "echo"));
  EXPECT_THAT(worker.NextTasks(4), ElementsAre(ElementsAre("s1"), ElementsAre("s2"),
                                               ElementsAre("s3"), ElementsAre("s4")));
  EXPECT_TRUE(worker.Close().ok());
}

TEST_F(SidecarServiceTest, BadHellosEndTheStreamWithPreciseErrors) {
  Start();
  {
    TestWorker worker(*node_host_);
    v1::WorkerMessage result;
    result.mutable_result()->set_state_id("x");
    ASSERT_TRUE(worker.Send(result));
    const grpc::Status status = worker.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("first message on a NodeHost stream must be a Hello"));
  }
  {
    TestWorker worker(*node_host_);
    ASSERT_TRUE(worker.Hello("rt", 0, "echo"));
    const grpc::Status status = worker.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("Hello.slots"));
  }
  TestWorker first(*node_host_);
  ASSERT_TRUE(first.Hello("rt", 1, "echo"));
  ASSERT_TRUE(first.Next(v1::SidecarMessage::kWelcome).has_value());
  TestWorker conflicting(*node_host_);
  ASSERT_TRUE(conflicting.Hello("rt", 1, "echo", {"other"}));
  const grpc::Status status = conflicting.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("already served by worker w-"));
  // The first worker is unaffected.
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  EXPECT_TRUE(first.Next(v1::SidecarMessage::kTask).has_value());
}

TEST_F(SidecarServiceTest, AnOversizedMessageEndsOnlyThatStream) {
  Start();
  TestWorker good(*node_host_);
  ASSERT_TRUE(good.Hello("rt", 1, "echo"));
  ASSERT_TRUE(good.Next(v1::SidecarMessage::kRegistration).has_value());
  TestWorker big(*node_host_);
  ASSERT_TRUE(big.Hello("rt", 1, "echo"));
  ASSERT_TRUE(big.Next(v1::SidecarMessage::kWelcome).has_value());
  big.Result("s-unknown", std::string(100 * 1024, 'x'));
  EXPECT_EQ(big.Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  auto task = good.Next(v1::SidecarMessage::kTask);
  ASSERT_TRUE(task.has_value());
  ASSERT_TRUE(good.Result(task->task().state_id(), "fine"));
  ASSERT_TRUE(client_.AwaitReports(1));
}

TEST_F(SidecarServiceTest, TasksOfABrokenStreamGoToAnotherWorker) {
  Start();
  TestWorker first(*node_host_);
  ASSERT_TRUE(first.Hello("rt", 1, "echo"));
  ASSERT_TRUE(first.Next(v1::SidecarMessage::kRegistration).has_value());
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  ASSERT_TRUE(first.Next(v1::SidecarMessage::kTask).has_value());
  TestWorker second(*node_host_);
  ASSERT_TRUE(second.Hello("rt", 1, "echo"));
  first.Cancel();
  auto task = second.Next(v1::SidecarMessage::kTask);
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->task().state_id(), "s1");
  ASSERT_TRUE(second.Result("s1", "rescued"));
  ASSERT_TRUE(client_.AwaitReports(1));
  EXPECT_EQ(client_.reports().size(), 1u);
}

TEST_F(SidecarServiceTest, AWrongWorkerTokenIsUnauthenticated) {
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.worker_token = "wt-expected-token";
  Start(config);
  TestWorker wrong(*node_host_, "wt-wrong");
  wrong.Hello("rt", 1, "echo");
  const grpc::Status status = wrong.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("wt-expected-token")));
  TestWorker right(*node_host_, "wt-expected-token");
  ASSERT_TRUE(right.Hello("rt", 1, "echo"));
  EXPECT_TRUE(right.Next(v1::SidecarMessage::kWelcome).has_value());
}

TEST_F(SidecarServiceTest, EveryGraphsCallNeedsTheWorkerToken) {
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.worker_token = "wt-expected-token";
  Start(config);
  // Every method of the service, so that an RPC added later cannot skip the check.
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "exosphere.sidecar.v1.Graphs");
  ASSERT_NE(service, nullptr);
  ASSERT_GE(service->method_count(), 6);
  grpc::GenericStub stub(channel_);
  auto call = [&](const std::string& method, const std::string& token) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("x-exosphere-worker-token", token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Slice empty;  // an empty message of any request type
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status result) {
                     status = std::move(result);
                     done.Notify();
                   });
    done.WaitForNotification();
    return status;
  };
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method =
        absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
    for (const std::string& token : {std::string(), std::string("wt-wrong-token")}) {
      const grpc::Status status = call(method, token);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method << " " << token;
      EXPECT_THAT(status.error_message(), Not(HasSubstr("wt-expected-token")));
    }
    // With the token the call gets past the check (the empty request is then refused or served).
    EXPECT_NE(call(method, "wt-expected-token").error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method;
  }
  // Nothing reached the state manager on behalf of a caller without the token.
  EXPECT_TRUE(client_.upsert_bodies().empty());
  EXPECT_TRUE(client_.trigger_bodies().size() <= 1u);
}

TEST_F(SidecarServiceTest, AStreamWithoutHelloIsEndedAfterTheHelloTimeout) {
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.max_streams = 1;
  config.hello_timeout = absl::Milliseconds(200);
  Start(config);
  TestWorker silent(*node_host_);
  const grpc::Status status = silent.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("no Hello within 200 ms"));
  // Its slot of --max-streams is free again.
  TestWorker real(*node_host_);
  ASSERT_TRUE(real.Hello("rt", 1, "echo"));
  EXPECT_TRUE(real.Next(v1::SidecarMessage::kWelcome).has_value());
}

TEST_F(SidecarServiceTest, SetSlotsBeyondTheHelloBoundEndsTheStreamAndTheNodeStaysClaimable) {
  Start();
  TestWorker greedy(*node_host_);
  ASSERT_TRUE(greedy.Hello("rt", 1, "echo"));
  ASSERT_TRUE(greedy.Next(v1::SidecarMessage::kRegistration).has_value());
  v1::WorkerMessage slots;
  slots.mutable_set_slots()->set_slots(4294967295u);
  ASSERT_TRUE(greedy.Send(slots));
  const grpc::Status status = greedy.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("SetSlots.slots must be between 0 and 10000"));
  TestWorker next(*node_host_);
  ASSERT_TRUE(next.Hello("rt", 1, "echo"));
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  auto task = next.Next(v1::SidecarMessage::kTask);
  ASSERT_TRUE(task.has_value());
  ASSERT_TRUE(next.Result("s1", "done"));
  ASSERT_TRUE(client_.AwaitReports(1));
}

TEST_F(SidecarServiceTest, HugeOrDeepHelloFieldsAreRefusedWithShortMessages) {
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.max_message_bytes = 2 << 20;
  Start(config);
  {
    TestWorker worker(*node_host_);
    ASSERT_TRUE(worker.Hello("rt", 1, std::string(1 << 20, 'n')));
    const grpc::Status status = worker.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("(1048576 bytes)"));
    EXPECT_LT(status.error_message().size(), 512u);
  }
  {
    TestWorker worker(*node_host_);
    v1::WorkerMessage message;
    v1::Hello& hello = *message.mutable_hello();
    hello.set_runtime_name("rt");
    hello.set_slots(1);
    v1::NodeDefinition& node = *hello.add_nodes();
    node.set_name("deep");
    node.add_input_fields("text");
    std::string schema = R"({"type":"object","properties":{"text":{"type":"string"}},"x":)";
    for (int i = 0; i < 3000; ++i) schema += "[";
    for (int i = 0; i < 3000; ++i) schema += "]";
    node.set_inputs_schema_json(schema + "}");
    ASSERT_TRUE(worker.Send(message));
    const grpc::Status status = worker.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("nests 3001 levels deep; at most 32"));
  }
  EXPECT_TRUE(client_.registrations().empty());
}

TEST_F(SidecarServiceTest, ARegistrationRefusedForGoodEndsOnlyTheWorkerThatBroughtTheNode) {
  // The state manager refuses any registration that contains node "bad".
  client_.SetRegisterHook([](const FakeStateManagerClient::Registration& registration) {
    for (const NodeRegistration& node : registration.nodes) {
      if (node.name == "bad") {
        return absl::InvalidArgumentError("PUT /nodes/: HTTP 422: schema too deep");
      }
    }
    return absl::OkStatus();
  });
  Start();
  TestWorker good(*node_host_);
  ASSERT_TRUE(good.Hello("rt", 1, "echo"));
  ASSERT_TRUE(good.Next(v1::SidecarMessage::kRegistration).has_value());
  TestWorker bad(*node_host_);
  ASSERT_TRUE(bad.Hello("rt", 1, "bad"));
  const grpc::Status refused = bad.Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(),
              AllOf(HasSubstr("refused to register node(s) bad"), HasSubstr("schema too deep")));
  // A worker that joins afterwards registers, and the runtime keeps working.
  TestWorker later(*node_host_);
  ASSERT_TRUE(later.Hello("rt", 1, "other"));
  auto registration = later.Next(v1::SidecarMessage::kRegistration);
  ASSERT_TRUE(registration.has_value());
  EXPECT_TRUE(registration->registration().registered());
  EXPECT_EQ(sidecar_->RouterStatistics().registration_failures, 0);
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  auto task = good.Next(v1::SidecarMessage::kTask);
  ASSERT_TRUE(task.has_value());
}

TEST_F(SidecarServiceTest, TheApiKeyIsRedactedFromRegistrationErrors) {
  client_.SetRegisterHook([](const FakeStateManagerClient::Registration&) {
    return absl::UnauthenticatedError(
        "PUT /nodes/: HTTP 401: Invalid API key sk-echoed-secret-key (the state manager refused "
        "the API key)");
  });
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "sk-echoed-secret-key";
  Start(config);
  TestWorker worker(*node_host_);
  ASSERT_TRUE(worker.Hello("rt", 1, "echo"));
  auto registration = worker.Next(v1::SidecarMessage::kRegistration);
  ASSERT_TRUE(registration.has_value());
  EXPECT_FALSE(registration->registration().registered());
  EXPECT_THAT(registration->registration().error(),
              AllOf(HasSubstr("HTTP 401"), HasSubstr("[redacted]"),
                    Not(HasSubstr("sk-echoed-secret-key"))));
  EXPECT_THAT(sidecar_->RenderMetrics(), Not(HasSubstr("sk-echoed-secret-key")));
}

TEST_F(SidecarServiceTest, AResultTooLargeToReportIsRejectedAndReportedErrored) {
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.max_report_bytes = 64 * 1024;
  config.max_message_bytes = 1 << 20;
  Start(config);
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  TestWorker worker(*node_host_);
  ASSERT_TRUE(worker.Hello("rt", 1, "echo"));
  ASSERT_TRUE(worker.Next(v1::SidecarMessage::kTask).has_value());
  // 20,000 control characters: 20 KB on the wire, 120 KB of JSON.
  ASSERT_TRUE(worker.Result("s1", std::string(20000, '\x01')));
  auto rejected = worker.Next(v1::SidecarMessage::kResultRejected);
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->result_rejected().reason(), v1::ResultRejected::INVALID_RESULT);
  EXPECT_THAT(rejected->result_rejected().message(),
              AllOf(HasSubstr("120"), HasSubstr("--max-report-bytes")));
  ASSERT_TRUE(client_.AwaitReports(1));
  EXPECT_EQ(client_.reports()[0].report.kind, Report::Kind::kErrored);
  EXPECT_THAT(client_.reports()[0].report.error, HasSubstr("--max-report-bytes"));
}

TEST_F(SidecarServiceTest, InvalidUtf8EndsTheStreamNamingTheFieldAndTheTaskGoesElsewhere) {
  Start();
  {
    TestWorker worker(*node_host_);
    v1::WorkerMessage message;
    v1::Hello& hello = *message.mutable_hello();
    hello.set_runtime_name("rt");
    hello.set_slots(1);
    hello.set_worker_label("pod-\xff\xfe");
    hello.add_nodes()->set_name("echo");
    ASSERT_TRUE(worker.Send(message));
    const grpc::Status status = worker.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                AllOf(HasSubstr("not a valid exosphere.sidecar.v1.WorkerMessage"),
                      HasSubstr("worker_label"), HasSubstr("UTF-8")));
  }
  TestWorker broken(*node_host_);
  ASSERT_TRUE(broken.Hello("rt", 1, "echo"));
  ASSERT_TRUE(broken.Next(v1::SidecarMessage::kRegistration).has_value());
  client_.AddClaimable("default", State("s1", "echo", {{"text", "t"}}));
  ASSERT_TRUE(broken.Next(v1::SidecarMessage::kTask).has_value());
  TestWorker healthy(*node_host_);
  ASSERT_TRUE(healthy.Hello("rt", 1, "echo"));
  ASSERT_TRUE(broken.Result("s1", "bad \xc3\x28 bytes"));
  const grpc::Status status = broken.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
  auto task = healthy.Next(v1::SidecarMessage::kTask);
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->task().state_id(), "s1");
  ASSERT_TRUE(healthy.Result("s1", "good"));
  ASSERT_TRUE(client_.AwaitReports(1));
  EXPECT_EQ(client_.reports()[0].report.outputs[0].at("out"), "good");
}

TEST_F(SidecarServiceTest, StreamsBeyondTheLimitAreRefused) {
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.max_streams = 1;
  Start(config);
  TestWorker first(*node_host_);
  ASSERT_TRUE(first.Hello("rt", 1, "echo"));
  ASSERT_TRUE(first.Next(v1::SidecarMessage::kWelcome).has_value());
  TestWorker second(*node_host_);
  second.Hello("rt", 1, "echo");
  EXPECT_EQ(second.Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(first.Close().ok());
  TestWorker third(*node_host_);
  ASSERT_TRUE(third.Hello("rt", 1, "echo"));
  EXPECT_TRUE(third.Next(v1::SidecarMessage::kWelcome).has_value());
}

TEST_F(SidecarServiceTest, WhatAPreviousRunLeftInTheJournalIsFinishedOnStart) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/service_journal_", getpid());
  {
    testing::FakeClock clock;
    JournalOptions options;
    options.dir = dir;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Journal> journal, Journal::Open(options, clock));
    ClaimedState done = State("reported", "echo", json::Json::object());
    ClaimedState waiting = State("running", "echo", json::Json::object());
    journal->RecordClaimed("default", {done, waiting});
    journal->RecordResult("default", Report::Executed("reported", {{{"out", "kept"}}}));
  }
  // The previous run's executed report may have landed: a "not queued" answer means it did.
  client_.SetReportHook([](const FakeStateManagerClient::SentReport& sent) {
    if (sent.report.state_id == "reported") {
      absl::Status not_queued = absl::FailedPreconditionError("HTTP 400: State is not queued");
      not_queued.SetPayload(kStateNotQueuedPayload, absl::Cord());
      return not_queued;
    }
    return absl::OkStatus();
  });
  SidecarConfig config;
  config.state_manager_uri = "http://unused";
  config.api_key = "unused";
  config.journal_dir = dir;
  config.handback_delay = absl::Milliseconds(250);
  Start(config);
  ASSERT_TRUE(client_.AwaitReports(1));
  ASSERT_TRUE(sidecar_->JournalStatistics().has_value());
  const FakeStateManagerClient::SentReport handed_back = client_.reports()[0];
  EXPECT_EQ(handed_back.report.state_id, "running");
  EXPECT_EQ(handed_back.report.kind, Report::Kind::kRequeueAfter);
  EXPECT_EQ(handed_back.report.delay_ms, 250);
  sidecar_->Shutdown();
  EXPECT_EQ(client_.report_attempts(), 2);
  EXPECT_EQ(sidecar_->ReporterStatistics().already_applied, 1u);
  EXPECT_EQ(sidecar_->JournalStatistics()->live_entries, 0u);
}

TEST_F(SidecarServiceTest, UpsertGraphWaitsForValidationAndReturnsStoredPolicies) {
  Start();
  client_.SetGraphPendingReads(3);
  v1::UpsertGraphRequest request;
  request.set_graph_name("g");
  v1::GraphNode& node = *request.add_nodes();
  node.set_node_name("echo");
  node.set_identifier("echo");
  (*node.mutable_inputs())["text"] = "${{ store.text }}";
  (*request.mutable_secrets())["token"] = "secret-value";
  request.mutable_retry_policy()->set_max_retries(7);
  v1::Graph graph;
  grpc::ClientContext context;
  const grpc::Status status = graphs_->UpsertGraph(&context, request, &graph);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(graph.validation_status(), v1::VALIDATION_STATUS_VALID);
  EXPECT_EQ(graph.retry_policy().max_retries(), 7u);
  EXPECT_THAT(graph.secret_names(), ::testing::ElementsAre("token"));
  EXPECT_EQ(client_.upsert_bodies()[0]["nodes"][0]["namespace"], "default");
  // Three PENDING reads and the one that saw it VALID; that one's document is the answer.
  EXPECT_EQ(client_.graph_reads(), 4);
}

TEST_F(SidecarServiceTest, UpsertGraphTimesOutWithTheSdkMessage) {
  Start();
  client_.SetGraphPendingReads(1'000'000);
  v1::UpsertGraphRequest request;
  request.set_graph_name("g");
  request.set_validation_timeout_ms(300);
  v1::Graph graph;
  grpc::ClientContext context;
  const grpc::Status status = graphs_->UpsertGraph(&context, request, &graph);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(status.error_message(), "Graph validation check timed out after 0.3 seconds");
}

TEST_F(SidecarServiceTest, TriggerAndWaitForRunReturnFinalStatesWithOutputs) {
  Start();
  v1::UpsertGraphRequest upsert;
  upsert.set_graph_name("g");
  v1::Graph graph;
  grpc::ClientContext upsert_context;
  ASSERT_TRUE(graphs_->UpsertGraph(&upsert_context, upsert, &graph).ok());

  v1::TriggerRunRequest trigger;
  trigger.set_graph_name("g");
  (*trigger.mutable_store())["k"] = "v";
  v1::TriggerRunResponse triggered;
  grpc::ClientContext trigger_context;
  ASSERT_TRUE(graphs_->TriggerRun(&trigger_context, trigger, &triggered).ok());
  EXPECT_EQ(triggered.run_id(), "run-1");
  EXPECT_EQ(client_.trigger_bodies()[0]["store"]["k"], "v");

  client_.SetRunGraph("run-1", json::Json::parse(R"({"graph_name": "g", "nodes": [
      {"id": "000000000000000000000001", "node_name": "echo", "identifier": "echo", "status": "SUCCESS", "error": null}]})"));
  client_.SetNodeDetails(
      "000000000000000000000001",
      json::Json::parse(R"({"inputs": {"text": "t"}, "outputs": {"out": "T"}, "parents": {}})"));
  v1::WaitForRunRequest wait;
  wait.set_run_id("run-1");
  v1::RunStates states;
  grpc::ClientContext wait_context;
  const grpc::Status status = graphs_->WaitForRun(&wait_context, wait, &states);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(states.status(), v1::RUN_STATUS_SUCCESS);
  ASSERT_EQ(states.states_size(), 1);
  EXPECT_EQ(states.states(0).outputs().at("out"), "T");

  v1::WaitForRunRequest unknown;
  unknown.set_run_id("nope");
  grpc::ClientContext unknown_context;
  EXPECT_EQ(graphs_->WaitForRun(&unknown_context, unknown, &states).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SidecarServiceTest, GraphCallsValidateNamesAndPassNotFoundThrough) {
  Start();
  v1::GetGraphRequest request;
  request.set_graph_name("bad name");
  v1::Graph graph;
  grpc::ClientContext context;
  EXPECT_EQ(graphs_->GetGraph(&context, request, &graph).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_graph_name("missing");
  grpc::ClientContext second_context;
  const grpc::Status status = graphs_->GetGraph(&second_context, request, &graph);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  // The server's explanation comes first; the REST call the caller never made is not named.
  EXPECT_EQ(status.error_message(),
            "Graph template missing not found in namespace default (state manager: HTTP 404)");
}

}  // namespace
}  // namespace exosphere::sidecar
