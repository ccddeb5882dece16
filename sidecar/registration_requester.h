#ifndef EXOSPHERE_SIDECAR_REGISTRATION_REQUESTER_H_
#define EXOSPHERE_SIDECAR_REGISTRATION_REQUESTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "sidecar/state_manager_client.h"

namespace exosphere::sidecar {

// A request to (re-)register the node set of one runtime in one namespace. Generations grow with
// every change of the set; only the newest matters.
struct RegistrationRequest {
  std::string ns;
  std::string runtime_name;
  std::vector<NodeRegistration> nodes;
  uint64_t generation = 0;
};

struct RegistrationOutcome {
  std::string ns;
  std::string runtime_name;
  uint64_t generation = 0;
  absl::Status status;
  // When the attempt failed: the delay before the next one.
  absl::Duration retry_in = absl::ZeroDuration();
};

// Registers node sets with the state manager, retrying failures. Implemented by the Registrar.
class RegistrationRequester {
 public:
  virtual ~RegistrationRequester() = default;
  // Never blocks and never calls back into the caller; outcomes arrive later on another thread.
  virtual void Request(RegistrationRequest request) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_REGISTRATION_REQUESTER_H_
