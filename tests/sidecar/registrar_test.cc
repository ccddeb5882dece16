#include "sidecar/operations/registrar.h"

#include <atomic>
#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_state_manager_client.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeClock;
using ::exosphere::testing::FakeStateManagerClient;
using ::testing::HasSubstr;

RegistrationRequest Request(uint64_t generation, std::vector<std::string> names) {
  RegistrationRequest request;
  request.ns = "ns";
  request.runtime_name = "rt";
  request.generation = generation;
  for (const std::string& name : names) {
    request.nodes.push_back({name, json::Json::object(), json::Json::object(), {}});
  }
  return request;
}

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() {
    RegistrarOptions options;
    options.initial_backoff = absl::Milliseconds(500);
    options.max_backoff = absl::Seconds(30);
    registrar_ = std::make_unique<Registrar>(client_, pool_, scheduler_, options,
                                             [this](const RegistrationOutcome& outcome) {
                                               absl::MutexLock lock(&mu_);
                                               outcomes_.push_back(outcome);
                                             });
  }
  ~RegistrarTest() override { scheduler_.Stop(); }

  bool AwaitOutcomes(size_t count) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outcomes_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
  }
  std::vector<RegistrationOutcome> outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }

  FakeClock clock_;
  FakeStateManagerClient client_;
  Scheduler scheduler_{clock_};
  ThreadPool pool_{2};
  absl::Mutex mu_;
  std::vector<RegistrationOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Registrar> registrar_;
};

TEST_F(RegistrarTest, RegistersTheNodeSetAndReportsTheOutcome) {
  registrar_->Request(Request(1, {"a", "b"}));
  ASSERT_TRUE(AwaitOutcomes(1));
  ASSERT_EQ(client_.registrations().size(), 1u);
  EXPECT_EQ(client_.registrations()[0].runtime_name, "rt");
  EXPECT_EQ(client_.registrations()[0].nodes.size(), 2u);
  EXPECT_TRUE(outcomes()[0].status.ok());
  EXPECT_EQ(outcomes()[0].generation, 1u);
}

TEST_F(RegistrarTest, ARefusalForGoodIsReportedOnceAndNotRetried) {
  std::atomic<int> refused{0};
  client_.SetRegisterHook([&](const FakeStateManagerClient::Registration& registration) {
    if (registration.nodes.size() > 1) {
      ++refused;
      return absl::InvalidArgumentError("PUT /nodes/: HTTP 422: nesting too deep");
    }
    return absl::OkStatus();
  });
  registrar_->Request(Request(1, {"a", "deep"}));
  ASSERT_TRUE(AwaitOutcomes(1));
  EXPECT_EQ(outcomes()[0].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcomes()[0].retry_in, absl::ZeroDuration());
  // No retry is scheduled: time passing sends nothing more.
  EXPECT_EQ(scheduler_.pending(), 0u);
  clock_.Advance(absl::Minutes(5));
  scheduler_.WaitUntilIdle();
  EXPECT_EQ(refused.load(), 1);
  // The next request (without the refused node) is attempted at once.
  registrar_->Request(Request(2, {"a"}));
  ASSERT_TRUE(AwaitOutcomes(2));
  EXPECT_TRUE(outcomes()[1].status.ok());
  EXPECT_EQ(outcomes()[1].generation, 2u);
  EXPECT_EQ(client_.registrations().size(), 1u);
}

TEST_F(RegistrarTest, FailuresAreRetriedWithBackoffAndEachOneIsReported) {
  client_.SetRegisterHook([](const FakeStateManagerClient::Registration&) {
    return absl::UnavailableError("PUT /nodes/: HTTP 503");
  });
  registrar_->Request(Request(1, {"a"}));
  ASSERT_TRUE(AwaitOutcomes(1));
  const RegistrationOutcome first = outcomes()[0];
  EXPECT_THAT(std::string(first.status.message()), HasSubstr("503"));
  EXPECT_GE(first.retry_in, absl::Milliseconds(250));
  EXPECT_LE(first.retry_in, absl::Milliseconds(500));
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  client_.SetRegisterHook(nullptr);
  clock_.Advance(absl::Milliseconds(500));
  ASSERT_TRUE(AwaitOutcomes(2));
  EXPECT_TRUE(outcomes()[1].status.ok());
  EXPECT_EQ(client_.registrations().size(), 1u);
}

TEST_F(RegistrarTest, RequestsDuringAnAttemptCollapseIntoTheNewestSet) {
  absl::Notification started;
  absl::Notification release;
  client_.SetRegisterHook([&](const FakeStateManagerClient::Registration& registration) {
    if (registration.nodes.size() == 1) {
      started.Notify();
      release.WaitForNotification();
    }
    return absl::OkStatus();
  });
  registrar_->Request(Request(1, {"a"}));
  started.WaitForNotification();
  registrar_->Request(Request(2, {"a", "b"}));
  registrar_->Request(Request(3, {"a", "b", "c"}));
  release.Notify();
  ASSERT_TRUE(AwaitOutcomes(2));
  const auto registrations = client_.registrations();
  ASSERT_EQ(registrations.size(), 2u);
  EXPECT_EQ(registrations[1].nodes.size(), 3u);
  EXPECT_EQ(outcomes()[1].generation, 3u);
}

}  // namespace
}  // namespace exosphere::sidecar
