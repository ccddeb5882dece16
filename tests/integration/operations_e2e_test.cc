// What a platform team sees of a running sidecar: /livez, /readyz and /metrics (checked against
// what happened), the gRPC health service and server reflection on the worker socket, and the
// drain on SIGTERM.
#include <httplib.h>
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

#include "exosphere/client/client.h"
#include "harness/scratch_dir.h"
#include "tests/support/sidecar_stack.h"
#include "tests/support/splitter_node.h"
#include "tests/support/status_matchers.h"

namespace exosphere {
namespace {

using ::exosphere::harness::ScratchDir;
using ::exosphere::testing::SidecarStack;
using ::testing::HasSubstr;

constexpr int kFanOut = 40;

// The value of one sample in a Prometheus text page ("name{labels} value"); -1 when absent.
double Sample(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double value = -1;
      return absl::SimpleAtod(line.substr(series.size() + 1), &value) ? value : -1;
    }
  }
  return -1;
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(journal_, ScratchDir::Create());
    SidecarStack::Options options;
    options.api_key = "ops-key";
    options.sidecar_flags = {"--health-listen=127.0.0.1:0", "--drain-timeout-ms=20000",
                             "--journal-dir=" + journal_->path()};
    ASSERT_OK_AND_ASSIGN(stack_, SidecarStack::Start(std::move(options)));
    address_ = stack_->sidecar_address();
    ASSERT_OK_AND_ASSIGN(
        std::string health,
        stack_->sidecar().WaitForStdoutLine(
            [](const std::string& line) { return absl::StartsWith(line, "health on http://"); },
            absl::Seconds(30)));
    const std::string host_port = health.substr(std::string("health on http://").size());
    ASSERT_TRUE(absl::SimpleAtoi(host_port.substr(host_port.rfind(':') + 1), &health_port_));
  }
  void TearDown() override {
    runtime_.reset();
    stack_.reset();
    journal_.reset();
  }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", health_port_);
    return client.Get(path.c_str());
  }

  std::string address_;
  int health_port_ = 0;
  // The sidecar's journal; the stack's directory cannot hold it, since the flag is needed before
  // the stack exists. Declared first, so that it outlives the sidecar writing into it.
  std::unique_ptr<ScratchDir> journal_;
  std::unique_ptr<SidecarStack> stack_;
  std::unique_ptr<client::Runtime> runtime_;
};

// Calls a unary method by name with a serialized request; returns the serialized response.
absl::StatusOr<std::string> CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& method, const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status result) {
                   status = std::move(result);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) return absl::InternalError("unreadable response");
  std::string response;
  for (const grpc::Slice& part : slices) {
    response.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return response;
}

// Lists the services through server reflection (a bidi stream, driven on a completion queue).
absl::StatusOr<std::string> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag;
  bool ok;
  auto step = [&](int id) {
    return queue.Next(&tag, &ok) && ok && tag == reinterpret_cast<void*>(id);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return absl::UnavailableError("reflection: cannot start the call");
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  grpc::Slice slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  if (!step(2)) return absl::UnavailableError("reflection: cannot write");
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  if (!step(3)) return absl::UnavailableError("reflection: no answer");
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::InternalError("unreadable response");
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return bytes;
}

TEST_F(OperationsTest, HealthMetricsAndDrainTellTheTruth) {
  // Alive, but not ready: no worker yet.
  auto live = Get("/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto not_ready = Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_THAT(not_ready->body, HasSubstr("no worker is connected"));

  // gRPC health (HealthCheckRequest{} -> HealthCheckResponse{status: SERVING}) and reflection.
  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  ASSERT_OK_AND_ASSIGN(std::string health, CallRaw(channel, "/grpc.health.v1.Health/Check", ""));
  EXPECT_EQ(health, std::string("\x08\x01", 2));
  ASSERT_OK_AND_ASSIGN(std::string services, ListServicesByReflection(channel));
  EXPECT_THAT(services, HasSubstr("exosphere.sidecar.v1.NodeHost"));
  EXPECT_THAT(services, HasSubstr("exosphere.sidecar.v1.Graphs"));

  // A worker whose "hold" input makes it wait for the test.
  absl::Notification hold_started;
  absl::Notification release;
  auto node = client::MakeNode({"ops_node", {"item"}, {"out"}}, [&](const client::Task& task) {
    if (task.input("item") == "hold") {
      hold_started.Notify();
      release.WaitForNotification();
    }
    return client::NodeResult::Output({{"out", task.input("item")}});
  });
  auto splitter = testing::MakeSplitterNode("ops_split");
  client::RuntimeOptions options;
  options.sidecar_address = address_;
  options.workers = 4;
  ASSERT_OK_AND_ASSIGN(runtime_,
                       client::Runtime::Create("ops", "ops-rt", {node, splitter}, options));
  ASSERT_OK(runtime_->Start());
  ASSERT_OK(runtime_->WaitUntilRegistered(absl::Seconds(30)));
  auto ready = Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  client::StateManagerOptions sm_options;
  sm_options.sidecar_address = address_;
  client::StateManager state_manager("ops", sm_options);
  std::vector<client::GraphNode> graph(2);
  graph[0] = {"ops_split", "split", {{"count", "${{ store.count }}"}}, {"work"}};
  graph[1] = {"ops_node", "work", {{"item", "${{ split.outputs.item }}"}}, {}};
  client::StoreConfig store;
  store.required_keys = {"count"};
  ASSERT_OK(state_manager.UpsertGraph("ops-graph", graph, {}, std::nullopt, store).status());
  ASSERT_OK_AND_ASSIGN(std::string run,
                       state_manager.Trigger("ops-graph", {}, {{"count", absl::StrCat(kFanOut)}}));
  ASSERT_OK(state_manager.WaitForRun(run).status());

  auto page = Get("/metrics");
  ASSERT_TRUE(page);
  const std::string& metrics = page->body;
  const int states = kFanOut + 1;
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_states_claimed_total{namespace=\"ops\"}"), states);
  EXPECT_EQ(Sample(metrics,
                   "exosphere_sidecar_states_finished_total{namespace=\"ops\",node=\"ops_node\","
                   "outcome=\"executed\"}"),
            kFanOut);
  EXPECT_EQ(Sample(metrics,
                   "exosphere_sidecar_states_finished_total{namespace=\"ops\",node=\"ops_split\","
                   "outcome=\"executed\"}"),
            1);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_dispatch_latency_seconds_count{namespace=\"ops\"}"),
            states);
  EXPECT_EQ(Sample(metrics,
                   "exosphere_sidecar_state_manager_requests_total{endpoint=\"executed\","
                   "status=\"2xx\"}"),
            states);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_worker_streams"), 1);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_slots{namespace=\"ops\"}"), 4);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_busy_slots{namespace=\"ops\"}"), 0);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_reports_unsent"), 0);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_draining"), 0);
  EXPECT_EQ(Sample(metrics, "exosphere_sidecar_journal_live_entries"), 0);
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr(run)));  // no ids in labels

  // A task in flight while the sidecar is told to stop: not ready, draining, then the task's
  // result still lands and the sidecar exits 0.
  graph[0].inputs = {{"count", "1"}};
  graph[1].inputs = {{"item", "hold"}};
  ASSERT_OK(state_manager.UpsertGraph("held-graph", graph, {}, std::nullopt, store).status());
  ASSERT_OK_AND_ASSIGN(std::string held, state_manager.Trigger("held-graph", {}, {{"count", "1"}}));
  ASSERT_TRUE(hold_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
  stack_->sidecar().Signal(SIGTERM);
  ASSERT_OK(
      stack_->sidecar()
          .WaitForStderrLine(
              [](const std::string& line) { return absl::StrContains(line, "drain_started"); },
              absl::Seconds(30))
          .status());
  auto draining = Get("/readyz");
  ASSERT_TRUE(draining);
  EXPECT_EQ(draining->status, 503);
  EXPECT_THAT(draining->body, HasSubstr("draining"));
  EXPECT_EQ(Sample(Get("/metrics")->body, "exosphere_sidecar_draining"), 1);
  release.Notify();
  ASSERT_OK_AND_ASSIGN(int exit_status, stack_->sidecar().Wait(absl::Seconds(30)));
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << exit_status;
  const std::vector<std::string> lines = stack_->sidecar().StderrLines();
  bool delivered = false;
  for (const std::string& line : lines) {
    delivered = delivered || (absl::StrContains(line, "sidecar_stopped") &&
                              absl::StrContains(line, "reports_unsent=0"));
  }
  EXPECT_TRUE(delivered) << "the held task's report was not flushed before exit";
}

TEST(DevModeTest, TheEmbeddedDevserverTakesTheApiKeyFromTheEnvironment) {
  // So that the official dashboard or exospherectl can use the devserver of --dev.
  SidecarStack::Options options;
  options.mode = SidecarStack::Mode::kEmbeddedDevserver;
  options.api_key = "dev-known-key";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SidecarStack> stack, SidecarStack::Start(options));
  ASSERT_OK_AND_ASSIGN(std::string line, stack->sidecar().WaitForStderrLine(
                                             [](const std::string& text) {
                                               return absl::StrContains(text, "devserver_started");
                                             },
                                             absl::Seconds(30)));
  const size_t at = line.find("url=http://");
  ASSERT_NE(at, std::string::npos) << line;
  const std::string url = line.substr(at + 4, line.find(' ', at) - at - 4);
  httplib::Client client(url);
  const httplib::Result known = client.Get("/v0/namespaces", {{"x-api-key", "dev-known-key"}});
  ASSERT_TRUE(known);
  EXPECT_EQ(known->status, 200);
  const httplib::Result other = client.Get("/v0/namespaces", {{"x-api-key", "another-key"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401);
}

}  // namespace
}  // namespace exosphere
