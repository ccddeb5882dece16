// The API key and secret values never appear in a log line or an error message: the devserver,
// the sidecar (at debug level, in text and JSON) and a worker exercise registration (first with a
// wrong key), secrets, a missing secret, node errors and a graph refused for a missing secret;
// then everything they printed or answered is searched for the sensitive values.
#include <signal.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "exosphere/client/client.h"
#include "harness/child_process.h"
#include "tests/support/sidecar_stack.h"
#include "tests/support/status_matchers.h"

namespace exosphere {
namespace {

using ::exosphere::harness::ChildProcess;
using ::exosphere::testing::SidecarStack;

constexpr char kApiKey[] = "sk-live-4f1d9c2e7a-api-key";
constexpr char kWrongKey[] = "sk-wrong-77e2b1c0d4-key";
constexpr char kSecret[] = "s3cr3t-token-b8e41f6a";
constexpr char kOtherSecret[] = "other-graph-secret-c55d2e";

class SecretsNeverLoggedTest : public ::testing::TestWithParam<const char*> {
 protected:
  // Starts the devserver and a sidecar with the wrong key (the test gives it the right one later),
  // the sidecar logging at debug level in the format under test.
  void SetUp() override {
    SidecarStack::Options options;
    options.api_key = kApiKey;
    options.sidecar_api_key = kWrongKey;
    options.sidecar_flags = {"--log-level=debug", std::string("--log-format=") + GetParam()};
    ASSERT_OK_AND_ASSIGN(stack_, SidecarStack::Start(std::move(options)));
  }

  std::vector<std::string> AllOutput() {
    std::vector<std::string> lines;
    for (ChildProcess* process : {stack_->devserver(), &stack_->sidecar()}) {
      for (const auto& line : process->StderrLines()) lines.push_back(line);
      for (const auto& line : process->StdoutLines()) lines.push_back(line);
    }
    for (const auto& line : old_sidecar_lines_) lines.push_back(line);
    absl::MutexLock lock(&mu_);
    for (const auto& line : worker_lines_) lines.push_back(line);
    return lines;
  }

  std::unique_ptr<SidecarStack> stack_;
  std::vector<std::string> old_sidecar_lines_;
  absl::Mutex mu_;
  std::vector<std::string> worker_lines_ ABSL_GUARDED_BY(mu_);
};

TEST_P(SecretsNeverLoggedTest, NoLogLineOrErrorContainsTheKeyOrASecret) {
  // A sidecar with the wrong key: registration is refused (401) and retried, and said so.
  const std::string address = stack_->sidecar_address();
  client::RuntimeOptions options;
  options.sidecar_address = address;
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(300);
  options.log_sink = [this](client::LogSeverity, const std::string& line) {
    absl::MutexLock lock(&mu_);
    worker_lines_.emplace_back(line);
  };
  auto uses_secret =
      client::MakeNode({"uses_secret", {"text"}, {"out"}, {"token"}}, [](const client::Task& task) {
        if (task.input("text") == "fail") {
          return client::NodeResult::Error("the node failed");
        }
        return client::NodeResult::Output({{"out", absl::StrCat(task.secret("token").size())}});
      });
  auto needs_missing =
      client::MakeNode({"needs_missing", {"text"}, {"out"}, {"absent"}}, [](const client::Task&) {
        return client::NodeResult::Output({{"out", "x"}});
      });
  ASSERT_OK_AND_ASSIGN(
      auto runtime,
      client::Runtime::Create("secrets", "secrets-rt", {uses_secret, needs_missing}, options));
  ASSERT_OK(runtime->Start());
  absl::Status refused = runtime->WaitUntilRegistered(absl::Seconds(2));
  EXPECT_FALSE(refused.ok());
  ASSERT_OK(stack_->sidecar()
                .WaitForStderrLine(
                    [](const std::string& line) {
                      return absl::StrContains(line, "registration_failed") &&
                             absl::StrContains(line, "401");
                    },
                    absl::Seconds(20))
                .status());
  old_sidecar_lines_ = stack_->sidecar().StderrLines();

  // The right key: everything works.
  ASSERT_OK(stack_->StartSidecar(kApiKey));
  ASSERT_OK(runtime->WaitUntilRegistered(absl::Seconds(30)));
  client::StateManagerOptions sm_options;
  sm_options.sidecar_address = address;
  client::StateManager state_manager("secrets", sm_options);
  std::vector<client::GraphNode> nodes(1);
  nodes[0].node_name = "uses_secret";
  nodes[0].identifier = "step";
  nodes[0].inputs = {{"text", "${{ store.text }}"}};
  client::StoreConfig store;
  store.required_keys = {"text"};
  client::RetryPolicy no_retries;
  no_retries.max_retries = 0;
  ASSERT_OK(state_manager
                .UpsertGraph("secret-graph", nodes, {{"token", kSecret}, {"unused", kOtherSecret}},
                             no_retries, store)
                .status());
  for (const char* text : {"ok", "fail"}) {
    ASSERT_OK_AND_ASSIGN(std::string run,
                         state_manager.Trigger("secret-graph", {}, {{"text", text}}));
    ASSERT_OK_AND_ASSIGN(client::RunStates states, state_manager.WaitForRun(run));
    for (const auto& state : states.states) {
      EXPECT_THAT(state.error, ::testing::Not(::testing::HasSubstr(kSecret)));
      for (const auto& [key, value] : state.outputs) EXPECT_NE(value, kSecret);
    }
  }
  // A graph refused because a node's declared secret is missing: the error names the secret.
  std::vector<client::GraphNode> missing(1);
  missing[0].node_name = "needs_missing";
  missing[0].identifier = "only";
  missing[0].inputs = {{"text", "x"}};
  absl::StatusOr<client::Graph> refused_graph =
      state_manager.UpsertGraph("missing-secret", missing, {{"token", kSecret}});
  ASSERT_FALSE(refused_graph.ok());
  EXPECT_THAT(std::string(refused_graph.status().message()), ::testing::HasSubstr("absent"));
  EXPECT_THAT(std::string(refused_graph.status().message()),
              ::testing::Not(::testing::HasSubstr(kSecret)));
  runtime->Stop();

  stack_->sidecar().Signal(SIGTERM);
  ASSERT_OK(stack_->sidecar().Wait(absl::Seconds(30)).status());
  const std::vector<std::string> lines = AllOutput();
  ASSERT_GT(lines.size(), 20u);
  bool saw_debug = false;
  for (const std::string& line : lines) {
    saw_debug = saw_debug || absl::StrContains(line, "debug") || absl::StrContains(line, "DEBUG");
    EXPECT_FALSE(absl::StrContains(line, kApiKey)) << line;
    EXPECT_FALSE(absl::StrContains(line, kWrongKey)) << line;
    EXPECT_FALSE(absl::StrContains(line, kSecret)) << line;
    EXPECT_FALSE(absl::StrContains(line, kOtherSecret)) << line;
  }
  EXPECT_TRUE(saw_debug) << "the sidecar should have logged at debug level";
}

INSTANTIATE_TEST_SUITE_P(LogFormats, SecretsNeverLoggedTest, ::testing::Values("text", "json"));

}  // namespace
}  // namespace exosphere
