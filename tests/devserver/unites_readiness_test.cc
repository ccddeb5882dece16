#include "devserver/unites_readiness.h"

#include "gtest/gtest.h"

namespace exosphere::devserver {
namespace {

TEST(UnitesReadinessTest, AllSuccessWaitsForEveryDescendantToSucceed) {
  const UnitesStrategy strategy = UnitesStrategy::kAllSuccess;
  EXPECT_TRUE(UnitesReady(strategy, {}));
  EXPECT_TRUE(UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kRetryCreated}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kCreated}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kQueued}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kExecuted}));
}

TEST(UnitesReadinessTest, AllSuccessIsBlockedForeverByFailedOrPrunedDescendants) {
  const UnitesStrategy strategy = UnitesStrategy::kAllSuccess;
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kErrored}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kPruned}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kNextCreatedError}));
}

TEST(UnitesReadinessTest, AllDoneWaitsOnlyForUnfinishedDescendants) {
  const UnitesStrategy strategy = UnitesStrategy::kAllDone;
  EXPECT_TRUE(
      UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kErrored, StateStatus::kPruned,
                             StateStatus::kNextCreatedError, StateStatus::kRetryCreated}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kSuccess, StateStatus::kCreated}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kQueued}));
  EXPECT_FALSE(UnitesReady(strategy, {StateStatus::kExecuted}));
}

}  // namespace
}  // namespace exosphere::devserver
