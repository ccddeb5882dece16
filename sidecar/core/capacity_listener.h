#ifndef EXOSPHERE_SIDECAR_CORE_CAPACITY_LISTENER_H_
#define EXOSPHERE_SIDECAR_CORE_CAPACITY_LISTENER_H_

#include "absl/strings/string_view.h"

namespace exosphere::sidecar {

// Told whenever a namespace may have gained free worker slots (a task finished, a worker was
// registered or raised its slots), so that its poller claims again. Implemented by the pollers.
class CapacityListener {
 public:
  virtual ~CapacityListener() = default;
  // Never blocks and never calls back into the caller.
  virtual void OnCapacity(absl::string_view ns) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_CAPACITY_LISTENER_H_
