#ifndef EXOSPHERE_TESTS_CLIENT_CPP_FAKE_GRAPHS_SERVICE_H_
#define EXOSPHERE_TESTS_CLIENT_CPP_FAKE_GRAPHS_SERVICE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include <grpcpp/grpcpp.h>

#include "exosphere/sidecar/v1/graphs.grpc.pb.h"

namespace exosphere::client::testing {

namespace v1 = ::exosphere::sidecar::v1;

// A Graphs service that records the last request of each method and answers with what the test
// set: a response message, or an error status when one is set. Thread-safe.
class FakeGraphsService final : public v1::Graphs::Service {
 public:
  // The answer of every method: `status` if not OK, else the response set for that method.
  void set_status(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  void set_graph(const v1::Graph& graph) ABSL_LOCKS_EXCLUDED(mu_);
  void set_run_id(const std::string& run_id) ABSL_LOCKS_EXCLUDED(mu_);
  void set_runs(const v1::ListRunsResponse& runs) ABSL_LOCKS_EXCLUDED(mu_);
  void set_run_states(const v1::RunStates& states) ABSL_LOCKS_EXCLUDED(mu_);

  v1::UpsertGraphRequest last_upsert() const ABSL_LOCKS_EXCLUDED(mu_);
  v1::GetGraphRequest last_get_graph() const ABSL_LOCKS_EXCLUDED(mu_);
  v1::TriggerRunRequest last_trigger() const ABSL_LOCKS_EXCLUDED(mu_);
  v1::ListRunsRequest last_list_runs() const ABSL_LOCKS_EXCLUDED(mu_);
  v1::GetRunStatesRequest last_get_run_states() const ABSL_LOCKS_EXCLUDED(mu_);
  v1::WaitForRunRequest last_wait_for_run() const ABSL_LOCKS_EXCLUDED(mu_);
  // The x-exosphere-worker-token metadata of the last call ("" if none).
  std::string last_token() const ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status UpsertGraph(grpc::ServerContext* context, const v1::UpsertGraphRequest* request,
                           v1::Graph* response) override;
  grpc::Status GetGraph(grpc::ServerContext* context, const v1::GetGraphRequest* request,
                        v1::Graph* response) override;
  grpc::Status TriggerRun(grpc::ServerContext* context, const v1::TriggerRunRequest* request,
                          v1::TriggerRunResponse* response) override;
  grpc::Status ListRuns(grpc::ServerContext* context, const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status GetRunStates(grpc::ServerContext* context, const v1::GetRunStatesRequest* request,
                            v1::RunStates* response) override;
  grpc::Status WaitForRun(grpc::ServerContext* context, const v1::WaitForRunRequest* request,
                          v1::RunStates* response) override;

 private:
  void RecordToken(grpc::ServerContext* context) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  v1::Graph graph_ ABSL_GUARDED_BY(mu_);
  std::string run_id_ ABSL_GUARDED_BY(mu_);
  v1::ListRunsResponse runs_ ABSL_GUARDED_BY(mu_);
  v1::RunStates run_states_ ABSL_GUARDED_BY(mu_);
  v1::UpsertGraphRequest last_upsert_ ABSL_GUARDED_BY(mu_);
  v1::GetGraphRequest last_get_graph_ ABSL_GUARDED_BY(mu_);
  v1::TriggerRunRequest last_trigger_ ABSL_GUARDED_BY(mu_);
  v1::ListRunsRequest last_list_runs_ ABSL_GUARDED_BY(mu_);
  v1::GetRunStatesRequest last_get_run_states_ ABSL_GUARDED_BY(mu_);
  v1::WaitForRunRequest last_wait_for_run_ ABSL_GUARDED_BY(mu_);
  std::string last_token_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::client::testing

#endif  // EXOSPHERE_TESTS_CLIENT_CPP_FAKE_GRAPHS_SERVICE_H_
