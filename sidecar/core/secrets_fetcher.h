#ifndef EXOSPHERE_SIDECAR_CORE_SECRETS_FETCHER_H_
#define EXOSPHERE_SIDECAR_CORE_SECRETS_FETCHER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"

#include "sidecar/transport/json_util.h"

namespace exosphere::sidecar {

// Fetches the secrets of a state's graph without blocking the caller.
class SecretsFetcher {
 public:
  using Callback = std::function<void(absl::StatusOr<json::StringMap>)>;
  virtual ~SecretsFetcher() = default;
  // Returns at once; `done` runs later on another thread, exactly once, unless the sidecar shuts
  // down first (then the task is handed back without it). Never calls `done` before returning.
  virtual void Fetch(std::string ns, std::string state_id, Callback done) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_SECRETS_FETCHER_H_
