#ifndef EXOSPHERE_DEVSERVER_GRAPH_SERVICE_H_
#define EXOSPHERE_DEVSERVER_GRAPH_SERVICE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "devserver/graph_requests.h"
#include "devserver/json.h"
#include "devserver/secret_cipher.h"
#include "devserver/store.h"
#include "devserver/task_runner.h"

namespace exosphere::devserver {

// Node registration and graph templates (contract 2.1-2.3, 4.1, 4.2): upserts validate the
// structure synchronously (400), store the template as PENDING and schedule the asynchronous
// verification that flips it to VALID or INVALID after `verify_delay`. Errors are absl::Status
// whose code maps to the HTTP status (kInvalidArgument 400, kNotFound 404) and whose message is
// the `detail`. Secrets are stored encrypted with `cipher`. Thread-safe; never blocks on
// background work.
class GraphService {
 public:
  // `store`, `tasks`, `clock` and `cipher` must outlive the service.
  GraphService(Store& store, TaskRunner& tasks, const Clock& clock, const SecretCipher& cipher,
               absl::Duration verify_delay);
  GraphService(const GraphService&) = delete;
  GraphService& operator=(const GraphService&) = delete;

  // PUT /nodes/: upserts every node and echoes the request.
  Json RegisterNodes(const std::string& namespace_name, const RegisterNodesRequest& request);
  // PUT /graph/{name}: the 201 body, or kInvalidArgument "Error validating graph template: ...".
  absl::StatusOr<Json> UpsertGraph(const std::string& namespace_name, const std::string& graph_name,
                                   const UpsertGraphRequest& request);
  // GET /graph/{name}; kNotFound "Graph template X not found in namespace Y".
  absl::StatusOr<Json> GetGraph(const std::string& namespace_name, const std::string& graph_name);

  // Schedules verification of every template still PENDING (after a restart with --db).
  void ResumePendingVerifications();

 private:
  void ScheduleVerification(const std::string& namespace_name, const std::string& graph_name,
                            int64_t generation);
  // Verifies the template if it is still the version `generation`.
  void Verify(const std::string& namespace_name, const std::string& graph_name, int64_t generation);

  Store& store_;
  TaskRunner& tasks_;
  const Clock& clock_;
  const SecretCipher& cipher_;
  const absl::Duration verify_delay_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_GRAPH_SERVICE_H_
