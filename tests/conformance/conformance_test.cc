// One graph (chain, fan-out, unite, store, secrets, a retry, a prune, a re-enqueue-after) run with
// the conformance workers of each language, and once with its nodes spread over workers of all
// three languages behind one sidecar at the same time: the final states must be the same every
// time (tests/conformance/README.md).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "exosphere/client/client.h"
#include "harness/child_process.h"
#include "tests/support/sidecar_stack.h"
#include "tests/support/status_matchers.h"
#include <sys/stat.h>

namespace exosphere {
namespace {

using ::exosphere::harness::BinaryPath;
using ::exosphere::harness::ChildProcess;
using ::exosphere::harness::SourcePath;
using ::exosphere::testing::SidecarStack;

std::string FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "", ':')) {
    const std::string candidate = absl::StrCat(dir, "/", program);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::vector<std::string> WorkerCommand(const std::string& language) {
  if (language == "cpp") return {BinaryPath("exosphere-conformance-worker")};
  if (language == "typescript") {
    return {FindInPath("node"),
            SourcePath("client/typescript/dist/examples/conformance_worker.js")};
  }
  const char* python = std::getenv("EXOSPHERE_PYTHON");
  return {python != nullptr ? python : "/usr/bin/python3",
          SourcePath("examples/python/conformance_worker.py")};
}

std::string StatusName(client::StateStatus status) {
  switch (status) {
    case client::StateStatus::kCreated:
      return "CREATED";
    case client::StateStatus::kQueued:
      return "QUEUED";
    case client::StateStatus::kExecuted:
      return "EXECUTED";
    case client::StateStatus::kErrored:
      return "ERRORED";
    case client::StateStatus::kNextCreatedError:
      return "NEXT_CREATED_ERROR";
    case client::StateStatus::kSuccess:
      return "SUCCESS";
    case client::StateStatus::kPruned:
      return "PRUNED";
    case client::StateStatus::kRetryCreated:
      return "RETRY_CREATED";
    case client::StateStatus::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

// The final states of tests/conformance/README.md, one line per state, sorted.
std::vector<std::string> Expected() {
  std::vector<std::string> lines = {
      "start SUCCESS text=alpha, flaky, skip, later, beta",
      "split SUCCESS item=alpha",
      "split SUCCESS item=flaky",
      "split SUCCESS item=skip",
      "split SUCCESS item=later",
      "split SUCCESS item=beta",
      "transform SUCCESS value=ALPHA!/6",
      "transform SUCCESS value=BETA!/6",
      "transform SUCCESS value=LATER!/6",
      "transform SUCCESS value=FLAKY!/6",
      "transform RETRY_CREATED error=transient failure",
      "transform PRUNED",
      "collect SUCCESS summary=alpha, flaky, skip, later, beta!",
  };
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> Describe(const client::RunStates& states) {
  std::vector<std::string> lines;
  for (const client::RunState& state : states.states) {
    std::string line = absl::StrCat(state.identifier, " ", StatusName(state.status));
    for (const auto& [key, value] : state.outputs) absl::StrAppend(&line, " ", key, "=", value);
    if (!state.error.empty()) absl::StrAppend(&line, " error=", state.error);
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct Scenario {
  std::string name;
  // Language -> the nodes its worker serves (empty: all of them).
  std::map<std::string, std::string> workers;
};

void PrintTo(const Scenario& scenario, std::ostream* out) { *out << scenario.name; }

class ConformanceTest : public ::testing::TestWithParam<Scenario> {
 protected:
  void SetUp() override {
    SidecarStack::Options options;
    options.api_key = "conformance-key";
    ASSERT_OK_AND_ASSIGN(stack_, SidecarStack::Start(std::move(options)));
    address_ = stack_->sidecar_address();
    markers_ = stack_->dir().File("markers");
    ASSERT_EQ(::mkdir(markers_.c_str(), 0700), 0);
  }

  void TearDown() override {
    for (auto& worker : workers_) worker->Signal(SIGTERM);
    for (auto& worker : workers_) EXPECT_OK(worker->Wait(absl::Seconds(30)).status());
    workers_.clear();
    stack_.reset();
  }

  std::string address_;
  std::string markers_;
  // Declared before the workers, which use its sidecar and its directory.
  std::unique_ptr<SidecarStack> stack_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_P(ConformanceTest, TheGraphEndsInTheSameStatesWhateverTheLanguages) {
  for (const auto& [language, nodes] : GetParam().workers) {
    std::vector<std::string> command = WorkerCommand(language);
    ASSERT_FALSE(command[0].empty()) << "no interpreter for " << language;
    ASSERT_OK_AND_ASSIGN(auto worker, ChildProcess::Start({command,
                                                           {{"EXOSPHERE_SIDECAR_ADDRESS", address_},
                                                            {"CONFORMANCE_NODES", nodes},
                                                            {"CONFORMANCE_MARKER_DIR", markers_}},
                                                           true,
                                                           language}));
    ASSERT_OK(worker
                  ->WaitForStdoutLine([](const std::string& line) { return line == "ready"; },
                                      absl::Seconds(60))
                  .status())
        << language << " worker did not become ready";
    workers_.push_back(std::move(worker));
  }

  client::StateManagerOptions options;
  options.sidecar_address = address_;
  client::StateManager state_manager("conformance", options);
  std::vector<client::GraphNode> graph(4);
  graph[0] = {"cf_start", "start", {{"text", "${{ store.text }}"}}, {"split"}};
  graph[1] = {"cf_split", "split", {{"text", "${{ start.outputs.text }}"}}, {"transform"}};
  graph[2] = {"cf_transform",
              "transform",
              {{"item", "${{ split.outputs.item }}"}, {"suffix", "${{ store.suffix }}"}},
              {"collect"}};
  graph[3] = {"cf_collect",
              "collect",
              {{"text", "${{ start.outputs.text }}"}, {"suffix", "${{ store.suffix }}"}},
              {}};
  graph[3].unites = client::Unites{"start", client::UnitesStrategy::kAllDone};
  client::RetryPolicy retry;
  retry.max_retries = 2;
  retry.strategy = client::RetryStrategy::kFixed;
  retry.backoff_factor = absl::Milliseconds(100);
  client::StoreConfig store;
  store.required_keys = {"text", "suffix"};
  ASSERT_OK(
      state_manager.UpsertGraph("conformance", graph, {{"salt", "pepper"}}, retry, store).status());
  ASSERT_OK_AND_ASSIGN(
      std::string run_id,
      state_manager.Trigger("conformance", {},
                            {{"text", " alpha, flaky, skip, later, beta "}, {"suffix", "!"}}));
  ASSERT_OK_AND_ASSIGN(client::RunStates states,
                       state_manager.WaitForRun(run_id, absl::Seconds(60)));
  EXPECT_EQ(Describe(states), Expected()) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(Languages, ConformanceTest,
                         ::testing::Values(Scenario{"cpp", {{"cpp", ""}}},
                                           Scenario{"typescript", {{"typescript", ""}}},
                                           Scenario{"python", {{"python", ""}}},
                                           Scenario{"all_three",
                                                    {{"cpp", "cf_start,cf_collect"},
                                                     {"typescript", "cf_split"},
                                                     {"python", "cf_transform"}}}),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace exosphere
