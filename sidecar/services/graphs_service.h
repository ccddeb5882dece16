#ifndef EXOSPHERE_SIDECAR_SERVICES_GRAPHS_SERVICE_H_
#define EXOSPHERE_SIDECAR_SERVICES_GRAPHS_SERVICE_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "common/scheduler.h"
#include "common/thread_pool.h"
#include "exosphere/sidecar/v1/graphs.grpc.pb.h"
#include "sidecar/services/worker_token.h"
#include "sidecar/transport/graph_api_client.h"

namespace exosphere::sidecar {

struct GraphsServiceOptions {
  std::string default_namespace;
  // When set, every call must carry it as `x-exosphere-worker-token` metadata.
  std::string worker_token;
  // First and longest pause between two checks while waiting (validation, run completion).
  absl::Duration min_check_interval = absl::Milliseconds(25);
  absl::Duration max_check_interval = absl::Seconds(1);
  absl::Duration default_validation_timeout = absl::Seconds(60);
  absl::Duration default_run_timeout = absl::Seconds(60);
  // Most run-details GETs in flight at once for one GetRunStates or WaitForRun call.
  int max_parallel_detail_fetches = 4;
};

// The Graphs service: forwards each call to the state manager on its thread pool (never on a
// gRPC thread) and waits for validation or run completion by re-checking on the scheduler, so
// that no thread sleeps. Thread-safe; owns nothing it is given.
class GraphsService final : public v1::Graphs::CallbackService {
 public:
  // `on_trigger` runs after each successful TriggerRun with the namespace (to wake its poller).
  GraphsService(GraphApiClient& client, ThreadPool& pool, Scheduler& scheduler,
                GraphsServiceOptions options, std::function<void(const std::string&)> on_trigger);

  grpc::ServerUnaryReactor* UpsertGraph(grpc::CallbackServerContext* context,
                                        const v1::UpsertGraphRequest* request,
                                        v1::Graph* response) override;
  grpc::ServerUnaryReactor* GetGraph(grpc::CallbackServerContext* context,
                                     const v1::GetGraphRequest* request,
                                     v1::Graph* response) override;
  grpc::ServerUnaryReactor* TriggerRun(grpc::CallbackServerContext* context,
                                       const v1::TriggerRunRequest* request,
                                       v1::TriggerRunResponse* response) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* context,
                                     const v1::ListRunsRequest* request,
                                     v1::ListRunsResponse* response) override;
  grpc::ServerUnaryReactor* GetRunStates(grpc::CallbackServerContext* context,
                                         const v1::GetRunStatesRequest* request,
                                         v1::RunStates* response) override;
  grpc::ServerUnaryReactor* WaitForRun(grpc::CallbackServerContext* context,
                                       const v1::WaitForRunRequest* request,
                                       v1::RunStates* response) override;

 private:
  // Runs `step` on the pool until it returns true; between runs waits a growing interval on
  // the scheduler. Gives up with `on_timeout` after `deadline` or when the call is cancelled.
  void Repeat(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
              absl::Time deadline, std::function<bool()> step, std::string timeout_message,
              absl::Duration interval);
  // Ends the call with UNAUTHENTICATED unless the caller has the worker token; true if it did.
  bool Unauthenticated(grpc::CallbackServerContext* context,
                       grpc::ServerUnaryReactor* reactor) const;
  // GET /graph, then GraphFromDocument.
  absl::StatusOr<v1::Graph> ReadGraph(const std::string& ns, const std::string& graph_name);
  // The Graph of a GET /graph document, with the stored policies from the template listing.
  absl::StatusOr<v1::Graph> GraphFromDocument(const std::string& ns, const std::string& graph_name,
                                              const json::Json& document);
  // Adds each state's inputs and outputs, fetched a few at a time (on this thread and the pool);
  // blocks until all are in. On failure returns the error of the first failing state in order.
  absl::Status FetchDetails(const std::string& ns, v1::RunStates& states);
  std::string Namespace(const std::string& requested) const;

  GraphApiClient& client_;
  ThreadPool& pool_;
  Scheduler& scheduler_;
  const GraphsServiceOptions options_;
  const WorkerTokenCheck token_;
  const std::function<void(const std::string&)> on_trigger_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_GRAPHS_SERVICE_H_
