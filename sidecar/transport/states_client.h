#ifndef EXOSPHERE_SIDECAR_TRANSPORT_STATES_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_STATES_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sidecar/transport/json_util.h"
#include "sidecar/transport/report.h"

namespace exosphere::sidecar {

// The payload type URL set (with an empty value) on the error of a state-manager call whose HTTP
// request went out more than once (HttpResponse::sends): the state manager may have applied the
// first send, so a report refused as "not queued" is then most likely already applied.
inline constexpr char kRequestResentPayload[] =
    "type.exosphere.dev/exosphere.sidecar.RequestResent";

// Whether `status` carries kRequestResentPayload.
inline bool RequestWasResent(const absl::Status& status) {
  return status.GetPayload(kRequestResentPayload).has_value();
}

// The payload type URL set on the error of a report the state manager refused because the state
// is no longer QUEUED (400 "State is not queued", "... not queued or executed", "State is already
// executed"): whatever the sidecar sends for that state now, the answer is the same.
inline constexpr char kStateNotQueuedPayload[] =
    "type.exosphere.dev/exosphere.sidecar.StateNotQueued";

inline bool StateWasNotQueued(const absl::Status& status) {
  return status.GetPayload(kStateNotQueuedPayload).has_value();
}

// One node as registered with PUT /nodes/.
struct NodeRegistration {
  std::string name;
  json::Json inputs_schema;
  json::Json outputs_schema;
  std::vector<std::string> secrets;
};

// One state returned by POST /states/enqueue, now QUEUED and ours to report.
struct ClaimedState {
  std::string state_id;
  std::string node_name;
  std::string identifier;
  json::Json inputs;  // a JSON object; values are checked to be strings before dispatch
  std::string created_at;
  // Set when the entry had a usable state_id but another field was malformed. The state is ours
  // all the same and must be reported (errored, with this text).
  std::string malformed;
};

// The state manager calls on the sidecar's hot path (contract section 2): registration, claims,
// secrets, reports and the readiness check. Implementations are thread-safe; the blocking calls
// block the caller, so never call them from a gRPC reactor.
//
// HTTP outcomes map to codes as follows (the message carries the method, path, HTTP status and
// the server's `detail` text, never the API key or secret values):
//   transport failure or 5xx -> kUnavailable; timeout or 408 -> kDeadlineExceeded;
//   429 -> kResourceExhausted; 400 -> kFailedPrecondition; 401 -> kUnauthenticated;
//   404 -> kNotFound; 409 -> kAlreadyExists; 422 -> kInvalidArgument;
//   a 2xx body that does not have the documented shape -> kInternal.
class StatesClient {
 public:
  virtual ~StatesClient() = default;

  // PUT /nodes/.
  virtual absl::Status RegisterNodes(absl::string_view ns, absl::string_view runtime_name,
                                     const std::vector<NodeRegistration>& nodes) = 0;
  // POST /states/enqueue. States whose entry lacks a state_id cannot be reported and are dropped
  // with a log line; other malformed entries come back with `malformed` set.
  virtual absl::StatusOr<std::vector<ClaimedState>> ClaimStates(
      absl::string_view ns, const std::vector<std::string>& node_names, int batch_size) = 0;
  // GET /state/{id}/secrets: all secrets of the state's graph.
  virtual absl::StatusOr<json::StringMap> GetSecrets(absl::string_view ns,
                                                     absl::string_view state_id) = 0;
  // POST /state/{id}/{executed|errored|prune|re-enqueue-after}.
  virtual absl::Status SendReport(absl::string_view ns, const Report& report) = 0;

  // Non-blocking versions of the two per-state calls: they return at once and `done` runs later
  // on another thread, exactly once (with kCancelled if the client shuts down first). `done` must
  // be quick and must not call the blocking methods.
  virtual void SendReportAsync(absl::string_view ns, const Report& report,
                               std::function<void(absl::Status)> done) = 0;
  virtual void GetSecretsAsync(absl::string_view ns, absl::string_view state_id,
                               std::function<void(absl::StatusOr<json::StringMap>)> done) = 0;

  // GET /health within `timeout`: OK when the server answers 200 (used for readiness).
  virtual absl::Status CheckHealth(absl::Duration timeout) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_STATES_CLIENT_H_
