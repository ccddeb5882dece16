// exospherectl's commands end to end inside the process: RunCli over the real
// RestGraphApiClient with a FakeHttpClient at the HTTP boundary.
#include "cli/app.h"

#include "common/ids.h"
#include "harness/child_process.h"
#include "tests/cli/cli_runner.h"
#include "tests/fakes/fake_http_client.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

using ::exosphere::cli::testing::CliResult;
using ::exosphere::cli::testing::CliRunOptions;
using ::exosphere::cli::testing::RunCliWith;
using ::exosphere::testing::FakeHttpClient;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kBase[] = "http://sm.test:8000/v0/namespace/demo";

json::Json Graph(const std::string& status, std::vector<std::string> errors = {}) {
  return {{"nodes", json::Json::array({{{"identifier", "a"},
                                        {"node_name", "n"},
                                        {"inputs", {{"text", "hi"}}},
                                        {"next_nodes", {"b"}}}})},
          {"secrets", {{"signing_key", true}}},
          {"validation_status", status},
          {"validation_errors", errors},
          {"updated_at", "2026-01-02T03:04:05"}};
}

json::Json RunGraph(std::vector<std::pair<std::string, std::string>> states,
                    const std::string& error = "") {
  json::Json nodes = json::Json::array();
  int i = 0;
  for (const auto& [identifier, status] : states) {
    nodes.push_back({{"id", "s" + std::to_string(++i)},
                     {"node_name", identifier + "_node"},
                     {"identifier", identifier},
                     {"status", status},
                     {"error", status == "ERRORED" ? json::Json(error) : json::Json(nullptr)}});
  }
  return {{"graph_name", "words"}, {"nodes", nodes}, {"edges", json::Json::array()}};
}

class AppTest : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args, const CliRunOptions& options = {}) {
    return RunCliWith(http_, args, options);
  }
  void Respond(int status, const json::Json& body) { http_.Respond(status, body.dump()); }

  FakeHttpClient http_;
};

TEST_F(AppTest, HelpOnEveryLevel) {
  CliResult top = Run({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_THAT(top.out, AllOf(HasSubstr("graph apply -f FILE"), HasSubstr("Exit codes")));
  CliResult command = Run({"run", "trigger", "--help"});
  EXPECT_EQ(command.exit_code, 0);
  EXPECT_THAT(command.out, AllOf(HasSubstr("Usage: exospherectl run trigger GRAPH [flags]"),
                                 HasSubstr("--start-delay DURATION"), HasSubstr("Examples:")));
  CliResult group = Run({"run"});
  EXPECT_EQ(group.exit_code, 2);
  EXPECT_THAT(group.err, AllOf(HasSubstr("'run' needs a command"), HasSubstr("run watch RUN_ID")));
  CliResult unknown = Run({"runs", "list"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown command 'runs'"));
  EXPECT_EQ(Run({}).exit_code, 2);
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(AppTest, UsageErrorsSendNothing) {
  CliRunOptions no_uri;
  no_uri.env.erase("EXOSPHERE_STATE_MANAGER_URI");
  CliResult missing = Run({"run", "list"}, no_uri);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err,
              HasSubstr("set EXOSPHERE_STATE_MANAGER_URI or pass --state-manager-uri"));
  EXPECT_EQ(Run({"run", "watch"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "list", "-o", "yaml"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "list", "--bogus"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "trigger", "g", "--input", "novalue"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "trigger", "g", "--start-delay", "soon"}).exit_code, 2);
  CliResult bad_file = Run({"graph", "apply", "-f", "/nonexistent/graph.yaml"});
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_THAT(bad_file.err, HasSubstr("cannot read /nonexistent/graph.yaml"));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(AppTest, GlobalFlagsMayComeBeforeTheCommand) {
  Respond(200, {{"namespace", "other"}, {"count", 0}, {"nodes", json::Json::array()}});
  CliResult result = Run({"-n", "other", "-o", "json", "nodes", "list"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(http_.requests()[0].url, "http://sm.test:8000/v0/namespace/other/nodes/");
}

TEST_F(AppTest, ApplyUpsertsTheFileAndWaitsForValid) {
  Respond(201, Graph("PENDING"));
  Respond(200, Graph("PENDING"));
  Respond(200, Graph("VALID"));
  CliResult result =
      Run({"graph", "apply", "-f", harness::SourcePath("examples/graphs/words.yaml")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "graph words applied in namespace demo: VALID\n");
  const auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].url, std::string(kBase) + "/graph/words");
  const json::Json body = json::Json::parse(requests[0].body);
  EXPECT_EQ(body["nodes"][0]["namespace"], "demo");
  EXPECT_EQ(body["store_config"]["default_values"]["suffix"], "!");
  EXPECT_EQ(requests[2].method, "GET");
}

TEST_F(AppTest, ApplyPrintsValidationErrorsAndExits1WhenInvalid) {
  Respond(201, Graph("PENDING"));
  Respond(200, Graph("INVALID", {"Node shout does not exist in namespace demo",
                                 "Input suffix of shout is not a string"}));
  CliResult result =
      Run({"graph", "apply", "-f", harness::SourcePath("examples/graphs/words.yaml")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out,
            "graph words applied in namespace demo: INVALID\n"
            "  - Node shout does not exist in namespace demo\n"
            "  - Input suffix of shout is not a string\n");
}

TEST_F(AppTest, ApplyStillPendingAtTheTimeoutExits3) {
  for (int i = 0; i < 20; ++i) Respond(200, Graph("PENDING"));
  CliResult result = Run({"graph", "apply", "-f", harness::SourcePath("examples/graphs/words.yaml"),
                          "--timeout", "1s"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("still PENDING after 1s"));
}

TEST_F(AppTest, A422ShowsTheServersDetail) {
  Respond(422, {{"detail",
                 {{{"type", "greater_than_equal"},
                   {"loc", {"body", "retry_policy", "max_retries"}},
                   {"msg", "Input should be greater than or equal to 0"}}}}});
  CliResult result =
      Run({"graph", "apply", "-f", harness::SourcePath("examples/graphs/words.yaml")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err,
              HasSubstr("HTTP 422: body.retry_policy.max_retries: Input should be greater than or "
                        "equal to 0"));
}

TEST_F(AppTest, A401NamesTheSettingsButNeverTheKey) {
  Respond(401, {{"detail", "Invalid API key"}});
  CliResult result = Run({"graph", "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err,
              AllOf(HasSubstr("HTTP 401: Invalid API key"), HasSubstr("check EXOSPHERE_API_KEY"),
                    Not(HasSubstr("unit-test-key"))));
}

TEST_F(AppTest, AnUnreachableServerExits4WithTheUriAndTheCause) {
  http_.Fail(absl::UnavailableError(
      "GET http://sm.test:8000/v0/namespace/demo/runs/1/20: Could not resolve host: sm.test"));
  CliResult result = Run({"run", "list"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_THAT(result.err, HasSubstr("cannot reach the state manager at http://sm.test:8000: GET "));
  EXPECT_THAT(result.err, HasSubstr("Could not resolve host"));
}

TEST_F(AppTest, UnknownGraphIsNotFound) {
  Respond(404, {{"detail", "Graph template nope not found in namespace demo"}});
  CliResult result = Run({"graph", "get", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("graph get: GET /v0/namespace/demo/graph/nope: HTTP 404: Graph "
                                    "template nope not found in namespace demo"));
}

TEST_F(AppTest, GraphGetShowsStatusAndNodesWithoutSecretValues) {
  Respond(200, Graph("VALID"));
  CliResult table = Run({"graph", "get", "words"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out,
              AllOf(HasSubstr("validation: VALID"), HasSubstr("secrets:    signing_key"),
                    HasSubstr("IDENTIFIER  NODE  NEXT  UNITES  INPUTS\na           n     b"
                              "             text=hi")));
  Respond(200, {{"templates",
                 {{{"name", "words"},
                   {"_id", "x"},
                   {"secrets", {{"signing_key", "Q2lwaGVydGV4dA=="}}},
                   {"validation_status", "VALID"},
                   {"validation_errors", json::Json::array()}}}}});
  CliResult list = Run({"graph", "list", "-o", "json"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, Not(HasSubstr("Q2lwaGVydGV4dA==")));
  const json::Json document = json::Json::parse(list.out);
  EXPECT_EQ(document["graphs"][0]["secrets"], json::Json::array({"signing_key"}));
}

TEST_F(AppTest, TriggerSendsInputsStoreAndDelayAndPrintsTheRunId) {
  Respond(200, {{"status", "CREATED"}, {"run_id", "run-123"}});
  CliResult result = Run({"run", "trigger", "words", "--input", "text=a b", "--store", "suffix=?",
                          "--start-delay", "1m30s"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "run-123\n");
  const auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, std::string(kBase) + "/graph/words/trigger");
  EXPECT_EQ(json::Json::parse(requests[0].body), (json::Json{{"inputs", {{"text", "a b"}}},
                                                             {"store", {{"suffix", "?"}}},
                                                             {"start_delay", 90000}}));
}

TEST_F(AppTest, TriggerWaitWatchesTheRun) {
  Respond(200, {{"status", "CREATED"}, {"run_id", "run-9"}});
  Respond(200, RunGraph({{"a", "QUEUED"}}));
  Respond(200, RunGraph({{"a", "SUCCESS"}}));
  CliResult result = Run({"run", "trigger", "words", "--wait"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, AllOf(HasSubstr("run-9\nQUEUED a (node a_node, state s1)\n"),
                                HasSubstr("run run-9 succeeded after")));
  EXPECT_EQ(http_.requests()[1].url, std::string(kBase) + "/states/run/run-9/graph");
}

TEST_F(AppTest, WatchPipedPrintsChangesAndExits1OnAFailedRun) {
  Respond(200, RunGraph({{"a", "CREATED"}}));
  Respond(200, RunGraph({{"a", "QUEUED"}}));
  Respond(200, RunGraph({{"a", "ERRORED"}}, "the text has no words"));
  CliResult result = Run({"run", "watch", "r1", "--interval", "100ms"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out,
            "CREATED a (node a_node, state s1)\n"
            "QUEUED a (node a_node, state s1)\n"
            "ERRORED a (node a_node, state s1): the text has no words\n"
            "run r1 FAILED after 0.2s: ERRORED 1\n");
}

TEST_F(AppTest, WatchOnATerminalDrawsTheLiveView) {
  Respond(200, RunGraph({{"a", "SUCCESS"}, {"b", "QUEUED"}}));
  Respond(200, RunGraph({{"a", "SUCCESS"}, {"b", "SUCCESS"}}));
  CliRunOptions terminal;
  terminal.is_terminal = true;
  terminal.width = 80;
  CliResult result = Run({"run", "watch", "r1"}, terminal);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, AllOf(HasSubstr("1/2 done"), HasSubstr("\x1b[3F\x1b[J"),
                                HasSubstr("2/2 done"), HasSubstr("run r1 succeeded")));
}

TEST_F(AppTest, WatchStillRunningAtTheTimeoutExits3) {
  for (int i = 0; i < 10; ++i) Respond(200, RunGraph({{"a", "QUEUED"}}));
  CliResult result = Run({"run", "watch", "r1", "--timeout", "1s"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.out, HasSubstr("run r1 still running after 1.0s: QUEUED 1"));
  EXPECT_EQ(http_.requests().size(), 3u);  // at 0, 0.5 and 1 s
}

TEST_F(AppTest, WatchUnknownRunIsNotFound) {
  Respond(200, RunGraph({}));
  CliResult result = Run({"run", "watch", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("run nope not found in namespace demo"));
}

TEST_F(AppTest, StatesShowOutputsOrErrorCutToTheWidth) {
  Respond(200, RunGraph({{"a", "SUCCESS"}, {"b", "ERRORED"}}, std::string(200, 'e')));
  Respond(200, {{"outputs", {{"text", "hello"}}}, {"inputs", {{"text", " hello "}}}});
  Respond(200, {{"outputs", json::Json::object()}});
  CliRunOptions narrow;
  narrow.width = 60;
  CliResult table = Run({"run", "states", "r1"}, narrow);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("s1        a           a_node  SUCCESS  text=hello\n"));
  EXPECT_THAT(table.out, HasSubstr("ERRORED  error: eeee"));
  EXPECT_THAT(table.out, HasSubstr("...\n"));
  EXPECT_EQ(http_.requests()[1].url, std::string(kBase) + "/graph/words/run/r1/node/s1");

  Respond(200, RunGraph({{"a", "ERRORED"}}, std::string(200, 'e')));
  Respond(200, {{"outputs", json::Json::object()}});
  CliResult wide = Run({"run", "states", "r1", "--wide"}, narrow);
  EXPECT_THAT(wide.out, HasSubstr("error: " + std::string(200, 'e') + "\n"));

  Respond(200, RunGraph({{"a", "SUCCESS"}}));
  Respond(200, {{"outputs", {{"text", "hello"}}}, {"parents", json::Json::object()}});
  CliResult json_output = Run({"run", "states", "r1", "-o", "json"});
  const json::Json document = json::Json::parse(json_output.out);
  EXPECT_EQ(document["states"][0]["outputs"]["text"], "hello");
  EXPECT_TRUE(document["states"][0]["error"].is_null());
}

TEST_F(AppTest, RunListTableAndJson) {
  const json::Json runs = {{"total", 1},
                           {"runs",
                            {{{"run_id", "r1"},
                              {"graph_name", "words"},
                              {"status", "FAILED"},
                              {"success_count", 3},
                              {"pending_count", 0},
                              {"errored_count", 1},
                              {"retried_count", 1},
                              {"total_count", 5},
                              {"created_at", "2026-01-02T03:04:05"}}}}};
  Respond(200, runs);
  CliResult table = Run({"run", "list", "--page", "2", "--size", "5"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_EQ(http_.requests()[0].url, std::string(kBase) + "/runs/2/5");
  EXPECT_THAT(table.out, HasSubstr("r1      words  FAILED  3        0        1        1        5"));
  Respond(200, runs);
  const json::Json document = json::Json::parse(Run({"run", "list", "-o", "json"}).out);
  EXPECT_EQ(document["total"], 1);
  EXPECT_EQ(document["runs"][0]["run_id"], "r1");
}

TEST_F(AppTest, StateRetrySendsAFreshFanoutId) {
  Respond(200, {{"id", "new-state"}, {"status", "CREATED"}});
  CliResult result = Run({"state", "retry", "old-state"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "new-state\n");
  const auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, std::string(kBase) + "/state/old-state/manual-retry");
  EXPECT_TRUE(ids::IsUuid(json::Json::parse(requests[0].body)["fanout_id"].get<std::string>()));
}

TEST_F(AppTest, StateRetryRefusesAReplyWithoutTheNewId) {
  Respond(200, {{"status", "CREATED"}});
  CliResult result = Run({"state", "retry", "old-state"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("manual-retry response"));
}

TEST_F(AppTest, StateRetryOfAnUnknownStateIsNotFound) {
  Respond(404, {{"detail", "State not found"}});
  CliResult result = Run({"state", "retry", "65f1c2a9e4b0d3a1c2b3d4e5"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("HTTP 404: State not found"));
}

TEST_F(AppTest, CompletionNeedsNoConnection) {
  CliRunOptions empty;
  empty.env.clear();
  CliResult bash = Run({"completion", "bash"}, empty);
  EXPECT_EQ(bash.exit_code, 0);
  EXPECT_THAT(bash.out, HasSubstr("complete -F _exospherectl exospherectl"));
  CliResult zsh = Run({"completion", "zsh"}, empty);
  EXPECT_THAT(zsh.out, HasSubstr("#compdef exospherectl"));
  EXPECT_EQ(Run({"completion", "fish"}, empty).exit_code, 2);
}

}  // namespace
}  // namespace exosphere::cli
