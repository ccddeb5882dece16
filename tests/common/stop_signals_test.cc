#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace exosphere {
namespace {

// Each test works in a thread of its own so that the mask of the test binary's main thread stays
// as it was; the signals are sent to that thread alone (pthread_kill), never to the process.

bool IsBlocked(int signal_number) {
  sigset_t current;
  sigemptyset(&current);
  pthread_sigmask(SIG_BLOCK, nullptr, &current);
  return sigismember(&current, signal_number) == 1;
}

TEST(StopSignalsTest, BlocksSigintAndSigtermInTheCallingThreadOnly) {
  const bool sigint_was_blocked = IsBlocked(SIGINT);
  const bool sigterm_was_blocked = IsBlocked(SIGTERM);
  std::thread([] {
    // Unblocked first: the mask is inherited, also across exec, from whatever started the test.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &stop, nullptr), 0);
    const bool sigusr1_was_blocked = IsBlocked(SIGUSR1);
    BlockStopSignals();
    EXPECT_TRUE(IsBlocked(SIGINT));
    EXPECT_TRUE(IsBlocked(SIGTERM));
    EXPECT_EQ(IsBlocked(SIGUSR1), sigusr1_was_blocked);
  }).join();
  EXPECT_EQ(IsBlocked(SIGINT), sigint_was_blocked);
  EXPECT_EQ(IsBlocked(SIGTERM), sigterm_was_blocked);
}

TEST(StopSignalsTest, ThreadsStartedAfterwardsInheritTheMask) {
  std::thread([] {
    BlockStopSignals();
    bool sigint_blocked = false;
    bool sigterm_blocked = false;
    std::thread([&] {
      sigint_blocked = IsBlocked(SIGINT);
      sigterm_blocked = IsBlocked(SIGTERM);
    }).join();
    EXPECT_TRUE(sigint_blocked);
    EXPECT_TRUE(sigterm_blocked);
  }).join();
}

TEST(StopSignalsTest, ReturnsASignalAlreadyPending) {
  std::thread([] {
    BlockStopSignals();
    ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
    EXPECT_EQ(WaitForStopSignal(), SIGTERM);
    ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
    EXPECT_EQ(WaitForStopSignal(), SIGINT);
  }).join();
}

TEST(StopSignalsTest, WakesUpWhenTheSignalArrivesWhileWaiting) {
  absl::Notification blocked;
  int received = 0;
  std::thread waiter([&] {
    BlockStopSignals();
    blocked.Notify();
    received = WaitForStopSignal();
  });
  // Sent only once the waiter has blocked the signal, so it stays pending and cannot kill us.
  blocked.WaitForNotification();
  ASSERT_EQ(pthread_kill(waiter.native_handle(), SIGTERM), 0);
  waiter.join();
  EXPECT_EQ(received, SIGTERM);
}

}  // namespace
}  // namespace exosphere
