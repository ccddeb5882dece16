#ifndef EXOSPHERE_SIDECAR_CORE_REGISTRATION_REQUESTER_H_
#define EXOSPHERE_SIDECAR_CORE_REGISTRATION_REQUESTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

// A request to (re-)register the node set of one runtime in one namespace. Generations grow with
// every change of the set; only the newest matters.
struct RegistrationRequest {
  std::string ns;
  std::string runtime_name;
  std::vector<NodeRegistration> nodes;
  uint64_t generation = 0;
};

// A refusal that the same request always gets (a 4xx other than 401, 408 and 429): the registrar
// does not retry it (it would fail forever and hold up every other worker of the runtime); the
// router decides what to register instead.
inline bool IsPermanentRegistrationFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

struct RegistrationOutcome {
  std::string ns;
  std::string runtime_name;
  uint64_t generation = 0;
  absl::Status status;
  // When the attempt failed and will be retried: the delay before the next one.
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

#endif  // EXOSPHERE_SIDECAR_CORE_REGISTRATION_REQUESTER_H_
