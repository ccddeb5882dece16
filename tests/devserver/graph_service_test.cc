#include "devserver/graph_service.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

UpsertGraphRequest SingleNode(std::vector<CronTrigger> triggers) {
  UpsertGraphRequest request;
  NodeTemplate node;
  node.node_name = "A";
  node.namespace_name = "ns";
  node.identifier = "a";
  request.nodes = {node};
  request.triggers = std::move(triggers);
  request.secrets = {{"token", "plain"}};
  return request;
}

// Verification is delayed by an hour of fake time, so only the synchronous part of an upsert
// runs unless the test advances the clock.
class GraphServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *Store::Open(nullptr);
    tasks_ = std::make_unique<TaskRunner>(clock_, 1);
    service_ = std::make_unique<GraphService>(*store_, *tasks_, clock_, cipher_, absl::Hours(1));
  }
  void TearDown() override { tasks_->Shutdown(); }

  void AddCronRecord(const std::string& id, const std::string& ns, const std::string& expression,
                     CronRecordStatus status = CronRecordStatus::kPending) {
    store_->Transact([&](Tables& tables) {
      CronRecord record;
      record.id = id;
      record.expression = expression;
      record.graph_name = "g";
      record.namespace_name = ns;
      record.trigger_time = clock_.Now() + absl::Minutes(++records_);
      record.status = status;
      tables.InsertCronRecord(record).IgnoreError();
    });
  }

  std::vector<std::string> CronRecordIds() {
    return store_->Transact([](Tables& tables) {
      std::vector<std::string> ids;
      for (const CronRecord* record : tables.CronRecords()) ids.push_back(record->id);
      return ids;
    });
  }

  exosphere::testing::FakeClock clock_;
  const SecretCipher cipher_ = *SecretCipher::FromKey(*SecretCipher::GenerateKey());
  std::unique_ptr<Store> store_;
  std::unique_ptr<TaskRunner> tasks_;
  std::unique_ptr<GraphService> service_;
  int records_ = 0;
};

TEST_F(GraphServiceTest, UpsertStoresAPendingTemplateWithEncryptedSecrets) {
  ASSERT_OK_AND_ASSIGN(Json response, service_->UpsertGraph("ns", "g", SingleNode({})));
  EXPECT_EQ(response["validation_status"], "PENDING");
  store_->Transact([this](Tables& tables) {
    const GraphTemplate* graph = tables.FindGraph("ns", "g");
    ASSERT_NE(graph, nullptr);
    EXPECT_EQ(graph->generation, 1);
    ASSERT_EQ(graph->secrets.size(), 1u);
    EXPECT_NE(graph->secrets[0].second, "plain");
    absl::StatusOr<std::string> decrypted = cipher_.Decrypt(graph->secrets[0].second);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status();
    EXPECT_EQ(*decrypted, "plain");
  });
}

TEST_F(GraphServiceTest, ReUpsertDropsPendingFiringsOfTheOldExpressionsInEveryNamespace) {
  ASSERT_OK(service_->UpsertGraph("ns", "g", SingleNode({CronTrigger{"*/5 * * * *"}})).status());
  AddCronRecord("pending-here", "ns", "*/5 * * * *");
  AddCronRecord("pending-elsewhere", "other", "*/5 * * * *");
  AddCronRecord("other-expression", "ns", "0 * * * *");
  AddCronRecord("already-fired", "ns", "*/5 * * * *", CronRecordStatus::kTriggered);
  ASSERT_OK(service_->UpsertGraph("ns", "g", SingleNode({})).status());
  EXPECT_THAT(CronRecordIds(), ElementsAre("already-fired", "other-expression"));
}

TEST_F(GraphServiceTest, VerificationRunsAfterTheDelayAndCreatesTheFirstFiring) {
  ASSERT_OK(service_->UpsertGraph("ns", "g", SingleNode({CronTrigger{"*/5 * * * *"}})).status());
  store_->Transact([](Tables& tables) {
    RegisteredNode node;
    node.name = "A";
    node.namespace_name = "ns";
    tables.PutNode(node);
  });
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(absl::Hours(1));
  tasks_->Shutdown();  // runs the verification that just became due
  store_->Transact([&](Tables& tables) {
    EXPECT_EQ(tables.FindGraph("ns", "g")->validation_status, ValidationStatus::kValid);
    ASSERT_EQ(tables.CronRecords().size(), 1u);
    EXPECT_GT(tables.CronRecords()[0]->trigger_time, clock_.Now());
  });
}

TEST_F(GraphServiceTest, AnOlderVerificationDoesNotOverwriteANewerUpsert) {
  ASSERT_OK(service_->UpsertGraph("ns", "g", SingleNode({})).status());
  clock_.Advance(absl::Minutes(30));
  ASSERT_OK(service_->UpsertGraph("ns", "g", SingleNode({})).status());
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  // The first verification is due, the second is not: the template must stay PENDING.
  clock_.Advance(absl::Minutes(30));
  tasks_->Shutdown();
  store_->Transact([](Tables& tables) {
    EXPECT_EQ(tables.FindGraph("ns", "g")->validation_status, ValidationStatus::kPending);
    EXPECT_EQ(tables.FindGraph("ns", "g")->generation, 2);
  });
}

TEST_F(GraphServiceTest, AMalformedRegisteredSchemaMakesTheGraphInvalidWithTheUnexpectedPrefix) {
  store_->Transact([](Tables& tables) {
    RegisteredNode node;
    node.name = "A";
    node.namespace_name = "ns";
    node.inputs_schema = {{"properties", "not an object"}};
    tables.PutNode(node);
  });
  ASSERT_OK(service_->UpsertGraph("ns", "g", SingleNode({})).status());
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(absl::Hours(1));
  tasks_->Shutdown();
  ASSERT_OK_AND_ASSIGN(Json graph, service_->GetGraph("ns", "g"));
  EXPECT_EQ(graph["validation_status"], "INVALID");
  ASSERT_EQ(graph["validation_errors"].size(), 1u);
  EXPECT_THAT(graph["validation_errors"][0].get<std::string>(),
              ::testing::StartsWith("Validation failed due to unexpected error: "));
}

TEST_F(GraphServiceTest, GetGraphNotFound) {
  EXPECT_THAT(service_->GetGraph("ns", "nope"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("Graph template nope not found in namespace ns")));
}

}  // namespace
}  // namespace exosphere::devserver
