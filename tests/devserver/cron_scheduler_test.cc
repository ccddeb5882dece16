#include "devserver/cron_scheduler.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace exosphere::devserver {
namespace {

using ::testing::ElementsAre;

absl::Time Utc(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2025, 5, 1, hour, minute), absl::UTCTimeZone());
}

class CronSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *Store::Open(nullptr);
    runs_ = std::make_unique<RunService>(*store_, clock_);
    store_->Transact([](Tables& tables) {
      GraphTemplate graph;
      graph.id = "g1";
      graph.name = "g";
      graph.namespace_name = "ns";
      NodeTemplate root;
      root.node_name = "A";
      root.namespace_name = "ns";
      root.identifier = "a";
      graph.nodes = {root};
      graph.validation_status = ValidationStatus::kValid;
      graph.triggers = {CronTrigger{"*/5 * * * *"}};
      tables.PutGraph(graph);
      CronRecord record;
      record.id = "000000000000000000000001";
      record.expression = "*/5 * * * *";
      record.graph_name = "g";
      record.namespace_name = "ns";
      record.trigger_time = Utc(10, 5);
      tables.InsertCronRecord(record).IgnoreError();
    });
  }

  // (trigger time -> status) of every record.
  std::map<absl::Time, CronRecordStatus> Records() {
    return store_->Transact([](Tables& tables) {
      std::map<absl::Time, CronRecordStatus> records;
      for (const CronRecord* record : tables.CronRecords()) {
        records[record->trigger_time] = record->status;
      }
      return records;
    });
  }

  size_t RunCount() {
    return store_->Transact([](Tables& tables) { return tables.RunsNewestFirst("ns").size(); });
  }

  testing::FakeClock clock_{Utc(10, 0)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<RunService> runs_;
};

TEST_F(CronSchedulerTest, FiresDueRecordsAndSchedulesTheNextSlot) {
  CronScheduler cron(*store_, *runs_, clock_, absl::Minutes(1));
  EXPECT_EQ(cron.CheckDue(Utc(10, 4)), 0);
  EXPECT_EQ(RunCount(), 0u);
  EXPECT_EQ(cron.CheckDue(Utc(10, 5)), 1);
  EXPECT_EQ(RunCount(), 1u);
  EXPECT_THAT(Records(), ElementsAre(::testing::Pair(Utc(10, 5), CronRecordStatus::kTriggered),
                                     ::testing::Pair(Utc(10, 10), CronRecordStatus::kPending)));
}

TEST_F(CronSchedulerTest, MissedSlotsAreCaughtUpOneByOne) {
  CronScheduler cron(*store_, *runs_, clock_, absl::Minutes(1));
  EXPECT_EQ(cron.CheckDue(Utc(10, 22)), 4);  // 10:05, 10:10, 10:15, 10:20
  EXPECT_EQ(RunCount(), 4u);
  std::map<absl::Time, CronRecordStatus> records = Records();
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[Utc(10, 20)], CronRecordStatus::kTriggered);
  EXPECT_EQ(records[Utc(10, 25)], CronRecordStatus::kPending);
}

TEST_F(CronSchedulerTest, AFailedFiringIsRecordedAndTheScheduleContinues) {
  store_->Transact([](Tables& tables) {
    GraphTemplate graph = *tables.FindGraph("ns", "g");
    graph.store_config.required_keys = {"cursor"};
    tables.PutGraph(graph);
  });
  CronScheduler cron(*store_, *runs_, clock_, absl::Minutes(1));
  EXPECT_EQ(cron.CheckDue(Utc(10, 5)), 1);
  EXPECT_EQ(RunCount(), 0u);
  EXPECT_THAT(Records(), ElementsAre(::testing::Pair(Utc(10, 5), CronRecordStatus::kFailed),
                                     ::testing::Pair(Utc(10, 10), CronRecordStatus::kPending)));
}

TEST_F(CronSchedulerTest, FinishedRecordsExpireAfterTheRetentionPeriod) {
  CronScheduler cron(*store_, *runs_, clock_, absl::Minutes(1));
  cron.CheckDue(Utc(10, 5));
  ASSERT_EQ(Records().size(), 2u);
  // The 10:10 slot stays pending; only the fired record expires 720 hours later.
  store_->Transact([](Tables& tables) {
    for (const CronRecord* record : tables.CronRecords()) {
      if (record->status == CronRecordStatus::kPending) tables.DeleteCronRecord(record->id);
    }
  });
  cron.CheckDue(Utc(10, 5) + absl::Hours(720));
  EXPECT_TRUE(Records().empty());
}

TEST_F(CronSchedulerTest, TheThreadChecksAtIntervalBoundariesOfTheClock) {
  CronScheduler cron(*store_, *runs_, clock_, absl::Minutes(1));
  cron.Start();
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(absl::Minutes(5));
  // The scheduler thread fires on its own; wait (in real time, bounded) for the run to appear.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (RunCount() == 0 && absl::Now() < deadline) {
    ASSERT_TRUE(clock_.AwaitWaiters(1));
  }
  EXPECT_EQ(RunCount(), 1u);
  cron.Shutdown();
}

}  // namespace
}  // namespace exosphere::devserver
