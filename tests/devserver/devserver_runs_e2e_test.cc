// End-to-end: a test client plays a runtime against the exosphere-devserver binary over HTTP and
// checks the outcome through the inspection endpoints (contract sections 2, 4 and 5).

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/devserver/devserver_e2e_fixture.h"

namespace exosphere::devserver::testing {
namespace {

// The server keeps enqueue_after in whole milliseconds (as the real one does), so a delay measured
// from before the request can come out up to 1 ms short of the delay asked for.
constexpr absl::Duration kMillisecondTimestamps = absl::Milliseconds(1);

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::string Id(const Json& state) { return state["state_id"].get<std::string>(); }

bool AllSettled(const Json& graph) {
  const Json* summary = FindMember(graph, "execution_summary");
  return summary != nullptr && (*summary)["CREATED"] == 0 && (*summary)["QUEUED"] == 0 &&
         (*summary)["EXECUTED"] == 0;
}

using RunsE2eTest = DevserverE2eTest;

TEST_F(RunsE2eTest, AChainRunsToSuccessWithRenderedInputs) {
  DeployGraph(
      "chain",
      {{"Fetch", {"url"}, {"body", "size"}, {}},
       {"Parse", {"text", "label"}, {"words"}, {}},
       {"Store", {"words"}, {}, {}}},
      GraphJson(Json::array(
          {NodeJson("Fetch", "fetch", {{"url", "http://x"}}, {"parse"}),
           NodeJson("Parse", "parse",
                    {{"text", "<${{ fetch.outputs.body }}>"},
                     {"label", "${{fetch.outputs.size}}/${{ fetch.outputs.size }}"},
                     {"unused", "kept out"}},
                    {"store_it"}),
           NodeJson("Store", "store_it",
                    {{"words", "${{ parse.outputs.words }} from ${{ fetch.outputs.body }}"}})})));
  const std::string run_id = client_->Trigger("chain");
  ASSERT_FALSE(run_id.empty());

  Json fetch = client_->AwaitClaims({"Fetch"}, 1);
  ASSERT_EQ(fetch.size(), 1u);
  EXPECT_EQ(fetch[0]["identifier"], "fetch");
  EXPECT_EQ(DumpJson(fetch[0]["inputs"]), R"({"url":"http://x"})");
  Reply executed =
      client_->Executed(Id(fetch[0]), Json::array({{{"body", "hello"}, {"size", "5"}}}));
  EXPECT_EQ(executed.status, 200);
  EXPECT_EQ(executed.raw, R"({"status":"EXECUTED"})");

  Json parse = client_->AwaitClaims({"Parse"}, 1);
  ASSERT_EQ(parse.size(), 1u);
  // Only the registered input fields become inputs.
  EXPECT_EQ(DumpJson(parse[0]["inputs"]), R"({"text":"<hello>","label":"5/5"})");
  ASSERT_EQ(client_->Executed(Id(parse[0]), Json::array({{{"words", "2"}}})).status, 200);

  Json store = client_->AwaitClaims({"Store"}, 1);
  ASSERT_EQ(store.size(), 1u);
  EXPECT_EQ(store[0]["inputs"]["words"], "2 from hello");
  ASSERT_EQ(client_->Executed(Id(store[0]), Json::array()).status, 200);

  Json graph = client_->AwaitRunGraph(run_id, AllSettled);
  EXPECT_EQ(graph["graph_name"], "chain");
  EXPECT_EQ(graph["node_count"], 3);
  EXPECT_EQ(graph["edge_count"], 2);
  EXPECT_EQ(graph["execution_summary"]["SUCCESS"], 3);
  EXPECT_EQ(graph["root_states"][0]["identifier"], "fetch");
  Json summary = client_->RunSummary(run_id);
  EXPECT_EQ(summary["status"], "SUCCESS");
  EXPECT_EQ(summary["success_count"], 3);
  EXPECT_EQ(summary["total_count"], 3);

  // The last state lists every ancestor, the direct parent last.
  Json details = client_->NodeDetails("chain", run_id, Id(store[0]));
  EXPECT_EQ(details["status"], "SUCCESS");
  EXPECT_EQ(DumpJson(details["outputs"]), "{}");
  std::vector<std::string> parents;
  for (auto it = details["parents"].begin(); it != details["parents"].end(); ++it) {
    parents.push_back(it.key());
  }
  EXPECT_THAT(parents, ElementsAre("fetch", "parse"));
  EXPECT_EQ(details["parents"]["parse"], Id(parse[0]));

  // Reports after the fact are refused the way the server refuses them.
  EXPECT_EQ(client_->Executed(Id(store[0]), Json::array()).raw,
            R"({"detail":"State is not queued"})");
  EXPECT_EQ(client_->Errored(Id(store[0]), "late").raw,
            R"({"detail":"State is not queued or executed"})");
}

TEST_F(RunsE2eTest, FanOutCreatesSiblingsAndOneChildPerOutput) {
  DeployGraph(
      "fan", {{"Split", {}, {"part"}, {}}, {"Work", {"part"}, {}, {}}},
      GraphJson(Json::array({NodeJson("Split", "split", Json::object(), {"work"}),
                             NodeJson("Work", "work", {{"part", "${{ split.outputs.part }}"}})})));
  const std::string run_id = client_->Trigger("fan");
  Json split = client_->AwaitClaims({"Split"}, 1);
  ASSERT_EQ(split.size(), 1u);
  ASSERT_EQ(
      client_
          ->Executed(Id(split[0]), Json::array({{{"part", "a"}}, {{"part", "b"}}, {{"part", "c"}}}))
          .status,
      200);
  Json work = client_->AwaitClaims({"Work"}, 3);
  ASSERT_EQ(work.size(), 3u);
  std::vector<std::string> parts;
  for (const Json& state : work) parts.push_back(state["inputs"]["part"]);
  EXPECT_THAT(parts, UnorderedElementsAre("a", "b", "c"));

  Json graph = client_->RunGraph(run_id);
  EXPECT_EQ(CountNodes(graph, "split", "SUCCESS"), 3);
  // Fan-out siblings copy the root's (empty) parents, so each of them is a root state.
  EXPECT_EQ(graph["root_states"].size(), 3u);
  // Each child hangs off a different sibling.
  std::vector<std::string> sources;
  for (const Json& edge : graph["edges"]) sources.push_back(edge["source"]);
  std::sort(sources.begin(), sources.end());
  EXPECT_EQ(std::unique(sources.begin(), sources.end()) - sources.begin(), 3);
  for (const Json& state : work) ASSERT_EQ(client_->Executed(Id(state), Json::array()).status, 200);
  EXPECT_EQ(client_->AwaitRunGraph(run_id, AllSettled)["execution_summary"]["SUCCESS"], 6);
}

class UnitesE2eTest : public DevserverE2eTest {
 protected:
  // root -> {left, right} -> join (unites root).
  void DeployDiamond(const std::string& strategy, int max_retries = 0) {
    DeployGraph(
        "diamond",
        {{"Root", {}, {"seed"}, {}},
         {"Left", {"seed"}, {"l"}, {}},
         {"Right", {"seed"}, {"r"}, {}},
         {"Join", {"seed"}, {}, {}}},
        GraphJson(Json::array(
                      {NodeJson("Root", "root", Json::object(), {"left", "right"}),
                       NodeJson("Left", "left", {{"seed", "${{ root.outputs.seed }}"}}, {"join"}),
                       NodeJson("Right", "right", {{"seed", "${{ root.outputs.seed }}"}}, {"join"}),
                       NodeJson("Join", "join", {{"seed", "joined ${{ root.outputs.seed }}"}}, {},
                                std::make_pair("root", strategy))}),
                  {{"retry_policy", {{"max_retries", max_retries}}}}));
    run_id_ = client_->Trigger("diamond");
    Json root = client_->AwaitClaims({"Root"}, 1);
    ASSERT_EQ(root.size(), 1u);
    root_id_ = Id(root[0]);
    ASSERT_EQ(client_->Executed(root_id_, Json::array({{{"seed", "s"}}})).status, 200);
    Json branches = client_->AwaitClaims({"Left", "Right"}, 2);
    ASSERT_EQ(branches.size(), 2u);
    for (const Json& state : branches) {
      (state["identifier"] == "left" ? left_ : right_) = Id(state);
    }
  }

  int JoinCount() { return CountNodes(client_->RunGraph(run_id_), "join"); }

  std::string run_id_, root_id_, left_, right_;
};

TEST_F(UnitesE2eTest, AllSuccessCreatesTheUniteOnceEveryBranchSucceeded) {
  DeployDiamond("ALL_SUCCESS");
  ASSERT_EQ(client_->Executed(left_, Json::array({{{"l", "1"}}})).status, 200);
  client_->AwaitRunGraph(
      run_id_, [](const Json& graph) { return CountNodes(graph, "left", "SUCCESS") == 1; });
  EXPECT_EQ(JoinCount(), 0);
  ASSERT_EQ(client_->Executed(right_, Json::array({{{"r", "2"}}})).status, 200);
  Json join = client_->AwaitClaims({"Join"}, 1);
  ASSERT_EQ(join.size(), 1u);
  EXPECT_EQ(join[0]["inputs"]["seed"], "joined s");
  Json details = client_->NodeDetails("diamond", run_id_, Id(join[0]));
  EXPECT_EQ(DumpJson(details["parents"]), "{\"root\":\"" + root_id_ + "\"}");
  ASSERT_EQ(client_->Executed(Id(join[0]), Json::array()).status, 200);
  Json graph = client_->AwaitRunGraph(run_id_, AllSettled);
  EXPECT_EQ(graph["execution_summary"]["SUCCESS"], 4);
  EXPECT_EQ(CountNodes(graph, "join"), 1);
}

TEST_F(UnitesE2eTest, AllSuccessIsBlockedForeverByAnErroredBranch) {
  DeployDiamond("ALL_SUCCESS");
  Reply errored = client_->Errored(left_, "boom");
  EXPECT_EQ(errored.raw, R"({"status":"ERRORED","retry_created":false})");
  ASSERT_EQ(client_->Executed(right_, Json::array({{{"r", "2"}}})).status, 200);
  Json graph = client_->AwaitRunGraph(run_id_, AllSettled);
  EXPECT_EQ(CountNodes(graph, "join"), 0);
  EXPECT_EQ(client_->RunSummary(run_id_)["status"], "FAILED");
}

TEST_F(UnitesE2eTest, AllDoneCreatesTheUniteDespiteAnErroredBranch) {
  DeployDiamond("ALL_DONE");
  ASSERT_EQ(client_->Errored(left_, "boom").status, 200);
  ASSERT_EQ(client_->Executed(right_, Json::array({{{"r", "2"}}})).status, 200);
  EXPECT_EQ(client_->AwaitClaims({"Join"}, 1).size(), 1u);
}

TEST_F(UnitesE2eTest, TheUniteIsNeverCreatedWhenTheLastBranchIsPruned) {
  DeployDiamond("ALL_DONE");
  ASSERT_EQ(client_->Executed(left_, Json::array({{{"l", "1"}}})).status, 200);
  client_->AwaitRunGraph(
      run_id_, [](const Json& graph) { return CountNodes(graph, "left", "SUCCESS") == 1; });
  // Pruning triggers no unite check (contract 4.7): the join never appears.
  Reply pruned = client_->Prune(right_, {{"reason", "skip"}});
  EXPECT_EQ(pruned.body["status"], "PRUNED");
  Json graph = client_->AwaitRunGraph(run_id_, AllSettled);
  EXPECT_EQ(CountNodes(graph, "join"), 0);
  // Pruned counts as success in the run summary.
  Json summary = client_->RunSummary(run_id_);
  EXPECT_EQ(summary["status"], "SUCCESS");
  EXPECT_EQ(summary["success_count"], 3);
}

TEST_F(RunsE2eTest, UnitingOnTheDirectPredecessorFailsAtRunTime) {
  DeployGraph("direct", {{"Root", {}, {}, {}}, {"Join", {}, {}, {}}},
              GraphJson(Json::array({NodeJson("Root", "root", Json::object(), {"join"}),
                                     NodeJson("Join", "join", Json::object(), {},
                                              std::make_pair("root", "ALL_SUCCESS"))})));
  const std::string run_id = client_->Trigger("direct");
  Json root = client_->AwaitClaims({"Root"}, 1);
  ASSERT_EQ(root.size(), 1u);
  ASSERT_EQ(client_->Executed(Id(root[0]), Json::array()).status, 200);
  Json graph = client_->AwaitRunGraph(run_id, AllSettled);
  ASSERT_EQ(CountNodes(graph, "root", "NEXT_CREATED_ERROR"), 1);
  EXPECT_EQ(graph["nodes"][0]["error"], "Unit identifier not found in parents: root");
  EXPECT_EQ(client_->RunSummary(run_id)["status"], "FAILED");
}

TEST_F(RunsE2eTest, StoreValuesDefaultsAndRequiredKeys) {
  DeployGraph(
      "stored", {{"First", {"q"}, {"o"}, {}}, {"Second", {"a", "b"}, {}, {}}},
      GraphJson(
          Json::array({NodeJson("First", "first", {{"q", "${{ store.page }}"}}, {"second"}),
                       NodeJson("Second", "second",
                                {{"a", "${{ store.query }}+${{ first.outputs.o }}"},
                                 {"b", "${{ store.page }}"}})}),
          {{"store_config", {{"required_keys", {"query"}}, {"default_values", {{"page", "1"}}}}}}));
  Reply missing;
  EXPECT_EQ(client_->Trigger("stored", Json::object(), &missing), "");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.raw, R"({"detail":"Missing store keys: {'query'}"})");

  const std::string run_id =
      client_->Trigger("stored", {{"store", {{"query", "cats"}, {"extra", "x"}}}});
  ASSERT_FALSE(run_id.empty());
  Json first = client_->AwaitClaims({"First"}, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["inputs"]["q"], "1");
  ASSERT_EQ(client_->Executed(Id(first[0]), Json::array({{{"o", "out"}}})).status, 200);
  Json second = client_->AwaitClaims({"Second"}, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(DumpJson(second[0]["inputs"]), R"({"a":"cats+out","b":"1"})");
}

TEST_F(RunsE2eTest, ANonStringOutputBreaksNextStateCreation) {
  DeployGraph(
      "typed", {{"First", {}, {"o"}, {}}, {"Second", {"a"}, {}, {}}},
      GraphJson(Json::array({NodeJson("First", "first", Json::object(), {"second"}),
                             NodeJson("Second", "second", {{"a", "${{ first.outputs.o }}"}})})));
  const std::string run_id = client_->Trigger("typed");
  Json first = client_->AwaitClaims({"First"}, 1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(client_->Executed(Id(first[0]), Json::array({{{"o", 5}}})).status, 200);
  Json graph = client_->AwaitRunGraph(run_id, AllSettled);
  EXPECT_EQ(graph["nodes"][0]["status"], "NEXT_CREATED_ERROR");
  EXPECT_EQ(graph["nodes"][0]["error"], "unsupported operand type(s) for +: 'int' and 'str'");
  // A missing output field is reported with the server's text.
  const std::string second_run = client_->Trigger("typed");
  first = client_->AwaitClaims({"First"}, 1);
  ASSERT_EQ(client_->Executed(Id(first[0]), Json::array({{{"other", "x"}}})).status, 200);
  graph = client_->AwaitRunGraph(second_run, AllSettled);
  EXPECT_EQ(graph["nodes"][0]["error"],
            "Output field 'o' not found on current state 'first' for template 'second'");
}

TEST_F(RunsE2eTest, RetriesHonourTheDelaysUntilExhausted) {
  DeployGraph("flaky", {{"Flaky", {}, {}, {}}},
              GraphJson(Json::array({NodeJson("Flaky", "flaky", Json::object())}),
                        {{"retry_policy",
                          {{"max_retries", 2}, {"strategy", "FIXED"}, {"backoff_factor", 300}}}}));
  const std::string run_id = client_->Trigger("flaky");
  Json attempt = client_->AwaitClaims({"Flaky"}, 1);
  ASSERT_EQ(attempt.size(), 1u);
  for (int retry = 1; retry <= 2; ++retry) {
    const absl::Time reported = absl::Now();
    Reply errored = client_->Errored(Id(attempt[0]), "failure " + std::to_string(retry));
    EXPECT_EQ(errored.raw, R"({"status":"ERRORED","retry_created":true})");
    EXPECT_EQ(client_->Errored(Id(attempt[0]), "again").raw,
              R"({"detail":"State is not queued or executed"})");
    attempt = client_->AwaitClaims({"Flaky"}, 1, absl::Seconds(10));
    ASSERT_EQ(attempt.size(), 1u);
    // The retry was not claimable before its delay passed.
    EXPECT_GE(absl::Now() - reported, absl::Milliseconds(300) - kMillisecondTimestamps);
  }
  EXPECT_EQ(client_->Errored(Id(attempt[0]), "final").raw,
            R"({"status":"ERRORED","retry_created":false})");
  Json summary = client_->RunSummary(run_id);
  EXPECT_EQ(summary["retried_count"], 2);
  EXPECT_EQ(summary["errored_count"], 1);
  EXPECT_EQ(summary["status"], "FAILED");
  Json details = client_->NodeDetails("flaky", run_id, Id(attempt[0]));
  EXPECT_EQ(details["status"], "ERRORED");
  EXPECT_EQ(details["error"], "final");
}

TEST_F(RunsE2eTest, ReEnqueueAfterResetsAnyStateAfterADelay) {
  DeployGraph("again", {{"Once", {}, {}, {}}},
              GraphJson(Json::array({NodeJson("Once", "once", Json::object())})));
  const std::string run_id = client_->Trigger("again");
  Json state = client_->AwaitClaims({"Once"}, 1);
  ASSERT_EQ(state.size(), 1u);
  ASSERT_EQ(client_->Executed(Id(state[0]), Json::array({{{"x", "1"}}})).status, 200);
  client_->AwaitRunGraph(run_id, AllSettled);
  // No status guard: a finished state runs again.
  const absl::Time requeued = absl::Now();
  Reply reply = client_->ReEnqueueAfter(Id(state[0]), 1500);
  EXPECT_EQ(reply.body["status"], "CREATED");
  EXPECT_GE(reply.body["enqueue_after"].get<int64_t>(), absl::ToUnixMillis(requeued) + 1500);
  EXPECT_EQ(client_->Enqueue({"Once"}, 1).size(), 0u);
  Json again = client_->AwaitClaims({"Once"}, 1, absl::Seconds(10));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(Id(again[0]), Id(state[0]));
  EXPECT_GE(absl::Now() - requeued, absl::Milliseconds(1500) - kMillisecondTimestamps);
  // Outputs are left as they were.
  EXPECT_EQ(client_->NodeDetails("again", run_id, Id(state[0]))["outputs"]["x"], "1");
  Reply zero = client_->ReEnqueueAfter(Id(state[0]), 0);
  EXPECT_EQ(zero.status, 422);
  EXPECT_EQ(
      zero.raw,
      R"({"detail":[{"type":"greater_than","loc":["body","enqueue_after"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}}]})");
}

TEST_F(RunsE2eTest, ManualRetryClonesAStateOncePerFanoutId) {
  DeployGraph("manual", {{"Job", {"x"}, {}, {}}},
              GraphJson(Json::array({NodeJson("Job", "job", {{"x", "1"}})}),
                        {{"retry_policy", {{"max_retries", 0}}}}));
  const std::string run_id = client_->Trigger("manual");
  Json state = client_->AwaitClaims({"Job"}, 1);
  ASSERT_EQ(state.size(), 1u);
  ASSERT_EQ(client_->Errored(Id(state[0]), "bad").body["retry_created"], false);
  Reply retried = client_->ManualRetry(Id(state[0]), "operator-fanout-1");
  ASSERT_EQ(retried.status, 200) << retried.raw;
  EXPECT_EQ(retried.body["status"], "CREATED");
  Reply duplicate = client_->ManualRetry(Id(state[0]), "operator-fanout-1");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.raw, R"({"detail":"Duplicate retry state detected"})");
  EXPECT_EQ(NewClient("elsewhere")->ManualRetry(Id(state[0]), "operator-fanout-2").status, 404);

  Json clone = client_->AwaitClaims({"Job"}, 1);
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(Id(clone[0]), retried.body["id"]);
  EXPECT_EQ(clone[0]["inputs"]["x"], "1");
  EXPECT_EQ(client_->NodeDetails("manual", run_id, Id(state[0]))["status"], "RETRY_CREATED");
}

TEST_F(RunsE2eTest, ConcurrentClaimersNeverShareAState) {
  DeployGraph("bulk", {{"Seed", {}, {"n"}, {}}, {"Item", {"n"}, {}, {}}},
              GraphJson(Json::array({NodeJson("Seed", "seed", Json::object(), {"item"}),
                                     NodeJson("Item", "item", {{"n", "${{ seed.outputs.n }}"}})})));
  const std::string run_id = client_->Trigger("bulk");
  Json seed = client_->AwaitClaims({"Seed"}, 1);
  ASSERT_EQ(seed.size(), 1u);
  constexpr int kStates = 2000;
  Json outputs = Json::array();
  for (int i = 0; i < kStates; ++i) outputs.push_back({{"n", std::to_string(i)}});
  ASSERT_EQ(client_->Executed(Id(seed[0]), outputs).status, 200);
  client_->AwaitRunGraph(run_id,
                         [](const Json& graph) { return CountNodes(graph, "item") == kStates; });

  constexpr int kClaimers = 8;
  std::vector<std::vector<std::string>> claimed(kClaimers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kClaimers; ++t) {
    threads.emplace_back([this, t, &claimed] {
      std::unique_ptr<DevserverClient> client = NewClient();
      while (true) {
        Json batch = client->Enqueue({"Item"}, 16);
        if (batch.empty()) break;
        for (const Json& state : batch) {
          claimed[t].push_back(Id(state));
          EXPECT_EQ(client->Executed(Id(state), Json::array()).status, 200);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> distinct;
  size_t total = 0;
  for (const auto& ids : claimed) {
    total += ids.size();
    distinct.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kStates));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kStates));
  client_->AwaitRunGraph(run_id, AllSettled, absl::Seconds(30));
  Json summary = client_->RunSummary(run_id);
  EXPECT_EQ(summary["status"], "SUCCESS");
  EXPECT_EQ(summary["success_count"], 2 * kStates);
}

TEST_F(RunsE2eTest, ClaimsAreScopedByNamespaceAndNodeName) {
  DeployGraph("scoped", {{"Mine", {}, {}, {}}},
              GraphJson(Json::array({NodeJson("Mine", "mine", Json::object())})));
  ASSERT_FALSE(client_->Trigger("scoped").empty());
  EXPECT_EQ(NewClient("other")->Enqueue({"Mine"}, 5).size(), 0u);
  EXPECT_EQ(client_->Enqueue({"Other"}, 5).size(), 0u);
  EXPECT_EQ(client_->Enqueue({"Mine"}, 0).size(), 0u);
  Reply claim =
      client_->Post(client_->Path("/states/enqueue"), {{"nodes", {"Mine"}}, {"batch_size", 5}});
  EXPECT_EQ(claim.body["count"], 1);
  EXPECT_EQ(claim.body["status"], "QUEUED");
  EXPECT_EQ(claim.body["namespace"], "e2e");
  Reply empty =
      client_->Post(client_->Path("/states/enqueue"), {{"nodes", {"Mine"}}, {"batch_size", 5}});
  EXPECT_EQ(empty.raw, R"({"count":0,"namespace":"e2e","status":"QUEUED","states":[]})");
}

TEST_F(RunsE2eTest, StartDelayHoldsTheRootState) {
  DeployGraph("later", {{"Late", {}, {}, {}}},
              GraphJson(Json::array({NodeJson("Late", "late", Json::object())})));
  const absl::Time triggered = absl::Now();
  // Long enough that the immediate claim below cannot race it even on a loaded machine.
  ASSERT_FALSE(client_->Trigger("later", {{"start_delay", 1500}}).empty());
  EXPECT_EQ(client_->Enqueue({"Late"}, 1).size(), 0u);
  EXPECT_EQ(client_->AwaitClaims({"Late"}, 1, absl::Seconds(10)).size(), 1u);
  EXPECT_GE(absl::Now() - triggered, absl::Milliseconds(1500) - kMillisecondTimestamps);
}

}  // namespace
}  // namespace exosphere::devserver::testing
