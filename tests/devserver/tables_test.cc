#include "devserver/tables.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

State MakeState(const std::string& id, const std::string& node, int64_t enqueue_after,
                const std::string& ns = "ns") {
  State state;
  state.id = id;
  state.node_name = node;
  state.namespace_name = ns;
  state.identifier = node;
  state.graph_name = "g";
  state.run_id = "run";
  state.enqueue_after = enqueue_after;
  state.fanout_id = "fan-" + id;
  return state;
}

class TablesTest : public ::testing::Test {
 protected:
  Tables tables_{/*track_changes=*/true};
};

TEST_F(TablesTest, ClaimsOnlyReadyStatesOldestFirst) {
  ASSERT_OK(tables_.InsertState(MakeState("s1", "A", 300)));
  ASSERT_OK(tables_.InsertState(MakeState("s2", "A", 100)));
  ASSERT_OK(tables_.InsertState(MakeState("s3", "B", 200)));
  ASSERT_OK(tables_.InsertState(MakeState("s4", "A", 5000)));
  ASSERT_OK(tables_.InsertState(MakeState("s5", "A", 0, "other")));

  EXPECT_THAT(tables_.ClaimStates("ns", {"A", "B"}, 250, 10), ElementsAre("s2", "s3"));
  EXPECT_EQ(tables_.FindState("s2")->status, StateStatus::kQueued);
  EXPECT_EQ(tables_.FindState("s1")->status, StateStatus::kCreated);
  // Claimed states are never claimed again.
  EXPECT_THAT(tables_.ClaimStates("ns", {"A", "B"}, 250, 10), IsEmpty());
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 300, 10), ElementsAre("s1"));
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 4999, 10), IsEmpty());
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 5000, 10), ElementsAre("s4"));
}

TEST_F(TablesTest, ClaimRespectsTheBatchSize) {
  for (int i = 0; i < 10; ++i)
    ASSERT_OK(tables_.InsertState(MakeState(absl::StrCat("s", i), "A", i)));
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 100, 0), IsEmpty());
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 100, -3), IsEmpty());
  EXPECT_THAT(tables_.ClaimStates("ns", {}, 100, 5), IsEmpty());
  EXPECT_THAT(tables_.ClaimStates("ns", {"A", "A"}, 100, 3), ElementsAre("s0", "s1", "s2"));
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 100, 1'000'000'000), SizeIs(7));
}

TEST_F(TablesTest, PutStateReindexesReadiness) {
  ASSERT_OK(tables_.InsertState(MakeState("s1", "A", 0)));
  ASSERT_THAT(tables_.ClaimStates("ns", {"A"}, 10, 1), ElementsAre("s1"));
  State state = *tables_.FindState("s1");
  state.status = StateStatus::kCreated;
  state.enqueue_after = 50;
  tables_.PutState(state);
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 49, 1), IsEmpty());
  EXPECT_THAT(tables_.ClaimStates("ns", {"A"}, 50, 1), ElementsAre("s1"));
}

TEST_F(TablesTest, EnforcesTheStateManagersUniqueKeys) {
  ASSERT_OK(tables_.InsertState(MakeState("s1", "A", 0)));
  State duplicate = MakeState("s2", "A", 0);
  duplicate.fanout_id = "fan-s1";
  EXPECT_THAT(tables_.InsertState(duplicate),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  duplicate.retry_count = 1;
  EXPECT_THAT(tables_.InsertState(duplicate), IsOk());

  State unite_a = MakeState("u1", "U", 0);
  unite_a.does_unites = true;
  unite_a.parents = {{"r", "root-id"}};
  State unite_b = unite_a;
  unite_b.id = "u2";
  unite_b.fanout_id = "another";
  ASSERT_OK(tables_.InsertState(unite_a));
  EXPECT_THAT(tables_.InsertState(unite_b),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  unite_b.manual_retry_fanout_id = "manual";
  EXPECT_THAT(tables_.InsertState(unite_b), IsOk());
}

TEST_F(TablesTest, IndexesRunsAndDescendants) {
  State child = MakeState("c", "B", 0);
  child.parents = {{"a", "p"}};
  State grandchild = MakeState("gc", "C", 0);
  grandchild.parents = {{"a", "p"}, {"b", "c"}};
  ASSERT_OK(tables_.InsertState(MakeState("p", "A", 0)));
  ASSERT_OK(tables_.InsertState(child));
  ASSERT_OK(tables_.InsertState(grandchild));
  EXPECT_THAT(tables_.StateIdsOfRun("run"), ElementsAre("p", "c", "gc"));
  EXPECT_THAT(tables_.DescendantIds("p"), ElementsAre("c", "gc"));
  EXPECT_THAT(tables_.DescendantIds("c"), ElementsAre("gc"));
  EXPECT_THAT(tables_.StateIdsOfRun("missing"), IsEmpty());
}

TEST_F(TablesTest, RunsAreListedNewestFirst) {
  for (int i = 0; i < 3; ++i) {
    devserver::Run run;
    run.run_id = absl::StrCat("r", i);
    run.namespace_name = "ns";
    run.created_at = absl::FromUnixSeconds(i == 1 ? 100 : 50 + i);
    tables_.InsertRun(run);
  }
  std::vector<std::string> ids;
  for (const devserver::Run* run : tables_.RunsNewestFirst("ns")) ids.push_back(run->run_id);
  EXPECT_THAT(ids, ElementsAre("r1", "r2", "r0"));
  EXPECT_THAT(tables_.RunsNewestFirst("other"), IsEmpty());
}

TEST_F(TablesTest, NamespacesComeFromRegisteredNodesOnly) {
  RegisteredNode node;
  node.name = "A";
  node.namespace_name = "b-ns";
  tables_.PutNode(node);
  node.namespace_name = "a-ns";
  tables_.PutNode(node);
  node.name = "B";
  tables_.PutNode(node);
  GraphTemplate graph;
  graph.name = "g";
  graph.namespace_name = "graph-only";
  tables_.PutGraph(graph);
  EXPECT_THAT(tables_.NamespacesWithNodes(), ElementsAre("a-ns", "b-ns"));
  EXPECT_THAT(tables_.NodesInNamespace("a-ns"), SizeIs(2));
}

TEST_F(TablesTest, CronRecordsAreUniquePerSlot) {
  CronRecord record;
  record.id = "c1";
  record.expression = "* * * * *";
  record.graph_name = "g";
  record.namespace_name = "ns";
  record.trigger_time = absl::FromUnixSeconds(60);
  ASSERT_OK(tables_.InsertCronRecord(record));
  record.id = "c2";
  EXPECT_THAT(tables_.InsertCronRecord(record),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  tables_.DeleteCronRecord("c1");
  EXPECT_THAT(tables_.InsertCronRecord(record), IsOk());
}

TEST_F(TablesTest, TracksChangesForPersistence) {
  ASSERT_OK(tables_.InsertState(MakeState("s1", "A", 0)));
  tables_.PutStoreValue({"run", "ns", "g", "k", "v"});
  CronRecord record;
  record.id = "c1";
  ASSERT_OK(tables_.InsertCronRecord(record));
  PersistedDocuments changes = tables_.TakeChanges();
  ASSERT_THAT(changes.states, SizeIs(1));
  EXPECT_EQ(changes.states[0].seq, 1u);
  EXPECT_THAT(changes.store_entries, SizeIs(1));
  EXPECT_THAT(changes.cron_records, SizeIs(1));
  tables_.DeleteCronRecord("c1");
  changes = tables_.TakeChanges();
  EXPECT_THAT(changes.states, IsEmpty());
  EXPECT_THAT(changes.deleted_cron_record_ids, ElementsAre("c1"));
  EXPECT_TRUE(tables_.TakeChanges().empty());
}

TEST_F(TablesTest, LoadsPersistedDocumentsAndContinuesTheSequence) {
  PersistedDocuments documents;
  documents.states.push_back({MakeState("old", "A", 0), 41});
  devserver::Run run;
  run.run_id = "run";
  run.namespace_name = "ns";
  documents.runs.push_back({run, 7});
  Tables loaded(/*track_changes=*/true);
  ASSERT_OK(loaded.LoadFrom(std::move(documents)));
  ASSERT_OK(loaded.InsertState(MakeState("new", "A", 0)));
  EXPECT_EQ(loaded.TakeChanges().states[0].seq, 42u);
  EXPECT_THAT(loaded.ClaimStates("ns", {"A"}, 0, 10), UnorderedElementsAre("old", "new"));
}

}  // namespace
}  // namespace exosphere::devserver
