#include "devserver/sqlite_persistence.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "devserver/store.h"
#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class SqlitePersistenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/devserver-sqlite-", getpid(), "-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    RemoveFiles();
  }
  void TearDown() override { RemoveFiles(); }

  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }

  std::string path_;
};

TEST_F(SqlitePersistenceTest, EverythingWrittenComesBack) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqlitePersistence> persistence,
                         SqlitePersistence::Open(path_));
    PersistedDocuments documents;
    RegisteredNode node;
    node.id = "n1";
    node.name = "A";
    node.namespace_name = "ns";
    node.inputs_schema = {{"properties", {{"x", {{"type", "string"}}}}}};
    node.secrets = {"token"};
    node.created_at = absl::FromUnixMillis(1700000000123);
    documents.nodes.push_back(node);
    GraphTemplate graph;
    graph.id = "g1";
    graph.name = "g";
    graph.namespace_name = "ns";
    NodeTemplate template_node;
    template_node.node_name = "A";
    template_node.namespace_name = "ns";
    template_node.identifier = "a";
    template_node.next_nodes = std::vector<std::string>{"b"};
    template_node.unites = Unites{"r", UnitesStrategy::kAllDone};
    graph.nodes = {template_node};
    graph.validation_status = ValidationStatus::kValid;
    graph.secrets = {{"token", "encoded"}};
    graph.retry_policy.max_delay = 9000;
    graph.retry_policy.strategy = RetryStrategy::kLinearFullJitter;
    graph.store_config.required_keys = {"k"};
    graph.store_config.default_values = {{"d", "1"}};
    graph.triggers = {CronTrigger{"*/5 * * * *"}};
    graph.generation = 3;
    documents.graphs.push_back(graph);
    State state;
    state.id = "s1";
    state.node_name = "A";
    state.status = StateStatus::kRetryCreated;
    state.outputs = {{"z", "1"}, {"a", "2"}};
    state.error = "boom";
    state.parents = {{"r", "s0"}, {"b", "s9"}};
    state.enqueue_after = 1700000000999;
    documents.states.push_back({state, 5});
    devserver::Run run;
    run.run_id = "r1";
    documents.runs.push_back({run, 2});
    documents.store_entries.push_back({"r1", "ns", "g", "k", "v"});
    CronRecord record;
    record.id = "c1";
    record.expression = "* * * * *";
    record.expires_at = absl::FromUnixSeconds(99);
    documents.cron_records.push_back(record);
    ASSERT_OK(persistence->Apply(documents));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqlitePersistence> reopened, SqlitePersistence::Open(path_));
  ASSERT_OK_AND_ASSIGN(PersistedDocuments loaded, reopened->Load());
  ASSERT_THAT(loaded.nodes, SizeIs(1));
  EXPECT_EQ(loaded.nodes[0].created_at, absl::FromUnixMillis(1700000000123));
  EXPECT_THAT(loaded.nodes[0].secrets, ElementsAre("token"));
  ASSERT_THAT(loaded.graphs, SizeIs(1));
  const GraphTemplate& graph = loaded.graphs[0];
  EXPECT_EQ(graph.validation_status, ValidationStatus::kValid);
  EXPECT_EQ(graph.nodes[0].unites->strategy, UnitesStrategy::kAllDone);
  EXPECT_EQ(*graph.retry_policy.max_delay, 9000);
  EXPECT_EQ(graph.retry_policy.strategy, RetryStrategy::kLinearFullJitter);
  EXPECT_EQ(graph.triggers[0].expression, "*/5 * * * *");
  EXPECT_EQ(graph.generation, 3);
  ASSERT_THAT(loaded.states, SizeIs(1));
  EXPECT_EQ(loaded.states[0].seq, 5u);
  EXPECT_EQ(DumpJson(loaded.states[0].state.outputs), R"({"z":"1","a":"2"})");
  EXPECT_EQ(loaded.states[0].state.parents.back().first, "b");
  EXPECT_EQ(*loaded.states[0].state.error, "boom");
  EXPECT_THAT(loaded.store_entries, SizeIs(1));
  ASSERT_THAT(loaded.cron_records, SizeIs(1));
  EXPECT_EQ(*loaded.cron_records[0].expires_at, absl::FromUnixSeconds(99));

  PersistedDocuments deletion;
  deletion.deleted_cron_record_ids = {"c1"};
  ASSERT_OK(reopened->Apply(deletion));
  ASSERT_OK_AND_ASSIGN(loaded, reopened->Load());
  EXPECT_THAT(loaded.cron_records, SizeIs(0));
}

TEST_F(SqlitePersistenceTest, StoreWritesThroughAndReloads) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqlitePersistence> persistence,
                         SqlitePersistence::Open(path_));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(std::move(persistence)));
    store->Transact([](Tables& tables) {
      State state;
      state.id = "s1";
      state.node_name = "A";
      state.namespace_name = "ns";
      state.fanout_id = "f";
      tables.InsertState(state).IgnoreError();
    });
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqlitePersistence> persistence,
                       SqlitePersistence::Open(path_));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(std::move(persistence)));
  const std::vector<std::string> claimed =
      store->Transact([](Tables& tables) { return tables.ClaimStates("ns", {"A"}, 0, 5); });
  EXPECT_THAT(claimed, ElementsAre("s1"));
}

TEST_F(SqlitePersistenceTest, UnopenableFileIsUnavailable) {
  EXPECT_THAT(SqlitePersistence::Open("/nonexistent-dir-for-devserver/x.db"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot open database")));
}

}  // namespace
}  // namespace exosphere::devserver
