#include "sidecar/core/work_signals.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::sidecar {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class RecordingListener final : public WorkSignals::Listener {
 public:
  void OnCapacity(absl::string_view ns) override { seen.push_back("capacity:" + std::string(ns)); }
  void OnLikelyWork(absl::string_view ns) override { seen.push_back("work:" + std::string(ns)); }
  void OnReportsDrained() override { seen.push_back("drained"); }
  std::vector<std::string> seen;
};

TEST(WorkSignalsTest, SignalsReachTheListenerOnlyWhileItListens) {
  WorkSignals signals;
  RecordingListener listener;
  signals.OnCapacity("early");  // nobody listens yet: dropped
  signals.Listen(listener);
  signals.OnCapacity("a");
  signals.OnLikelyWork("b");
  signals.OnReportsDrained();
  signals.Unlisten();
  signals.OnLikelyWork("late");
  signals.OnReportsDrained();
  EXPECT_THAT(listener.seen, ElementsAre("capacity:a", "work:b", "drained"));
}

TEST(WorkSignalsTest, TheRouterSideSeesOnlyACapacityListener) {
  WorkSignals signals;
  RecordingListener listener;
  signals.Listen(listener);
  CapacityListener& router_side = signals;
  router_side.OnCapacity("ns");
  EXPECT_THAT(listener.seen, ElementsAre("capacity:ns"));
  signals.Unlisten();
  listener.seen.clear();
  router_side.OnCapacity("ns");
  EXPECT_THAT(listener.seen, IsEmpty());
}

}  // namespace
}  // namespace exosphere::sidecar
