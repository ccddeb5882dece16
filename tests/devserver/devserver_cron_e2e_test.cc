// End-to-end: cron triggers fire on schedule (contract 4.12), once for real against the binary
// and once in-process over real HTTP with a hand-advanced clock.

#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "devserver/devserver.h"
#include "tests/devserver/devserver_e2e_fixture.h"
#include "tests/fakes/fake_clock.h"

namespace exosphere::devserver::testing {
namespace {

Json CronGraph(const std::string& expression) {
  return GraphJson(Json::array({NodeJson("Tick", "tick", {{"when", "${{ store.when }}"}})}),
                   {{"triggers", {{{"type", "CRON"}, {"value", {{"expression", expression}}}}}},
                    {"store_config", {{"default_values", {{"when", "scheduled"}}}}}});
}

int64_t RunTotal(DevserverClient& client) {
  return client.Get(client.Path("/runs/1/0")).body["total"].get<int64_t>();
}

class RealCronE2eTest : public DevserverE2eTest {
 protected:
  std::vector<std::string> ExtraArgs() const override {
    return {"--cron-check-interval-ms", "500"};
  }
};

TEST_F(RealCronE2eTest, AnEveryMinuteTriggerFiresAtTheNextMinuteBoundary) {
  DeployGraph("ticker", {{"Tick", {"when"}, {}, {}}}, CronGraph("* * * * *"));
  EXPECT_EQ(RunTotal(*client_), 0);
  // The first firing is the next minute boundary after verification: at most ~61 s away.
  Json claimed = client_->AwaitClaims({"Tick"}, 1, absl::Seconds(70));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0]["inputs"]["when"], "scheduled");
  const absl::Time now = absl::Now();
  const absl::CivilSecond civil = absl::ToCivilSecond(now, absl::UTCTimeZone());
  // Fired within a few seconds after the boundary (check interval 0.5 s).
  EXPECT_LT(civil.second(), 10) << absl::FormatTime(now);
  EXPECT_EQ(RunTotal(*client_), 1);
}

// The Devserver library with a FakeClock, serving real HTTP on a free port.
class FakeClockCronTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DevserverOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.api_key = "fake-clock-key";
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Devserver>> server = Devserver::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<DevserverClient>("127.0.0.1", server_->port(), "fake-clock-key");
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  // Runs appear on the cron thread after the clock moved; poll (bounded) until `count` exist.
  int64_t AwaitRunTotal(int64_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    int64_t total = RunTotal(*client_);
    while (total < count && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
      total = RunTotal(*client_);
    }
    return total;
  }

  exosphere::testing::FakeClock clock_{
      absl::FromCivil(absl::CivilSecond(2025, 6, 1, 12, 0, 30), absl::UTCTimeZone())};
  std::unique_ptr<Devserver> server_;
  std::unique_ptr<DevserverClient> client_;
};

TEST_F(FakeClockCronTest, FiresOnScheduleAndCatchesUpMissedSlotsOneByOne) {
  ASSERT_EQ(server_->base_url(), "http://127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_EQ(client_->RegisterNodes({{"Tick", {"when"}, {}, {}}}).status, 200);
  ASSERT_EQ(client_->UpsertGraph("ticker", CronGraph("*/5 * * * *")).status, 201);
  ASSERT_EQ(client_->AwaitValidation("ticker")["validation_status"], "VALID");
  EXPECT_EQ(RunTotal(*client_), 0);

  // 12:05 is the first slot (early firing is covered by cron_scheduler_test). The clock only
  // moves once the cron thread waits on it: a jump during a check would leave the missed slots
  // for the next boundary, which a fake clock never reaches by itself.
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(AwaitRunTotal(1), 1);

  // Half an hour passes in one step: 12:10 .. 12:35 fire one by one.
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(AwaitRunTotal(7), 7);
  Json claimed = client_->AwaitClaims({"Tick"}, 7);
  ASSERT_EQ(claimed.size(), 7u);
  EXPECT_EQ(claimed[0]["inputs"]["when"], "scheduled");
}

}  // namespace
}  // namespace exosphere::devserver::testing
