#include "sidecar/operations/reporter.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_state_manager_client.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeClock;
using ::exosphere::testing::FakeStateManagerClient;
using ::testing::AllOf;
using ::testing::HasSubstr;

// What the REST client returns when the state is not QUEUED any more.
absl::Status NotQueued() {
  absl::Status status =
      absl::FailedPreconditionError("POST executed: HTTP 400: State is not queued");
  status.SetPayload(kStateNotQueuedPayload, absl::Cord());
  return status;
}

class ReporterTest : public ::testing::Test {
 protected:
  ReporterTest() {
    ReporterOptions options;
    options.initial_backoff = absl::Milliseconds(100);
    options.max_backoff = absl::Seconds(1);
    reporter_ = std::make_unique<Reporter>(
        client_, scheduler_, options,
        [this](const std::string&, const Report&) { delivered_callbacks_.fetch_add(1); });
  }
  ~ReporterTest() override {
    reporter_->Stop();
    scheduler_.Stop();
  }

  // Waits until a retry is scheduled (the scheduler thread then waits on the fake clock), moves
  // time on, and waits until what became due has been attempted.
  void AdvanceAndAwaitAttempts(absl::Duration duration, int attempts) {
    ASSERT_TRUE(clock_.AwaitWaiters(1));
    clock_.Advance(duration);
    scheduler_.WaitUntilIdle();
    ASSERT_TRUE(client_.AwaitReportAttempts(attempts));
  }

  FakeClock clock_;
  FakeStateManagerClient client_;
  Scheduler scheduler_{clock_};
  std::atomic<int> delivered_callbacks_{0};
  std::unique_ptr<Reporter> reporter_;
};

TEST_F(ReporterTest, DeliversEveryReportOnceWithItsNamespace) {
  for (int i = 0; i < 100; ++i) {
    reporter_->Submit("ns", Report::Executed(absl::StrCat("s", i), {{{"out", "x"}}}));
  }
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(client_.reports().size(), 100u);
  EXPECT_EQ(client_.reports()[0].ns, "ns");
  const ReporterStats stats = reporter_->Stats();
  EXPECT_EQ(stats.submitted, 100u);
  EXPECT_EQ(stats.delivered, 100u);
  EXPECT_EQ(stats.unsent, 0u);
  EXPECT_EQ(delivered_callbacks_.load(), 100);
}

TEST_F(ReporterTest, TransientFailuresAreRetriedWithCappedJitteredBackoff) {
  client_.SetReportHook([](const FakeStateManagerClient::SentReport& sent) {
    return sent.attempt <= 3 ? absl::UnavailableError("HTTP 503") : absl::OkStatus();
  });
  reporter_->Submit("ns", Report::Errored("s1", "boom"));
  ASSERT_TRUE(client_.AwaitReportAttempts(1));
  EXPECT_EQ(reporter_->unsent(), 1u);
  // Retry n waits between half and all of min(100ms * 2^(n-1), 1s).
  AdvanceAndAwaitAttempts(absl::Milliseconds(49), 1);
  EXPECT_EQ(client_.report_attempts(), 1);
  AdvanceAndAwaitAttempts(absl::Milliseconds(51), 2);
  AdvanceAndAwaitAttempts(absl::Milliseconds(200), 3);
  AdvanceAndAwaitAttempts(absl::Milliseconds(400), 4);
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(client_.reports().size(), 1u);
  EXPECT_EQ(reporter_->Stats().retries, 3u);
}

TEST_F(ReporterTest, RateLimitsTimeoutsGarbledRepliesAndRefusedKeysAreRetried) {
  const absl::Status failures[] = {
      absl::ResourceExhaustedError("HTTP 429"), absl::DeadlineExceededError("timeout"),
      absl::InternalError("not JSON"), absl::UnauthenticatedError("HTTP 401")};
  client_.SetReportHook([&](const FakeStateManagerClient::SentReport& sent) {
    return sent.attempt <= 4 ? failures[sent.attempt - 1] : absl::OkStatus();
  });
  reporter_->Submit("ns", Report::RequeueAfter("s1", 10));
  for (int attempt = 2; attempt <= 5; ++attempt) AdvanceAndAwaitAttempts(absl::Seconds(1), attempt);
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(reporter_->Stats().delivered, 1u);
}

TEST_F(ReporterTest, NotQueuedOnARetryMeansTheFirstAttemptLanded) {
  client_.SetReportHook([](const FakeStateManagerClient::SentReport& sent) {
    if (sent.attempt == 1)
      return absl::DeadlineExceededError("timeout after the server applied it");
    return NotQueued();
  });
  reporter_->Submit("ns", Report::Executed("s1", {}));
  ASSERT_TRUE(client_.AwaitReportAttempts(1));
  AdvanceAndAwaitAttempts(absl::Milliseconds(100), 2);
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  const ReporterStats stats = reporter_->Stats();
  EXPECT_EQ(stats.already_applied, 1u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_EQ(stats.unsent, 0u);
}

TEST_F(ReporterTest, NotQueuedAfterTheTransportResentTheFirstAttemptCountsAsAlreadyApplied) {
  // libcurl re-sends a request whose reused connection died before the answer: the first send
  // was applied, the second is refused.
  client_.SetReportHook([](const FakeStateManagerClient::SentReport&) {
    absl::Status refused = NotQueued();
    refused.SetPayload(kRequestResentPayload, absl::Cord());
    return refused;
  });
  reporter_->Submit("ns", Report::Executed("s1", {}));
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  const ReporterStats stats = reporter_->Stats();
  EXPECT_EQ(client_.report_attempts(), 1);
  EXPECT_EQ(stats.already_applied, 1u);
  EXPECT_EQ(stats.rejected, 0u);
}

TEST_F(ReporterTest, AStateThatIsNotQueuedOnTheFirstAttemptGetsNoOtherReport) {
  client_.SetReportHook([](const FakeStateManagerClient::SentReport&) { return NotQueued(); });
  reporter_->Submit("ns", Report::Executed("s1", {}));
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  clock_.Advance(absl::Minutes(1));
  scheduler_.WaitUntilIdle();
  EXPECT_EQ(client_.report_attempts(), 1);
  EXPECT_EQ(reporter_->Stats().rejected, 1u);
}

TEST_F(ReporterTest, ARefusedExecutedReportBecomesAnErroredReportThatSaysWhy) {
  client_.SetReportHook([](const FakeStateManagerClient::SentReport& sent) {
    if (sent.report.kind == Report::Kind::kExecuted) {
      return absl::InvalidArgumentError("POST executed: HTTP 413: Request body too large");
    }
    return absl::OkStatus();
  });
  reporter_->Submit("ns", Report::Executed("s1", {{{"out", "x"}}}));
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  ASSERT_EQ(client_.reports().size(), 1u);
  const Report sent = client_.reports()[0].report;
  EXPECT_EQ(sent.kind, Report::Kind::kErrored);
  EXPECT_EQ(sent.state_id, "s1");
  EXPECT_THAT(sent.error, AllOf(HasSubstr("refused its executed report"), HasSubstr("HTTP 413")));
  const ReporterStats stats = reporter_->Stats();
  EXPECT_EQ(stats.reported_errored_after_refusal, 1u);
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_EQ(stats.unsent, 0u);
}

TEST_F(ReporterTest, ARefusedLongErrorIsCutThenTheStateIsHandedBack) {
  client_.SetReportHook([](const FakeStateManagerClient::SentReport& sent) {
    if (sent.report.kind == Report::Kind::kErrored && sent.report.error.size() > 4096) {
      return absl::InvalidArgumentError("POST errored: HTTP 413: Request body too large");
    }
    if (sent.report.kind == Report::Kind::kErrored) {
      return absl::NotFoundError("POST errored: HTTP 404: Graph template not found");
    }
    return absl::OkStatus();
  });
  reporter_->Submit("ns", Report::Errored("s1", std::string(3 << 20, '\x01')));
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(client_.report_attempts(), 3);
  ASSERT_EQ(client_.reports().size(), 1u);
  EXPECT_EQ(client_.reports()[0].report.kind, Report::Kind::kRequeueAfter);
  EXPECT_EQ(client_.reports()[0].report.delay_ms, 1000);
  const ReporterStats stats = reporter_->Stats();
  EXPECT_EQ(stats.error_truncated_after_refusal, 1u);
  EXPECT_EQ(stats.handed_back_after_refusal, 1u);
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.unsent, 0u);
}

TEST_F(ReporterTest, WhenEvenTheHandBackIsRefusedTheReportIsSettledAsRejected) {
  client_.SetReportHook([](const FakeStateManagerClient::SentReport&) {
    return absl::NotFoundError("HTTP 404: State not found");
  });
  reporter_->Submit("ns", Report::Pruned("s1", json::Json::object()));
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  // prune, then errored, then the hand-back: nothing else, and nothing left unsent.
  EXPECT_EQ(client_.report_attempts(), 3);
  const ReporterStats stats = reporter_->Stats();
  EXPECT_EQ(stats.reported_errored_after_refusal, 1u);
  EXPECT_EQ(stats.handed_back_after_refusal, 1u);
  EXPECT_EQ(stats.rejected, 1u);
  EXPECT_EQ(stats.unsent, 0u);
}

TEST_F(ReporterTest, OneSlowReportDoesNotHoldUpTheOthers) {
  absl::Notification release;
  client_.SetReportHook([&](const FakeStateManagerClient::SentReport& sent) {
    if (sent.report.state_id == "slow") release.WaitForNotification();
    return absl::OkStatus();
  });
  reporter_->Submit("ns", Report::Executed("slow", {}));
  for (int i = 0; i < 20; ++i) reporter_->Submit("ns", Report::Executed(absl::StrCat("s", i), {}));
  ASSERT_TRUE(reporter_->AwaitUnsentAtMost(1, absl::InfiniteFuture()));
  EXPECT_EQ(client_.reports().size(), 20u);
  release.Notify();
  ASSERT_TRUE(reporter_->AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(client_.reports().size(), 21u);
}

// Holds every report attempt while closed.
class Gate {
 public:
  void Set(bool open) {
    absl::MutexLock lock(&mu_);
    open_ = open;
  }
  void Pass() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&open_));
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

TEST_F(ReporterTest, TheDrainedCallbackRunsOnceEachTimeTheBacklogFallsBelowTheLimit) {
  Gate gate;
  client_.SetReportHook([&](const FakeStateManagerClient::SentReport&) {
    gate.Pass();
    return absl::OkStatus();
  });
  ReporterOptions options;
  options.unsent_limit = 3;
  std::atomic<int> drained{0};
  std::atomic<uint64_t> unsent_when_drained{0};
  Reporter* self = nullptr;
  Reporter reporter(client_, scheduler_, options, nullptr, [&] {
    unsent_when_drained = self->unsent();  // would deadlock under the reporter's lock
    drained.fetch_add(1);
  });
  self = &reporter;
  for (int i = 0; i < 6; ++i) reporter.Submit("ns", Report::Executed(absl::StrCat("s", i), {}));
  gate.Set(true);
  ASSERT_TRUE(reporter.AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(drained.load(), 1);  // 6 -> 0 crosses the limit once
  EXPECT_LE(unsent_when_drained.load(), 2u);

  // Below the limit all along: no call.
  reporter.Submit("ns", Report::Executed("s6", {}));
  ASSERT_TRUE(reporter.AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(drained.load(), 1);

  // At the limit again: one more.
  gate.Set(false);
  for (int i = 7; i < 10; ++i) reporter.Submit("ns", Report::Executed(absl::StrCat("s", i), {}));
  gate.Set(true);
  ASSERT_TRUE(reporter.AwaitIdle(absl::InfiniteFuture()));
  EXPECT_EQ(drained.load(), 2);
}

TEST_F(ReporterTest, StopLeavesUndeliveredReportsUnsentInsteadOfDroppingThemSilently) {
  client_.SetReportHook(
      [](const FakeStateManagerClient::SentReport&) { return absl::UnavailableError("down"); });
  reporter_->Submit("ns", Report::Executed("s1", {}));
  ASSERT_TRUE(client_.AwaitReportAttempts(1));
  reporter_->Stop();
  EXPECT_FALSE(reporter_->AwaitIdle(clock_.Now()));
  EXPECT_EQ(reporter_->unsent(), 1u);
}

}  // namespace
}  // namespace exosphere::sidecar
