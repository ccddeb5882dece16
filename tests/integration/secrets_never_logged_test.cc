// The API key and secret values never appear in a log line or an error message: the devserver,
// the sidecar (at debug level, in text and JSON) and a worker exercise registration (first with a
// wrong key), secrets, a missing secret, node errors and a graph refused for a missing secret;
// then everything they printed or answered is searched for the sensitive values.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "exosphere/client/client.h"
#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"

namespace exosphere {
namespace {

using ::exosphere::testing::BinaryPath;
using ::exosphere::testing::ChildProcess;

constexpr char kApiKey[] = "sk-live-4f1d9c2e7a-api-key";
constexpr char kWrongKey[] = "sk-wrong-77e2b1c0d4-key";
constexpr char kSecret[] = "s3cr3t-token-b8e41f6a";
constexpr char kOtherSecret[] = "other-graph-secret-c55d2e";

std::string FirstLineValue(ChildProcess& process, const std::string& prefix) {
  absl::StatusOr<std::string> line = process.WaitForStdoutLine(
      [&](const std::string& text) { return absl::StartsWith(text, prefix); }, absl::Seconds(30));
  return line.ok() ? line->substr(prefix.size()) : "";
}

class SecretsNeverLoggedTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/secrets-test-XXXXXX";
    dir_ = mkdtemp(dir);
    ASSERT_OK_AND_ASSIGN(devserver_,
                         ChildProcess::Start({{BinaryPath("exosphere-devserver"), "--listen",
                                               "127.0.0.1:0", "--api-key", kApiKey},
                                              {},
                                              true,
                                              "devserver"}));
    devserver_url_ = FirstLineValue(*devserver_, "listening on ");
    ASSERT_FALSE(devserver_url_.empty());
  }
  void TearDown() override {
    sidecar_.reset();
    devserver_.reset();
    ::unlink((dir_ + "/s.sock").c_str());
    ::rmdir(dir_.c_str());
  }

  void StartSidecar(const std::string& key) {
    sidecar_.reset();
    absl::StatusOr<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(
        {{BinaryPath("exosphere-sidecar"), "--state-manager-uri", devserver_url_, "--listen",
          "unix:" + dir_ + "/s.sock", "--poll-interval-ms", "50", "--log-level", "debug",
          std::string("--log-format=") + GetParam()},
         {{"EXOSPHERE_API_KEY", key}},
         true,
         "sidecar"});
    ASSERT_TRUE(started.ok()) << started.status();
    sidecar_ = *std::move(started);
    ASSERT_FALSE(FirstLineValue(*sidecar_, "listening on ").empty());
  }

  std::vector<std::string> AllOutput() {
    std::vector<std::string> lines;
    for (ChildProcess* process : {devserver_.get(), sidecar_.get()}) {
      for (const auto& line : process->StderrLines()) lines.push_back(line);
      for (const auto& line : process->StdoutLines()) lines.push_back(line);
    }
    for (const auto& line : old_sidecar_lines_) lines.push_back(line);
    absl::MutexLock lock(&mu_);
    for (const auto& line : worker_lines_) lines.push_back(line);
    return lines;
  }

  std::string dir_;
  std::string devserver_url_;
  std::unique_ptr<ChildProcess> devserver_;
  std::unique_ptr<ChildProcess> sidecar_;
  std::vector<std::string> old_sidecar_lines_;
  absl::Mutex mu_;
  std::vector<std::string> worker_lines_ ABSL_GUARDED_BY(mu_);
};

TEST_P(SecretsNeverLoggedTest, NoLogLineOrErrorContainsTheKeyOrASecret) {
  // A sidecar with the wrong key: registration is refused (401) and retried, and said so.
  StartSidecar(kWrongKey);
  const std::string address = "unix:" + dir_ + "/s.sock";
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
  ASSERT_OK(sidecar_
                ->WaitForStderrLine(
                    [](const std::string& line) {
                      return absl::StrContains(line, "registration_failed") &&
                             absl::StrContains(line, "401");
                    },
                    absl::Seconds(20))
                .status());
  old_sidecar_lines_ = sidecar_->StderrLines();

  // The right key: everything works.
  StartSidecar(kApiKey);
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

  sidecar_->Signal(SIGTERM);
  ASSERT_OK(sidecar_->Wait(absl::Seconds(30)).status());
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
