// exospherectl the binary against a real exosphere-devserver process: every command and every
// error of issue 14, the plain output when piped and the live view under a pseudo-terminal
// (script(1)). One devserver serves the whole suite; each test has its own namespace.
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

#include "harness/child_process.h"
#include "harness/scratch_dir.h"
#include "sidecar/transport/json_util.h"
#include "tests/cli/test_worker.h"
#include "tests/devserver/devserver_process.h"
#include "tests/support/status_matchers.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

namespace exosphere::cli {
namespace {

using ::exosphere::devserver::testing::DevserverProcess;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct Ctl {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ShellQuote(const std::string& word) {
  return "'" + absl::StrReplaceAll(word, {{"'", "'\\''"}}) + "'";
}

class ExospherectlE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<DevserverProcess>> started = DevserverProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    devserver_ = started->release();
  }
  static void TearDownTestSuite() {
    delete devserver_;
    devserver_ = nullptr;
  }

  void SetUp() override {
    ns_ = absl::StrCat("cli-", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_OK_AND_ASSIGN(scratch_, harness::ScratchDir::Create());
  }

  std::string Uri() const { return absl::StrCat("http://127.0.0.1:", devserver_->port()); }

  void StartWorker() {
    ASSERT_OK_AND_ASSIGN(worker_,
                         testing::TestWorker::Start(Uri(), DevserverProcess::kApiKey, ns_));
  }

  std::map<std::string, std::optional<std::string>> Env() const {
    return {{"EXOSPHERE_STATE_MANAGER_URI", Uri()},
            {"EXOSPHERE_API_KEY", std::string(DevserverProcess::kApiKey)},
            {"EXOSPHERE_API_KEY_FILE", std::nullopt},
            {"EXOSPHERE_NAMESPACE", ns_},
            {"COLUMNS", std::nullopt}};
  }

  // Runs exospherectl with `args` and the test's connection (changed by `env`), stdout and
  // stderr on pipes, and waits for it.
  Ctl Run(const std::vector<std::string>& args,
          const std::map<std::string, std::optional<std::string>>& env = {}) {
    std::vector<std::string> argv = {harness::BinaryPath("exospherectl")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunArgv(argv, env);
  }

  Ctl RunArgv(const std::vector<std::string>& argv,
              const std::map<std::string, std::optional<std::string>>& env = {}) {
    harness::ChildProcess::Options options;
    options.argv = argv;
    options.env = Env();
    for (const auto& [name, value] : env) options.env[name] = value;
    options.echo_stderr = false;
    options.label = "exospherectl";
    Ctl result;
    absl::StatusOr<std::unique_ptr<harness::ChildProcess>> child =
        harness::ChildProcess::Start(std::move(options));
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return result;
    absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(60));
    EXPECT_TRUE(status.ok()) << status.status();
    if (!status.ok()) return result;
    // The reader threads see the end of both pipes before the lines are complete.
    (void)(*child)->WaitForStdoutLine([](const std::string&) { return false; }, absl::Seconds(10));
    (void)(*child)->WaitForStderrLine([](const std::string&) { return false; }, absl::Seconds(10));
    result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    result.out = absl::StrJoin((*child)->StdoutLines(), "\n");
    result.err = absl::StrJoin((*child)->StderrLines(), "\n");
    return result;
  }

  std::string WriteFile(const std::string& name, const std::string& contents) {
    const std::string path = scratch_->File(name);
    std::ofstream(path) << contents;
    return path;
  }

  // Applies the example graph (the worker must be registered) and returns whether it is VALID.
  void ApplyExample() {
    Ctl applied = Run({"graph", "apply", "-f", harness::SourcePath("examples/graphs/words.yaml")});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    ASSERT_EQ(applied.out, absl::StrCat("graph words applied in namespace ", ns_, ": VALID"));
  }

  static DevserverProcess* devserver_;
  std::string ns_;
  std::unique_ptr<harness::ScratchDir> scratch_;
  std::unique_ptr<testing::TestWorker> worker_;
};

DevserverProcess* ExospherectlE2eTest::devserver_ = nullptr;

TEST_F(ExospherectlE2eTest, ExampleGraphAppliesRunsAndSucceedsWhenPiped) {
  StartWorker();
  ApplyExample();
  Ctl triggered = Run({"run", "trigger", "words", "--input", "text=hello graph  world"});
  ASSERT_EQ(triggered.exit_code, 0) << triggered.err;
  const std::string run_id = triggered.out;
  ASSERT_EQ(run_id.size(), 36u) << run_id;

  Ctl watched = Run({"run", "watch", run_id, "--interval", "50ms", "--timeout", "30s"});
  EXPECT_EQ(watched.exit_code, 0) << watched.out << watched.err;
  EXPECT_THAT(watched.out, Not(HasSubstr("\x1b[")));  // no terminal codes in a pipe
  EXPECT_THAT(watched.out, AllOf(HasSubstr("SUCCESS normalize (node normalize, state "),
                                 HasSubstr("SUCCESS collect (node summarize, state "),
                                 HasSubstr(absl::StrCat("run ", run_id, " succeeded after ")),
                                 HasSubstr("SUCCESS 8")));

  Ctl states = Run({"run", "states", run_id});
  EXPECT_EQ(states.exit_code, 0) << states.err;
  EXPECT_THAT(states.out, AllOf(HasSubstr("STATE ID"), HasSubstr("text=hello graph world"),
                                HasSubstr("loud=WORLD!"),
                                HasSubstr("summary=3 words shouted: \"hello graph world\"")));

  Ctl listed = Run({"run", "list", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json::Json runs = json::Json::parse(listed.out);
  ASSERT_EQ(runs["runs"].size(), 1u);
  EXPECT_EQ(runs["runs"][0]["run_id"], run_id);
  EXPECT_EQ(runs["runs"][0]["status"], "SUCCESS");
  EXPECT_THAT(Run({"run", "list"}).out, HasSubstr(absl::StrCat(run_id, "  words  SUCCESS")));

  Ctl graph = Run({"graph", "get", "words", "-o", "json"});
  ASSERT_EQ(graph.exit_code, 0) << graph.err;
  EXPECT_EQ(json::Json::parse(graph.out)["validation_status"], "VALID");
  EXPECT_THAT(Run({"graph", "list"}).out, HasSubstr("words  VALID       4"));
  Ctl nodes = Run({"nodes", "list"});
  EXPECT_THAT(nodes.out, AllOf(HasSubstr("shout        cli-test-worker  suffix,word  loud"),
                               HasSubstr("split_words")));
}

TEST_F(ExospherectlE2eTest, FailedStateShowsItsErrorAndCanBeRetried) {
  StartWorker();
  ApplyExample();
  Ctl run = Run({"run", "trigger", "words", "--input", "text= ", "--wait", "--interval", "50ms",
                 "--timeout", "30s"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_THAT(run.out, AllOf(HasSubstr("RETRY_CREATED normalize (node normalize"),
                             HasSubstr("ERRORED normalize (node normalize, state "),
                             HasSubstr("): the text has no words"), HasSubstr(" FAILED after ")));
  const std::string run_id = run.out.substr(0, run.out.find('\n'));

  Ctl states = Run({"run", "states", run_id, "-o", "json"});
  ASSERT_EQ(states.exit_code, 0) << states.err;
  std::string errored_id;
  const json::Json states_document = json::Json::parse(states.out);
  for (const json::Json& state : states_document["states"]) {
    if (state["status"] == "ERRORED") {
      errored_id = state["state_id"];
      EXPECT_EQ(state["error"], "the text has no words");
    }
  }
  ASSERT_FALSE(errored_id.empty()) << states.out;
  EXPECT_THAT(Run({"run", "states", run_id}).out,
              ::testing::ContainsRegex("ERRORED +error: the text has no words"));

  Ctl retried = Run({"state", "retry", errored_id});
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out.size(), 24u) << retried.out;
  Ctl after = Run({"run", "states", run_id, "-o", "json"});
  bool found_new = false;
  const json::Json after_document = json::Json::parse(after.out);
  for (const json::Json& state : after_document["states"]) {
    if (state["state_id"] == errored_id) EXPECT_EQ(state["status"], "RETRY_CREATED");
    found_new = found_new || state["state_id"] == retried.out;
  }
  EXPECT_TRUE(found_new) << after.out;
}

TEST_F(ExospherectlE2eTest, LiveViewUnderAPseudoTerminal) {
  StartWorker();
  ApplyExample();
  const std::string command =
      absl::StrCat(ShellQuote(harness::BinaryPath("exospherectl")),
                   " run trigger words --wait --interval 50ms --timeout 30s");
  // script(1) runs the command on a new pseudo-terminal and copies what it draws to our pipe
  // (util-linux's, from bsdutils, which every Debian system has).
  Ctl live = RunArgv({"/usr/bin/script", "-qefc", command, "/dev/null"}, {{"COLUMNS", "100"}});
  EXPECT_EQ(live.exit_code, 0) << live.out << live.err;
  EXPECT_THAT(live.out,
              AllOf(HasSubstr("\x1b[?25l"), HasSubstr("\x1b[3F\x1b[J"), HasSubstr(" done  "),
                    HasSubstr("12/12 done"), HasSubstr("SUCCESS 12"),
                    HasSubstr(" succeeded after "), HasSubstr("\x1b[?25h")));

  Ctl failing = RunArgv({"/usr/bin/script", "-qefc", command + " --input 'text= '", "/dev/null"});
  EXPECT_EQ(failing.exit_code, 1) << failing.out;
  EXPECT_THAT(failing.out, AllOf(HasSubstr("ERRORED normalize (node normalize, state "),
                                 HasSubstr("the text has no words"), HasSubstr(" FAILED after ")));
}

TEST_F(ExospherectlE2eTest, InvalidGraphPrintsTheValidationErrors) {
  const std::string path = WriteFile("invalid.yaml", R"(name: broken
nodes:
  - identifier: first
    node_name: not_registered
    inputs: {text: hi}
)");
  Ctl applied = Run({"graph", "apply", "-f", path});
  EXPECT_EQ(applied.exit_code, 1) << applied.out << applied.err;
  EXPECT_THAT(applied.out, AllOf(HasSubstr("graph broken applied in namespace "),
                                 HasSubstr(": INVALID\n  - "), HasSubstr("not_registered")));
}

TEST_F(ExospherectlE2eTest, BadInputGetsAClearError) {
  const std::string bad_yaml = WriteFile("bad.yaml", "name: g\nnodes:\n  - {identifier: a\n");
  Ctl syntax = Run({"graph", "apply", "-f", bad_yaml});
  EXPECT_EQ(syntax.exit_code, 2);
  EXPECT_THAT(syntax.err, HasSubstr(bad_yaml + ":4:1: not valid YAML"));

  Ctl unknown_graph = Run({"graph", "get", "nope"});
  EXPECT_EQ(unknown_graph.exit_code, 1);
  EXPECT_THAT(unknown_graph.err, HasSubstr("HTTP 404: Graph template nope not found"));
  Ctl trigger_unknown = Run({"run", "trigger", "nope"});
  EXPECT_EQ(trigger_unknown.exit_code, 1);
  EXPECT_THAT(trigger_unknown.err, HasSubstr("HTTP 404"));

  Ctl unauthorized = Run({"graph", "list"}, {{"EXOSPHERE_API_KEY", "wrong-key-4711"}});
  EXPECT_EQ(unauthorized.exit_code, 1);
  EXPECT_THAT(unauthorized.err, AllOf(HasSubstr("HTTP 401"), HasSubstr("refused the API key"),
                                      Not(HasSubstr("wrong-key-4711"))));

  const std::string negative_retries = WriteFile("422.yaml", R"(name: g
nodes: [{identifier: a, node_name: normalize, inputs: {text: x}}]
retry_policy: {max_retries: -1}
)");
  Ctl unprocessable = Run({"graph", "apply", "-f", negative_retries});
  EXPECT_EQ(unprocessable.exit_code, 1);
  EXPECT_THAT(unprocessable.err,
              AllOf(HasSubstr("HTTP 422: body.retry_policy.max_retries: "), HasSubstr("0")));

  // A bound socket that does not listen: connecting to it is refused at once.
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(socket_fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string closed_uri = absl::StrCat("http://127.0.0.1:", ntohs(address.sin_port));
  Ctl unreachable = Run({"run", "list", "--state-manager-uri", closed_uri});
  close(socket_fd);
  EXPECT_EQ(unreachable.exit_code, 4);
  EXPECT_THAT(unreachable.err,
              AllOf(HasSubstr(absl::StrCat("cannot reach the state manager at ", closed_uri, ": ")),
                    HasSubstr("onnect")));

  Ctl missing = Run({"run", "list"}, {{"EXOSPHERE_NAMESPACE", std::nullopt}});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err,
              HasSubstr("no namespace: set EXOSPHERE_NAMESPACE or pass -n/--namespace"));
}

TEST_F(ExospherectlE2eTest, StillRunningAtTheTimeoutExits3) {
  StartWorker();
  ApplyExample();
  Ctl delayed = Run({"run", "trigger", "words", "--start-delay", "1h", "--wait", "--interval",
                     "50ms", "--timeout", "300ms"});
  EXPECT_EQ(delayed.exit_code, 3) << delayed.out << delayed.err;
  EXPECT_THAT(delayed.out,
              AllOf(HasSubstr("CREATED normalize"), HasSubstr(" still running after ")));
}

TEST_F(ExospherectlE2eTest, BashCompletionCompletesCommandsAndFlags) {
  const std::string script = absl::StrCat(
      "source <(", ShellQuote(harness::BinaryPath("exospherectl")), " completion bash)\n",
      "complete_line() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _exospherectl; "
      "echo \"${COMPREPLY[*]}\"; }\n",
      "complete_line exospherectl ru\n", "complete_line exospherectl -n demo run tr\n",
      "complete_line exospherectl graph apply --fi\n",
      "complete_line exospherectl run list -o j\n");
  Ctl completed = RunArgv({"/bin/bash", "-c", script});
  EXPECT_EQ(completed.exit_code, 0) << completed.err;
  EXPECT_EQ(completed.out, "run\ntrigger\n--file\njson");
}

}  // namespace
}  // namespace exosphere::cli
