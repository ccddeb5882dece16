#include "tests/client/cpp/fake_graphs_service.h"

namespace exosphere::client::testing {

void FakeGraphsService::set_status(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  status_ = status;
}

void FakeGraphsService::set_graph(const v1::Graph& graph) {
  absl::MutexLock lock(&mu_);
  graph_ = graph;
}

void FakeGraphsService::set_run_id(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  run_id_ = run_id;
}

void FakeGraphsService::set_runs(const v1::ListRunsResponse& runs) {
  absl::MutexLock lock(&mu_);
  runs_ = runs;
}

void FakeGraphsService::set_run_states(const v1::RunStates& states) {
  absl::MutexLock lock(&mu_);
  run_states_ = states;
}

v1::UpsertGraphRequest FakeGraphsService::last_upsert() const {
  absl::MutexLock lock(&mu_);
  return last_upsert_;
}

v1::GetGraphRequest FakeGraphsService::last_get_graph() const {
  absl::MutexLock lock(&mu_);
  return last_get_graph_;
}

v1::TriggerRunRequest FakeGraphsService::last_trigger() const {
  absl::MutexLock lock(&mu_);
  return last_trigger_;
}

v1::ListRunsRequest FakeGraphsService::last_list_runs() const {
  absl::MutexLock lock(&mu_);
  return last_list_runs_;
}

v1::GetRunStatesRequest FakeGraphsService::last_get_run_states() const {
  absl::MutexLock lock(&mu_);
  return last_get_run_states_;
}

v1::WaitForRunRequest FakeGraphsService::last_wait_for_run() const {
  absl::MutexLock lock(&mu_);
  return last_wait_for_run_;
}

std::string FakeGraphsService::last_token() const {
  absl::MutexLock lock(&mu_);
  return last_token_;
}

void FakeGraphsService::RecordToken(grpc::ServerContext* context) {
  auto it = context->client_metadata().find("x-exosphere-worker-token");
  last_token_ = it == context->client_metadata().end()
                    ? ""
                    : std::string(it->second.data(), it->second.size());
}

grpc::Status FakeGraphsService::UpsertGraph(grpc::ServerContext* context,
                                            const v1::UpsertGraphRequest* request,
                                            v1::Graph* response) {
  absl::MutexLock lock(&mu_);
  RecordToken(context);
  last_upsert_ = *request;
  if (!status_.ok()) return status_;
  *response = graph_;
  return grpc::Status::OK;
}

grpc::Status FakeGraphsService::GetGraph(grpc::ServerContext* context,
                                         const v1::GetGraphRequest* request, v1::Graph* response) {
  absl::MutexLock lock(&mu_);
  RecordToken(context);
  last_get_graph_ = *request;
  if (!status_.ok()) return status_;
  *response = graph_;
  return grpc::Status::OK;
}

grpc::Status FakeGraphsService::TriggerRun(grpc::ServerContext* context,
                                           const v1::TriggerRunRequest* request,
                                           v1::TriggerRunResponse* response) {
  absl::MutexLock lock(&mu_);
  RecordToken(context);
  last_trigger_ = *request;
  if (!status_.ok()) return status_;
  response->set_run_id(run_id_);
  return grpc::Status::OK;
}

grpc::Status FakeGraphsService::ListRuns(grpc::ServerContext* context,
                                         const v1::ListRunsRequest* request,
                                         v1::ListRunsResponse* response) {
  absl::MutexLock lock(&mu_);
  RecordToken(context);
  last_list_runs_ = *request;
  if (!status_.ok()) return status_;
  *response = runs_;
  return grpc::Status::OK;
}

grpc::Status FakeGraphsService::GetRunStates(grpc::ServerContext* context,
                                             const v1::GetRunStatesRequest* request,
                                             v1::RunStates* response) {
  absl::MutexLock lock(&mu_);
  RecordToken(context);
  last_get_run_states_ = *request;
  if (!status_.ok()) return status_;
  *response = run_states_;
  return grpc::Status::OK;
}

grpc::Status FakeGraphsService::WaitForRun(grpc::ServerContext* context,
                                           const v1::WaitForRunRequest* request,
                                           v1::RunStates* response) {
  absl::MutexLock lock(&mu_);
  RecordToken(context);
  last_wait_for_run_ = *request;
  if (!status_.ok()) return status_;
  *response = run_states_;
  return grpc::Status::OK;
}

}  // namespace exosphere::client::testing
