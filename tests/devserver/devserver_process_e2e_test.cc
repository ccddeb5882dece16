// End-to-end: the exosphere-devserver command line — flags, key sources, stdout contract,
// signals and persistence across a restart (--db).

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "harness/child_process.h"
#include "tests/devserver/devserver_e2e_fixture.h"
#include <sys/stat.h>
#include <sys/wait.h>

namespace exosphere::devserver::testing {
namespace {

using ::exosphere::harness::BinaryPath;
using ::exosphere::harness::ChildProcess;
using ::testing::HasSubstr;

// Runs the binary to completion; returns the wait status.
int RunToExit(ChildProcess::Options options, std::vector<std::string>* stdout_lines = nullptr,
              std::vector<std::string>* stderr_lines = nullptr) {
  options.echo_stderr = false;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(std::move(options));
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return -1;
  absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
  EXPECT_TRUE(status.ok()) << status.status();
  // Let the readers collect the last lines before reading them.
  (*process)
      ->WaitForStdoutLine([](const std::string&) { return false; }, absl::Seconds(5))
      .IgnoreError();
  (*process)
      ->WaitForStderrLine([](const std::string&) { return false; }, absl::Seconds(5))
      .IgnoreError();
  if (stdout_lines != nullptr) *stdout_lines = (*process)->StdoutLines();
  if (stderr_lines != nullptr) *stderr_lines = (*process)->StderrLines();
  return status.value_or(-1);
}

ChildProcess::Options DevserverOptions(std::vector<std::string> args) {
  ChildProcess::Options options;
  options.argv = {BinaryPath("exosphere-devserver")};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = {{"STATE_MANAGER_SECRET", std::nullopt},
                 {"EXOSPHERE_API_KEY", std::nullopt},
                 {"SECRETS_ENCRYPTION_KEY", std::nullopt},
                 {"CORS_ORIGINS", std::nullopt}};
  return options;
}

bool ExitedWith(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

TEST(DevserverProcessTest, RefusesToStartWithoutAnApiKey) {
  std::vector<std::string> errors;
  const int status = RunToExit(DevserverOptions({"--listen", "127.0.0.1:0"}), nullptr, &errors);
  EXPECT_TRUE(ExitedWith(status, 2)) << status;
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors.back(), HasSubstr("no API key"));
  EXPECT_THAT(errors.back(), HasSubstr("STATE_MANAGER_SECRET"));
}

TEST(DevserverProcessTest, RejectsABadListenAddress) {
  std::vector<std::string> errors;
  const int status =
      RunToExit(DevserverOptions({"--listen", "nonsense", "--api-key", "k"}), nullptr, &errors);
  EXPECT_TRUE(ExitedWith(status, 2)) << status;
}

TEST(DevserverProcessTest, HelpDocumentsEveryFlag) {
  std::vector<std::string> out;
  std::vector<std::string> err;
  const int status = RunToExit(DevserverOptions({"--help"}), &out, &err);
  std::string text;
  for (const std::string& line : out) absl::StrAppend(&text, line, "\n");
  for (const std::string& line : err) absl::StrAppend(&text, line, "\n");
  EXPECT_TRUE(WIFEXITED(status)) << status;
  for (const char* flag :
       {"listen", "api_key", "db", "secrets_encryption_key", "cors_origins", "verify_delay_ms",
        "http_threads", "max_body_bytes", "cron_check_interval_ms", "keep_alive_timeout_s"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("-", flag))) << flag;
  }
  EXPECT_THAT(text, HasSubstr("STATE_MANAGER_SECRET"));
  EXPECT_THAT(text, HasSubstr("SECRETS_ENCRYPTION_KEY"));
  EXPECT_THAT(text, HasSubstr("CORS_ORIGINS"));
}

TEST(DevserverProcessTest, AMalformedSecretsKeyIsAClearStartupErrorThatHidesTheKey) {
  ChildProcess::Options options =
      DevserverOptions({"--listen=127.0.0.1:0", "--api-key=k", "--log-level=error"});
  options.env["SECRETS_ENCRYPTION_KEY"] = "too-short-to-be-a-key";
  std::vector<std::string> errors;
  const int status = RunToExit(options, nullptr, &errors);
  EXPECT_TRUE(ExitedWith(status, 2)) << status;
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors.back(), HasSubstr("SECRETS_ENCRYPTION_KEY"));
  EXPECT_THAT(errors.back(), HasSubstr("44 characters"));
  EXPECT_THAT(errors.back(), ::testing::Not(HasSubstr("too-short-to-be-a-key")));
}

TEST(DevserverProcessTest, CorsOriginsComeFromTheEnvironment) {
  ChildProcess::Options options = DevserverOptions({"--listen=127.0.0.1:0", "--api-key=k"});
  options.env["CORS_ORIGINS"] = " https://app.example , http://localhost:5173";
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  absl::StatusOr<std::string> first =
      (*process)->WaitForStdoutLine([](const std::string&) { return true; }, absl::Seconds(30));
  ASSERT_TRUE(first.ok()) << first.status();
  DevserverClient client("127.0.0.1", std::stoi(first->substr(first->rfind(':') + 1)), "k");
  auto preflight = [&client](const std::string& origin) {
    return client.Raw("OPTIONS", "/v0/namespaces", "", "", false,
                      {{"Origin", origin}, {"Access-Control-Request-Method", "GET"}});
  };
  EXPECT_EQ(preflight("https://app.example").status, 200);
  EXPECT_EQ(preflight("http://localhost:5173").status, 200);
  // The defaults no longer apply once CORS_ORIGINS is set.
  EXPECT_EQ(preflight("http://localhost:3000").status, 400);
  (*process)->Signal(SIGTERM);
  absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(ExitedWith(*status, 0)) << *status;
}

TEST(DevserverProcessTest, TakesTheKeyFromTheEnvironmentAndStopsCleanlyOnSigint) {
  for (const char* variable : {"STATE_MANAGER_SECRET", "EXOSPHERE_API_KEY"}) {
    ChildProcess::Options options = DevserverOptions({"--listen=127.0.0.1:0"});
    options.env[variable] = "env-key";
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    absl::StatusOr<std::string> first =
        (*process)->WaitForStdoutLine([](const std::string&) { return true; }, absl::Seconds(30));
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(absl::StartsWith(*first, "listening on http://127.0.0.1:")) << *first;
    const int port = std::stoi(first->substr(first->rfind(':') + 1));
    DevserverClient with_env_key("127.0.0.1", port, "env-key");
    EXPECT_EQ(with_env_key.Get("/v0/namespaces").status, 200) << variable;
    DevserverClient wrong_key("127.0.0.1", port, DevserverProcess::kApiKey);
    EXPECT_EQ(wrong_key.Get("/v0/namespaces").status, 401);
    (*process)->Signal(SIGINT);
    absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(ExitedWith(*status, 0)) << *status;
  }
}

TEST(DevserverProcessTest, StopsPromptlyDespiteIdleKeepAliveConnections) {
  absl::StatusOr<std::unique_ptr<DevserverProcess>> server =
      DevserverProcess::Start({"--keep-alive-timeout-s", "30"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::unique_ptr<DevserverClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<DevserverClient>("127.0.0.1", (*server)->port(),
                                                        DevserverProcess::kApiKey));
    ASSERT_EQ(clients.back()->Get("/health").status, 200);
  }
  // Every connection now idles in keep-alive for up to 30 s; shutdown must not wait for them.
  const absl::Time stopping = absl::Now();
  absl::StatusOr<int> status = (*server)->Stop();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(ExitedWith(*status, 0)) << *status;
  EXPECT_LT(absl::Now() - stopping, absl::Seconds(10));
}

TEST(DevserverProcessTest, ABusyPortIsAClearStartupFailure) {
  absl::StatusOr<std::unique_ptr<DevserverProcess>> first = DevserverProcess::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<std::string> errors;
  const int status =
      RunToExit(DevserverOptions(
                    {"--listen", absl::StrCat("127.0.0.1:", (*first)->port()), "--api-key", "k"}),
                nullptr, &errors);
  EXPECT_TRUE(ExitedWith(status, 1)) << status;
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors.back(), HasSubstr("cannot listen"));
}

class PersistenceE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = absl::StrCat(::testing::TempDir(), "/devserver-e2e-", getpid(), ".db");
    RemoveDatabase();
  }
  void TearDown() override { RemoveDatabase(); }
  void RemoveDatabase() {
    for (const char* suffix : {"", "-wal", "-shm", ".secrets-key"}) {
      std::remove((db_path_ + suffix).c_str());
    }
  }

  std::string db_path_;
};

TEST_F(PersistenceE2eTest, ARunContinuesAfterARestart) {
  std::string run_id;
  std::string second_id;
  {
    absl::StatusOr<std::unique_ptr<DevserverProcess>> server =
        DevserverProcess::Start({"--db", db_path_});
    ASSERT_TRUE(server.ok()) << server.status();
    auto client_holder = std::make_unique<DevserverClient>("127.0.0.1", (*server)->port(),
                                                           DevserverProcess::kApiKey);
    DevserverClient& client = *client_holder;
    ASSERT_EQ(client.RegisterNodes({{"First", {"q"}, {"o"}, {}}, {"Second", {"a"}, {}, {}}}).status,
              200);
    ASSERT_EQ(
        client
            .UpsertGraph(
                "durable",
                GraphJson(
                    Json::array({NodeJson("First", "first", {{"q", "${{ store.q }}"}}, {"second"}),
                                 NodeJson("Second", "second",
                                          {{"a", "${{ first.outputs.o }}/${{ store.q }}"}})}),
                    {{"store_config", {{"required_keys", {"q"}}}}}, {{"token", "keep-me"}}))
            .status,
        201);
    ASSERT_EQ(client.AwaitValidation("durable")["validation_status"], "VALID");
    run_id = client.Trigger("durable", {{"store", {{"q", "persisted"}}}});
    Json first = client.AwaitClaims({"First"}, 1);
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(client.Executed(first[0]["state_id"].get<std::string>(), Json::array({{{"o", "x"}}}))
                  .status,
              200);
    Json graph =
        client.AwaitRunGraph(run_id, [](const Json& g) { return CountNodes(g, "second") == 1; });
    ASSERT_EQ(CountNodes(graph, "second", "CREATED"), 1);
    client_holder.reset();
    absl::StatusOr<int> stopped = (*server)->Stop();
    ASSERT_TRUE(stopped.ok());
    EXPECT_TRUE(ExitedWith(*stopped, 0)) << *stopped;
  }
  // The generated secrets key is kept next to the database, readable by its owner only.
  struct stat key_file {};
  ASSERT_EQ(stat((db_path_ + ".secrets-key").c_str(), &key_file), 0);
  EXPECT_EQ(key_file.st_mode & 0777, 0600u);
  absl::StatusOr<std::unique_ptr<DevserverProcess>> server =
      DevserverProcess::Start({"--db", db_path_});
  ASSERT_TRUE(server.ok()) << server.status();
  auto client_holder =
      std::make_unique<DevserverClient>("127.0.0.1", (*server)->port(), DevserverProcess::kApiKey);
  DevserverClient& client = *client_holder;
  EXPECT_EQ(client.Get("/v0/namespaces").raw, R"({"namespaces":["e2e"],"count":1})");
  EXPECT_EQ(client.Get(client.Path("/graph/durable")).body["validation_status"], "VALID");
  Json summary = client.RunSummary(run_id);
  EXPECT_EQ(summary["pending_count"], 1);
  EXPECT_EQ(summary["success_count"], 1);
  Json second = client.AwaitClaims({"Second"}, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["inputs"]["a"], "x/persisted");
  EXPECT_EQ(client.Secrets(second[0]["state_id"].get<std::string>()).raw,
            R"({"secrets":{"token":"keep-me"}})");
  ASSERT_EQ(client.Executed(second[0]["state_id"].get<std::string>(), Json::array()).status, 200);
  client.AwaitRunGraph(run_id,
                       [](const Json& g) { return g["execution_summary"]["SUCCESS"] == 2; });
  EXPECT_EQ(client.RunSummary(run_id)["status"], "SUCCESS");
  // New runs keep working on the reopened database.
  EXPECT_FALSE(client.Trigger("durable", {{"store", {{"q", "again"}}}}).empty());
  EXPECT_EQ(client.Get(client.Path("/runs/1/10")).body["total"], 2);
  client_holder.reset();
  absl::StatusOr<int> stopped = (*server)->Stop();
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(ExitedWith(*stopped, 0));
}

// A configured key (the server's SECRETS_ENCRYPTION_KEY) is used instead of a key file; a restart
// under another key cannot read the stored secrets, says so at startup and answers 500 for them.
TEST_F(PersistenceE2eTest, StoredSecretsNeedTheKeyTheyWereEncryptedWith) {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  std::string state_id;
  {
    absl::StatusOr<std::unique_ptr<DevserverProcess>> server =
        DevserverProcess::Start({"--db", db_path_, "--secrets-encryption-key", key});
    ASSERT_TRUE(server.ok()) << server.status();
    DevserverClient client("127.0.0.1", (*server)->port(), DevserverProcess::kApiKey);
    ASSERT_EQ(client.RegisterNodes({{"Only", {}, {}, {}}}).status, 200);
    ASSERT_EQ(client
                  .UpsertGraph("locked",
                               GraphJson(Json::array({NodeJson("Only", "only", Json::object())}),
                                         Json::object(), {{"token", "s3cret"}}))
                  .status,
              201);
    ASSERT_EQ(client.AwaitValidation("locked")["validation_status"], "VALID");
    client.Trigger("locked");
    Json claimed = client.AwaitClaims({"Only"}, 1);
    ASSERT_EQ(claimed.size(), 1u);
    state_id = claimed[0]["state_id"].get<std::string>();
    EXPECT_EQ(client.Secrets(state_id).raw, R"({"secrets":{"token":"s3cret"}})");
    ASSERT_TRUE((*server)->Stop().ok());
  }
  struct stat no_file {};
  EXPECT_NE(stat((db_path_ + ".secrets-key").c_str(), &no_file), 0);
  {
    absl::StatusOr<std::unique_ptr<DevserverProcess>> server =
        DevserverProcess::Start({"--db", db_path_, "--secrets-encryption-key", key});
    ASSERT_TRUE(server.ok()) << server.status();
    DevserverClient client("127.0.0.1", (*server)->port(), DevserverProcess::kApiKey);
    EXPECT_EQ(client.Secrets(state_id).raw, R"({"secrets":{"token":"s3cret"}})");
    ASSERT_TRUE((*server)->Stop().ok());
  }
  absl::StatusOr<std::unique_ptr<DevserverProcess>> server =
      DevserverProcess::Start({"--db", db_path_});  // a generated key: not the one used
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::string> warning = (*server)->process().WaitForStderrLine(
      [](const std::string& line) { return absl::StrContains(line, "undecryptable_secrets"); },
      absl::Seconds(30));
  ASSERT_TRUE(warning.ok()) << warning.status();
  EXPECT_THAT(*warning, HasSubstr("locked"));
  DevserverClient client("127.0.0.1", (*server)->port(), DevserverProcess::kApiKey);
  EXPECT_EQ(client.Secrets(state_id).status, 500);
  ASSERT_TRUE((*server)->Stop().ok());
}

}  // namespace
}  // namespace exosphere::devserver::testing
