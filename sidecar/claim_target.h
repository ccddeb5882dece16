#ifndef EXOSPHERE_SIDECAR_CLAIM_TARGET_H_
#define EXOSPHERE_SIDECAR_CLAIM_TARGET_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sidecar/states_client.h"
#include "sidecar/task_router.h"

namespace exosphere::sidecar {

// What a poller needs from the router: how much it may claim and where claimed states go.
// Implemented by TaskRouterClaimTarget; faked in poller tests.
class ClaimTarget {
 public:
  virtual ~ClaimTarget() = default;
  virtual std::vector<PollGroup> PlanPolls(absl::string_view ns) const = 0;
  virtual void Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                        absl::Time claimed_at) = 0;
};

// The production ClaimTarget: the router itself.
class TaskRouterClaimTarget final : public ClaimTarget {
 public:
  explicit TaskRouterClaimTarget(TaskRouter& router) : router_(router) {}
  std::vector<PollGroup> PlanPolls(absl::string_view ns) const override {
    return router_.PlanPolls(ns);
  }
  void Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                absl::Time claimed_at) override {
    router_.Dispatch(ns, std::move(states), claimed_at);
  }

 private:
  TaskRouter& router_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CLAIM_TARGET_H_
