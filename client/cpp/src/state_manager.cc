#include "exosphere/client/state_manager.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <grpcpp/grpcpp.h>

#include "client/cpp/internal/graph_conversion.h"
#include "client/cpp/internal/sidecar_channel.h"
#include "exosphere/sidecar/v1/graphs.grpc.pb.h"

namespace exosphere::client {
namespace {

namespace v1 = ::exosphere::sidecar::v1;

// A status for the caller: the sidecar's code, its message prefixed with the operation.
absl::Status FromGrpc(const grpc::Status& status, const std::string& operation) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(operation, ": ", status.error_message()));
}

// Python's repr of a list of strings, as the SDKs print validation errors.
std::string PythonListRepr(const std::vector<std::string>& items) {
  return absl::StrCat("['", absl::StrJoin(items, "', '"), "']");
}

std::string Quoted(const std::string& name) { return absl::StrCat("\"", name, "\""); }

}  // namespace

StateManager::StateManager(std::string namespace_name, StateManagerOptions options)
    : namespace_(std::move(namespace_name)),
      worker_token_(internal::ResolveWorkerToken(options.worker_token)),
      rpc_timeout_(options.rpc_timeout),
      channel_(options.channel != nullptr
                   ? std::move(options.channel)
                   : internal::CreateSidecarChannel(
                         internal::ResolveSidecarAddress(options.sidecar_address))) {}

StateManager::~StateManager() = default;

namespace {

// Prepares the context of one call: the worker token and a deadline of `wait` (the time the
// sidecar is asked to wait) plus the per-call timeout.
void PrepareContext(grpc::ClientContext& context, const std::string& worker_token,
                    absl::Duration wait, absl::Duration rpc_timeout) {
  if (!worker_token.empty()) {
    context.AddMetadata(internal::kWorkerTokenMetadata, worker_token);
  }
  context.set_deadline(absl::ToChronoTime(absl::Now() + wait + rpc_timeout));
}

}  // namespace

absl::StatusOr<Graph> StateManager::UpsertGraph(
    const std::string& graph_name, const std::vector<GraphNode>& nodes, const StringMap& secrets,
    const std::optional<RetryPolicy>& retry_policy, const std::optional<StoreConfig>& store_config,
    const std::vector<CronTrigger>& triggers, absl::Duration validation_timeout) {
  v1::UpsertGraphRequest request;
  request.set_namespace_(namespace_);
  request.set_graph_name(graph_name);
  for (const GraphNode& node : nodes) *request.add_nodes() = internal::ToProto(node);
  request.mutable_secrets()->insert(secrets.begin(), secrets.end());
  if (retry_policy.has_value()) *request.mutable_retry_policy() = internal::ToProto(*retry_policy);
  if (store_config.has_value()) *request.mutable_store_config() = internal::ToProto(*store_config);
  for (const CronTrigger& trigger : triggers) {
    request.add_triggers()->set_expression(trigger.expression);
  }
  // At least one millisecond: 0 would mean the sidecar's default.
  const int64_t timeout_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(validation_timeout));
  request.set_validation_timeout_ms(static_cast<uint64_t>(timeout_ms));

  grpc::ClientContext context;
  PrepareContext(context, worker_token_, validation_timeout, rpc_timeout_);
  v1::Graph response;
  const grpc::Status status =
      v1::Graphs::NewStub(channel_)->UpsertGraph(&context, request, &response);
  // The sidecar words a validation timeout like the SDKs; it is passed through unchanged.
  constexpr char kTimedOut[] = "Graph validation check timed out after ";
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
        absl::StartsWith(status.error_message(), kTimedOut)) {
      return absl::DeadlineExceededError(status.error_message());
    }
    return FromGrpc(status, absl::StrCat("UpsertGraph ", Quoted(graph_name)));
  }
  Graph graph = internal::FromProto(response);
  switch (graph.validation_status) {
    case ValidationStatus::kValid:
      return graph;
    case ValidationStatus::kPending:
      return absl::DeadlineExceededError(
          absl::StrCat(kTimedOut, absl::ToInt64Seconds(validation_timeout), " seconds"));
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("Graph validation failed: ", ToString(graph.validation_status),
                       " and errors: ", PythonListRepr(graph.validation_errors)));
  }
}

absl::StatusOr<Graph> StateManager::GetGraph(const std::string& graph_name) {
  v1::GetGraphRequest request;
  request.set_namespace_(namespace_);
  request.set_graph_name(graph_name);
  grpc::ClientContext context;
  PrepareContext(context, worker_token_, absl::ZeroDuration(), rpc_timeout_);
  v1::Graph response;
  const grpc::Status status = v1::Graphs::NewStub(channel_)->GetGraph(&context, request, &response);
  if (!status.ok()) return FromGrpc(status, absl::StrCat("GetGraph ", Quoted(graph_name)));
  return internal::FromProto(response);
}

absl::StatusOr<std::string> StateManager::Trigger(const std::string& graph_name,
                                                  const StringMap& inputs, const StringMap& store,
                                                  absl::Duration start_delay) {
  v1::TriggerRunRequest request;
  request.set_namespace_(namespace_);
  request.set_graph_name(graph_name);
  request.mutable_inputs()->insert(inputs.begin(), inputs.end());
  request.mutable_store()->insert(store.begin(), store.end());
  if (start_delay > absl::ZeroDuration()) {
    request.set_start_delay_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(start_delay)));
  }
  grpc::ClientContext context;
  PrepareContext(context, worker_token_, absl::ZeroDuration(), rpc_timeout_);
  v1::TriggerRunResponse response;
  const grpc::Status status =
      v1::Graphs::NewStub(channel_)->TriggerRun(&context, request, &response);
  if (!status.ok()) return FromGrpc(status, absl::StrCat("Trigger ", Quoted(graph_name)));
  return response.run_id();
}

absl::StatusOr<RunList> StateManager::ListRuns(int page, int page_size) {
  if (page < 1 || page_size < 1) {
    return absl::InvalidArgumentError("ListRuns: page and page_size must be at least 1");
  }
  v1::ListRunsRequest request;
  request.set_namespace_(namespace_);
  request.set_page(static_cast<uint32_t>(page));
  request.set_page_size(static_cast<uint32_t>(page_size));
  grpc::ClientContext context;
  PrepareContext(context, worker_token_, absl::ZeroDuration(), rpc_timeout_);
  v1::ListRunsResponse response;
  const grpc::Status status = v1::Graphs::NewStub(channel_)->ListRuns(&context, request, &response);
  if (!status.ok()) return FromGrpc(status, "ListRuns");
  return internal::FromProto(response);
}

absl::StatusOr<RunStates> StateManager::GetRunStates(const std::string& run_id,
                                                     bool include_details) {
  v1::GetRunStatesRequest request;
  request.set_namespace_(namespace_);
  request.set_run_id(run_id);
  request.set_include_details(include_details);
  grpc::ClientContext context;
  PrepareContext(context, worker_token_, absl::ZeroDuration(), rpc_timeout_);
  v1::RunStates response;
  const grpc::Status status =
      v1::Graphs::NewStub(channel_)->GetRunStates(&context, request, &response);
  if (!status.ok()) return FromGrpc(status, absl::StrCat("GetRunStates ", Quoted(run_id)));
  return internal::FromProto(response);
}

absl::StatusOr<RunStates> StateManager::WaitForRun(const std::string& run_id,
                                                   absl::Duration timeout) {
  v1::WaitForRunRequest request;
  request.set_namespace_(namespace_);
  request.set_run_id(run_id);
  const int64_t timeout_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout));
  request.set_timeout_ms(static_cast<uint64_t>(timeout_ms));
  grpc::ClientContext context;
  PrepareContext(context, worker_token_, timeout, rpc_timeout_);
  v1::RunStates response;
  const grpc::Status status =
      v1::Graphs::NewStub(channel_)->WaitForRun(&context, request, &response);
  if (!status.ok()) return FromGrpc(status, absl::StrCat("WaitForRun ", Quoted(run_id)));
  return internal::FromProto(response);
}

}  // namespace exosphere::client
