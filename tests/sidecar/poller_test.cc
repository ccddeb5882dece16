#include "sidecar/operations/poller.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/log.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_state_manager_client.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeClock;
using ::exosphere::testing::FakeStateManagerClient;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Free capacity per node group, consumed by dispatched states like the router's slots.
class FakeClaimTarget final : public ClaimTarget {
 public:
  void SetGroups(std::vector<PollGroup> groups) {
    absl::MutexLock lock(&mu_);
    groups_ = std::move(groups);
  }
  std::vector<PollGroup> PlanPolls(absl::string_view) const override {
    absl::MutexLock lock(&mu_);
    std::vector<PollGroup> plan;
    for (const PollGroup& group : groups_) {
      if (group.capacity > 0) plan.push_back(group);
    }
    return plan;
  }
  // Runs after each Dispatch with the number of states, no lock held.
  void SetOnDispatch(std::function<void(size_t)> hook) {
    absl::MutexLock lock(&mu_);
    on_dispatch_ = std::move(hook);
  }
  void Dispatch(absl::string_view, std::vector<ClaimedState> states, absl::Time) override {
    std::function<void(size_t)> hook;
    {
      absl::MutexLock lock(&mu_);
      hook = on_dispatch_;
    }
    if (hook) hook(states.size());
    absl::MutexLock lock(&mu_);
    for (const ClaimedState& state : states) {
      dispatched_.push_back(state.state_id);
      for (PollGroup& group : groups_) {
        for (const std::string& node : group.node_names) {
          if (node == state.node_name) --group.capacity;
        }
      }
    }
  }
  std::vector<std::string> dispatched() const {
    absl::MutexLock lock(&mu_);
    return dispatched_;
  }

 private:
  mutable absl::Mutex mu_;
  std::function<void(size_t)> on_dispatch_ ABSL_GUARDED_BY(mu_);
  std::vector<PollGroup> groups_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> dispatched_ ABSL_GUARDED_BY(mu_);
};

ClaimedState State(const std::string& id, const std::string& node) {
  ClaimedState state;
  state.state_id = id;
  state.node_name = node;
  state.inputs = json::Json::object();
  return state;
}

class PollerTest : public ::testing::Test {
 protected:
  PollerTest() {
    options_.poll_interval = absl::Seconds(1);
    options_.min_poll_delay = absl::Milliseconds(50);
    options_.max_batch = 16;
    options_.error_backoff_initial = absl::Milliseconds(200);
    options_.error_backoff_max = absl::Seconds(5);
    options_.max_unsent_reports = 100;
    options_.busy_window = absl::Seconds(30);
    options_.busy_poll_interval = absl::Milliseconds(100);
  }

  void StartPoller() {
    poller_ = std::make_unique<Poller>("ns", target_, client_, clock_, options_,
                                       [this] { return unsent_.load(); });
  }

  void AddStates(int count, const std::string& node = "echo") {
    for (int i = 0; i < count; ++i) {
      client_.AddClaimable("ns", State(absl::StrCat(node, next_++), node));
    }
  }

  // The poller is parked on the fake clock (a timed wait) once it has nothing else to do.
  void AwaitParked() { ASSERT_TRUE(clock_.AwaitWaiters(1)); }

  // Moves the fake time on by `total` in steps of `step`, letting the poller claim as its waits
  // end; returns how many claims it sent meanwhile.
  int AdvanceInSteps(absl::Duration total, absl::Duration step) {
    const size_t before = client_.claim_calls().size();
    for (absl::Duration done = absl::ZeroDuration(); done < total; done += step) {
      AwaitParked();
      clock_.Advance(step);
    }
    AwaitParked();
    return static_cast<int>(client_.claim_calls().size() - before);
  }

  // The claim calls so far.
  size_t Claims() { return client_.claim_calls().size(); }

  std::vector<int> Batches() {
    std::vector<int> batches;
    for (const auto& call : client_.claim_calls()) batches.push_back(call.batch_size);
    return batches;
  }

  PollerOptions options_;
  FakeClock clock_;
  FakeStateManagerClient client_;
  FakeClaimTarget target_;
  std::atomic<uint64_t> unsent_{0};
  int next_ = 0;
  std::unique_ptr<Poller> poller_;
};

TEST_F(PollerTest, ClaimsOnlyFreeCapacityCappedByTheBatchAndRepeatsWhileFull) {
  AddStates(100);
  target_.SetGroups({{{"echo"}, 40}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(3));
  AwaitParked();
  // Capacity is used up: the poller waits for slots without claiming or timing out.
  clock_.Advance(absl::Hours(1));
  AwaitParked();
  EXPECT_THAT(Batches(), ElementsAre(16, 16, 8));
  EXPECT_EQ(target_.dispatched().size(), 40u);
  EXPECT_EQ(client_.claim_calls()[0].node_names, std::vector<std::string>{"echo"});

  target_.SetGroups({{{"echo"}, 5}});
  poller_->OnCapacity();
  ASSERT_TRUE(client_.AwaitClaimCalls(4));
  AwaitParked();
  EXPECT_EQ(Batches().back(), 5);
  const PollerStats stats = poller_->Stats();
  EXPECT_EQ(stats.full, 4u);
  EXPECT_EQ(stats.claimed, 45u);
}

TEST_F(PollerTest, EmptyPollsBackOffUpToThePollInterval) {
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  // Waits after empty polls: [25,50], [50,100], [100,200], [200,400], [400,800], then at the
  // interval: [1000,1200], so that an idle sidecar claims at most once a second.
  const int floors_ms[] = {25, 50, 100, 200, 400, 1000, 1000};
  const int ceilings_ms[] = {50, 100, 200, 400, 800, 1200, 1200};
  for (int i = 0; i < 7; ++i) {
    AwaitParked();
    clock_.Advance(absl::Milliseconds(floors_ms[i] - 1));
    AwaitParked();
    EXPECT_EQ(client_.claim_calls().size(), static_cast<size_t>(i + 1)) << "wait " << i;
    clock_.Advance(absl::Milliseconds(ceilings_ms[i] - floors_ms[i] + 1));
    ASSERT_TRUE(client_.AwaitClaimCalls(i + 2)) << "wait " << i;
  }
  AwaitParked();
  EXPECT_EQ(poller_->Stats().empty, 8u);
}

TEST_F(PollerTest, ARoundThatFindsStatesPollsAgainAfterMinPollDelay) {
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  // Empty rounds: levels 50, 100, 200, 400 ms (waits of at most the level).
  for (int i = 0; i < 3; ++i) {
    AwaitParked();
    clock_.Advance(absl::Milliseconds(50 << i));
    ASSERT_TRUE(client_.AwaitClaimCalls(i + 2));
  }
  AwaitParked();
  AddStates(1);
  clock_.Advance(absl::Milliseconds(400));  // level 400: the fourth wait is over
  ASSERT_TRUE(client_.AwaitClaimCalls(5));
  // The server ran dry after one state: more are likely soon, so the next claim comes after
  // min_poll_delay, and an empty one then opens the busy window: [50, 100] ms, not back to the
  // lowest level.
  AwaitParked();
  clock_.Advance(absl::Milliseconds(49));
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 5u);
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(client_.AwaitClaimCalls(6));
  AwaitParked();
  clock_.Advance(absl::Milliseconds(49));
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 6u);
  clock_.Advance(absl::Milliseconds(51));
  ASSERT_TRUE(client_.AwaitClaimCalls(7));
  AwaitParked();
  EXPECT_EQ(target_.dispatched().size(), 1u);
}

TEST_F(PollerTest, LikelyWorkCutsASlowWaitShortOnce) {
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  for (int i = 0; i < 5; ++i) {
    AwaitParked();
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(client_.AwaitClaimCalls(i + 2));
  }
  // Idle at the interval: a hint (a run triggered through the sidecar) claims at once.
  AddStates(4);
  poller_->OnLikelyWork();
  ASSERT_TRUE(client_.AwaitClaimCalls(7));
  AwaitParked();
  EXPECT_EQ(target_.dispatched().size(), 4u);
  // A hinted claim is outside the pacing, and another hint does not cut the next wait short, or
  // every executed report would buy its sidecar a claim and the sidecars that happen to have
  // work would take all of it. This one found states: the next claim comes after
  // min_poll_delay, not at the end of the 1 s wait it cut short.
  poller_->OnLikelyWork();
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 7u);
  clock_.Advance(absl::Milliseconds(49));
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 7u);
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(client_.AwaitClaimCalls(8));
}

TEST_F(PollerTest, WithoutABusyWindowAHintThatFindsNothingResumesTheWaitItCutShort) {
  options_.busy_window = absl::ZeroDuration();
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();  // level 50: hints do not wake so short a wait
  poller_->OnLikelyWork();
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 1u);
  clock_.Advance(absl::Milliseconds(50));
  ASSERT_TRUE(client_.AwaitClaimCalls(2));
  AwaitParked();  // level 100: a wait in [50, 100] ms
  // Every executed report hints at work; most create nothing. The hinted claim comes back empty,
  // and the poller goes back to the wait it was in, deaf to more hints until it ends...
  poller_->OnLikelyWork();
  ASSERT_TRUE(client_.AwaitClaimCalls(3));
  AwaitParked();
  poller_->OnLikelyWork();
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 3u);
  // ...instead of backing off further ([100, 200] ms) as after an empty poll of its own.
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(client_.AwaitClaimCalls(4));
  AwaitParked();
  EXPECT_EQ(poller_->Stats().empty, 4u);
}

TEST_F(PollerTest, AHintOpensTheBusyWindowAndTheHintedClaimEndsNoLaterThanTheWaitItCut) {
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  // Idle for a minute: at the interval.
  AdvanceInSteps(absl::Seconds(60), absl::Milliseconds(100));
  // A run was triggered here (or this sidecar's report created states): claim at once. The
  // hinted claim finds nothing (the state is not ready yet), and hints do not cut the next wait
  // short, but the namespace is busy now: that wait is [50, 100] ms, not the rest of the second.
  const size_t hinted = Claims() + 1;
  poller_->OnLikelyWork();
  ASSERT_TRUE(client_.AwaitClaimCalls(hinted));
  AwaitParked();
  poller_->OnLikelyWork();
  AwaitParked();
  EXPECT_EQ(Claims(), hinted);
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(client_.AwaitClaimCalls(hinted + 1));
  // And the window stays open for busy_window after the hint: one claim per 100 ms step.
  EXPECT_EQ(AdvanceInSteps(absl::Seconds(29), absl::Milliseconds(100)), 290);
  AddStates(1);
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(client_.AwaitClaimCalls(hinted + 292));
  AwaitParked();
  EXPECT_EQ(target_.dispatched().size(), 1u);
}

TEST_F(PollerTest, EmptyRoundsInsideTheBusyWindowWaitTheBusyIntervalThenBackOff) {
  AddStates(1);
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  clock_.Advance(absl::Milliseconds(50));  // min_poll_delay after a round that claimed
  ASSERT_TRUE(client_.AwaitClaimCalls(2));
  // Empty rounds while the last claimed state is less than 30 s old: each wait in [50, 100] ms,
  // however many there are (no doubling).
  for (int i = 0; i < 20; ++i) {
    AwaitParked();
    clock_.Advance(absl::Milliseconds(49));
    AwaitParked();
    ASSERT_EQ(Claims(), static_cast<size_t>(i + 2)) << "wait " << i;
    clock_.Advance(absl::Milliseconds(51));
    ASSERT_TRUE(client_.AwaitClaimCalls(i + 3)) << "wait " << i;
  }
  // 2.05 s after the claim; step through the rest of the window, one claim per 100 ms (the last,
  // 30.05 s after the claim, is the first outside the window).
  EXPECT_EQ(AdvanceInSteps(absl::Milliseconds(28'000), absl::Milliseconds(100)), 280);
  // The window closed (30 s after the claim): the level doubles from the busy interval up to the
  // poll interval: [100, 200], [200, 400], [400, 800], then [1000, 1200] ms.
  const int floors_ms[] = {100, 200, 400, 1000, 1000};
  const int ceilings_ms[] = {200, 400, 800, 1200, 1200};
  size_t claims = Claims();
  for (int i = 0; i < 5; ++i) {
    AwaitParked();
    clock_.Advance(absl::Milliseconds(floors_ms[i] - 1));
    AwaitParked();
    EXPECT_EQ(Claims(), claims) << "wait " << i;
    clock_.Advance(absl::Milliseconds(ceilings_ms[i] - floors_ms[i] + 1));
    ASSERT_TRUE(client_.AwaitClaimCalls(++claims)) << "wait " << i;
  }
}

TEST_F(PollerTest, AClaimedStateRestartsTheBusyWindow) {
  options_.busy_window = absl::Seconds(2);
  AddStates(1);
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  // 1.5 s into the window a state is claimed: the window now ends 2 s after that claim.
  EXPECT_EQ(AdvanceInSteps(absl::Milliseconds(1'400), absl::Milliseconds(100)), 14);
  AddStates(1);
  EXPECT_EQ(AdvanceInSteps(absl::Milliseconds(100), absl::Milliseconds(100)), 1);
  EXPECT_EQ(target_.dispatched().size(), 2u);
  // 3 s after the first claim, 1.5 s after the second: still one claim per 100 ms.
  EXPECT_EQ(AdvanceInSteps(absl::Milliseconds(1'500), absl::Milliseconds(100)), 15);
  // Then the window closes (3.5 s) and the waits back off: [100, 200] ms, then [200, 400] ms.
  EXPECT_LE(AdvanceInSteps(absl::Seconds(1), absl::Milliseconds(100)), 7);
}

TEST_F(PollerTest, AfterAMinuteIdleItClaimsAtMostOncePerSecond) {
  AddStates(3);
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  EXPECT_EQ(target_.dispatched().size(), 3u);
  // The busy window costs up to 10 claims a second for its 30 s...
  const int in_window = AdvanceInSteps(absl::Seconds(30), absl::Milliseconds(100));
  EXPECT_GE(in_window, 299);
  EXPECT_LE(in_window, 300);
  // ...then the waits grow back to the interval, and after a minute of nothing the sidecar sends
  // at most one claim per second (waits of 1 to 1.2 s).
  AdvanceInSteps(absl::Seconds(30), absl::Milliseconds(100));
  const int idle = AdvanceInSteps(absl::Seconds(30), absl::Milliseconds(100));
  EXPECT_GE(idle, 24);
  EXPECT_LE(idle, 30);
}

TEST_F(PollerTest, FailedPollsBackOffWithJitterAndIgnoreWakeups) {
  client_.SetClaimHook([](const FakeStateManagerClient::ClaimCall&) {
    return absl::UnavailableError("connection refused");
  });
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  poller_->OnLikelyWork();
  poller_->OnCapacity();
  clock_.Advance(absl::Milliseconds(99));
  AwaitParked();
  EXPECT_EQ(client_.claim_calls().size(), 1u);
  clock_.Advance(absl::Milliseconds(101));
  ASSERT_TRUE(client_.AwaitClaimCalls(2));
  AwaitParked();
  EXPECT_EQ(poller_->Stats().errors, 2u);
}

TEST_F(PollerTest, TooManyUnsentReportsPauseClaimsUntilTheReporterSaysTheyDrained) {
  AddStates(5);
  unsent_ = 100;
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  AwaitParked();
  clock_.Advance(absl::Seconds(5));  // re-checks every poll_interval meanwhile
  AwaitParked();
  EXPECT_TRUE(client_.claim_calls().empty());
  EXPECT_EQ(poller_->Stats().backpressure_waits, 1u);  // one pause, however many re-checks
  unsent_ = 99;
  poller_->OnReportsDrained();  // no time passes: the signal alone ends the pause
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  EXPECT_EQ(target_.dispatched().size(), 5u);
}

TEST_F(PollerTest, UnsentReportsPauseClaimsInTheMiddleOfARoundToo) {
  // Full replies keep a round going claim after claim; each claimed state stands for a report
  // to come (the workers answer at once), so the limit is reached after the second claim.
  AddStates(64);
  target_.SetGroups({{{"echo"}, 64}});
  target_.SetOnDispatch([this](size_t count) { unsent_ += count; });
  options_.max_unsent_reports = 20;
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(2));
  AwaitParked();
  EXPECT_EQ(Claims(), 2u);  // 16 + 16 = 32 >= 20: no third claim
  EXPECT_EQ(target_.dispatched().size(), 32u);
  EXPECT_EQ(poller_->Stats().backpressure_waits, 1u);
  unsent_ = 0;
  poller_->OnReportsDrained();
  ASSERT_TRUE(client_.AwaitClaimCalls(3));
}

TEST_F(PollerTest, APauseEndsAtTheNextCheckEvenWithoutTheDrainedSignal) {
  AddStates(5);
  unsent_ = 100;
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  AwaitParked();
  unsent_ = 0;
  clock_.Advance(options_.poll_interval - absl::Milliseconds(1));
  AwaitParked();
  EXPECT_TRUE(client_.claim_calls().empty());
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  EXPECT_EQ(target_.dispatched().size(), 5u);
}

TEST_F(PollerTest, APauseIsLoggedOnceWhenItLastsAndAgainWhenItEnds) {
  absl::Mutex mu;
  std::vector<std::string> lines;
  log::SetSink([&](absl::string_view line) {
    absl::MutexLock lock(&mu);
    lines.emplace_back(line);
  });
  auto logged = [&](absl::string_view event) {
    absl::MutexLock lock(&mu);
    int count = 0;
    for (const std::string& line : lines) count += absl::StrContains(line, event) ? 1 : 0;
    return count;
  };
  AddStates(1);
  unsent_ = 100;
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  AdvanceInSteps(options_.paused_warning_after - absl::Seconds(1), options_.poll_interval);
  EXPECT_EQ(logged("claims_paused"), 0);
  AdvanceInSteps(absl::Seconds(5), options_.poll_interval);
  EXPECT_EQ(logged("claims_paused"), 1);
  {
    absl::MutexLock lock(&mu);
    for (const std::string& line : lines) {
      if (absl::StrContains(line, "claims_paused")) {
        EXPECT_THAT(line, AllOf(HasSubstr("unsent_reports=100"), HasSubstr("namespace=ns")));
      }
    }
  }
  EXPECT_EQ(logged("claims_resumed"), 0);
  unsent_ = 0;
  poller_->OnReportsDrained();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  EXPECT_EQ(logged("claims_resumed"), 1);
  poller_.reset();
  log::SetSink(nullptr);
}

TEST_F(PollerTest, EachPauseCountsOnceAndANewPauseCountsAgain) {
  AddStates(2);
  unsent_ = 100;
  target_.SetGroups({{{"echo"}, 10}});
  StartPoller();
  AwaitParked();
  unsent_ = 0;
  poller_->OnReportsDrained();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  AwaitParked();
  unsent_ = 150;
  clock_.Advance(options_.min_poll_delay);  // the wait after the claim ends: paused again
  AwaitParked();
  EXPECT_EQ(Claims(), 1u);
  EXPECT_EQ(poller_->Stats().backpressure_waits, 2u);
}

TEST_F(PollerTest, AGroupThatRanDryDoesNotStopTheOthersInTheSameRound) {
  AddStates(20, "b");
  target_.SetGroups({{{"a"}, 8}, {{"b"}, 4}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(2));
  AwaitParked();
  const auto calls = client_.claim_calls();
  EXPECT_EQ(calls[0].node_names, std::vector<std::string>{"a"});
  EXPECT_EQ(calls[0].batch_size, 8);
  EXPECT_EQ(calls[1].node_names, std::vector<std::string>{"b"});
  EXPECT_EQ(calls[1].batch_size, 4);
  EXPECT_EQ(target_.dispatched().size(), 4u);
}

TEST_F(PollerTest, AfterAnEmptyRoundOneProbeClaimsForEveryGroup) {
  target_.SetGroups({{{"a"}, 8}, {{"b", "c"}, 6}});
  StartPoller();
  ASSERT_TRUE(client_.AwaitClaimCalls(2));  // the first round asks group by group
  AwaitParked();
  clock_.Advance(absl::Milliseconds(50));
  ASSERT_TRUE(client_.AwaitClaimCalls(3));
  AwaitParked();
  // Idle: one claim naming every node, as large as the smallest group can take.
  std::vector<FakeStateManagerClient::ClaimCall> calls = client_.claim_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].node_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(calls[2].batch_size, 6);

  // The probe comes back full (4 of a, 2 of c): the round goes on group by group with what
  // capacity is left (4 each).
  AddStates(4, "a");
  AddStates(4, "c");
  poller_->OnLikelyWork();
  ASSERT_TRUE(client_.AwaitClaimCalls(6));
  AwaitParked();
  calls = client_.claim_calls();
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls[3].node_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(calls[3].batch_size, 6);
  EXPECT_EQ(calls[4].node_names, std::vector<std::string>{"a"});
  EXPECT_EQ(calls[4].batch_size, 4);
  EXPECT_EQ(calls[5].node_names, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(calls[5].batch_size, 4);
  EXPECT_EQ(target_.dispatched().size(), 8u);
  EXPECT_EQ(poller_->Stats().claimed, 8u);
}

TEST_F(PollerTest, WithoutCapacityItNeverPolls) {
  AddStates(5);
  StartPoller();
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(client_.claim_calls().empty());
  target_.SetGroups({{{"echo"}, 2}});
  poller_->OnCapacity();
  ASSERT_TRUE(client_.AwaitClaimCalls(1));
  EXPECT_EQ(Batches().front(), 2);
}

}  // namespace
}  // namespace exosphere::sidecar
