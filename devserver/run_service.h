#ifndef EXOSPHERE_DEVSERVER_RUN_SERVICE_H_
#define EXOSPHERE_DEVSERVER_RUN_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"

#include "common/clock.h"
#include "devserver/json.h"
#include "devserver/state_requests.h"
#include "devserver/store.h"

namespace exosphere::devserver {

// Starting runs (contract 2.4, 4.5): used by POST /graph/{name}/trigger and by cron firings.
// Errors: kNotFound "Graph template not found for namespace X and graph Y"; kInvalidArgument
// "Graph template is not valid", "Invalid input: ...", "Missing store keys: {...}".
// Thread-safe.
class RunService {
 public:
  RunService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  RunService(const RunService&) = delete;
  RunService& operator=(const RunService&) = delete;

  // Creates the run, its store values and the root state; returns {"status":"CREATED","run_id"}.
  absl::StatusOr<Json> Trigger(const std::string& namespace_name, const std::string& graph_name,
                               const TriggerRequest& request);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_RUN_SERVICE_H_
