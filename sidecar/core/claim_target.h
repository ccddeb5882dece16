#ifndef EXOSPHERE_SIDECAR_CORE_CLAIM_TARGET_H_
#define EXOSPHERE_SIDECAR_CORE_CLAIM_TARGET_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sidecar/core/poll_group.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

// What a poller needs from the router: how much it may claim and where claimed states go.
// Implemented by the TaskRouter; faked in poller tests.
class ClaimTarget {
 public:
  virtual ~ClaimTarget() = default;
  virtual std::vector<PollGroup> PlanPolls(absl::string_view ns) const = 0;
  virtual void Dispatch(absl::string_view ns, std::vector<ClaimedState> states,
                        absl::Time claimed_at) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_CLAIM_TARGET_H_
