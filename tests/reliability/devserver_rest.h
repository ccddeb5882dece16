#ifndef EXOSPHERE_TESTS_RELIABILITY_DEVSERVER_REST_H_
#define EXOSPHERE_TESTS_RELIABILITY_DEVSERVER_REST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "sidecar/transport/json_util.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace exosphere::reliability {

// The operator's side of the state manager for reliability tests: plain HTTP (keep-alive) to the
// devserver, never through the fault proxy. Thread-safe (requests are serialized). Errors:
// kUnavailable when the request fails at the transport level or the server answers 5xx,
// kInvalidArgument for a 4xx or a body that is not JSON, kDeadlineExceeded when a wait ends.
class DevserverRest {
 public:
  DevserverRest(const std::string& host, int port, std::string api_key, std::string ns);
  ~DevserverRest();
  DevserverRest(const DevserverRest&) = delete;
  DevserverRest& operator=(const DevserverRest&) = delete;

  const std::string& ns() const { return ns_; }

  // One JSON request to `path` under /v0/namespace/{ns}; returns the parsed body of a 2xx.
  absl::StatusOr<json::Json> Call(const std::string& method, const std::string& path,
                                  const json::Json& body = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // PUT /graph/{name}, then polls GET /graph/{name} until VALID. kFailedPrecondition with the
  // validation errors when it became INVALID.
  absl::Status UpsertGraph(const std::string& name, const json::Json& body, absl::Duration timeout);
  // POST /graph/{name}/trigger with these inputs; returns the run id.
  absl::StatusOr<std::string> Trigger(const std::string& graph, const json::StringMap& inputs);
  // Every run of the namespace (the entries of GET /runs/{page}/{size}, all pages).
  absl::StatusOr<std::vector<json::Json>> ListRuns();
  // The states of a run (the "nodes" of GET /states/run/{run_id}/graph).
  absl::StatusOr<std::vector<json::Json>> RunStates(const std::string& run_id);

 private:
  const std::string api_key_;
  const std::string ns_;

  absl::Mutex mu_;
  const std::unique_ptr<httplib::Client> client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_DEVSERVER_REST_H_
