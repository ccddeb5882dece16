#include "sidecar/services/graphs_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

#include "common/status_macros.h"
#include "sidecar/core/hello_validator.h"
#include "sidecar/services/graph_json.h"
#include "sidecar/services/grpc_status.h"

namespace exosphere::sidecar {
namespace {

constexpr uint32_t kDefaultPageSize = 20;
constexpr uint32_t kMaxPageSize = 1000;

// The state manager client's errors name the REST call ("GET /v0/...: HTTP 404: detail"); a
// Graphs caller never made a REST call, so it gets the server's explanation first and the HTTP
// status as context. The code is kept.
absl::Status ForCaller(const absl::Status& status) {
  if (status.ok()) return status;
  const absl::string_view message = status.message();
  const size_t http = message.find(": HTTP ");
  if (http == absl::string_view::npos) {
    if (status.code() == absl::StatusCode::kUnavailable ||
        status.code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::Status(status.code(),
                          absl::StrCat("the state manager cannot be reached: ", message));
    }
    return status;
  }
  absl::string_view rest = message.substr(http + 7);
  const size_t colon = rest.find(": ");
  const absl::string_view code = rest.substr(0, colon);
  if (colon == absl::string_view::npos) {
    return absl::Status(status.code(), absl::StrCat("the state manager answered HTTP ", code));
  }
  return absl::Status(status.code(),
                      absl::StrCat(rest.substr(colon + 2), " (state manager: HTTP ", code, ")"));
}

// The state manager answers 400 both for requests that can never work and for graphs that are
// not ready; tell them apart for the caller.
absl::Status Reclassify400(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return ForCaller(status);
  if (absl::StrContains(status.message(), "is not valid")) return ForCaller(status);
  return ForCaller(absl::InvalidArgumentError(status.message()));
}

std::string Seconds(absl::Duration duration) {
  return absl::StrFormat("%g", absl::ToDoubleSeconds(duration));
}

absl::Status CheckName(absl::string_view field, const std::string& value) {
  if (IsValidName(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " \"", value,
                   "\" is not a valid name (use 1 to 128 letters, digits, '_', '-' or '.')"));
}

// The run-details GETs of one FetchDetails call, taken one at a time by the threads that work on
// it. Each of them holds it by shared_ptr because a helper may start after the call returned.
class DetailFetches {
 public:
  DetailFetches(std::string ns, const v1::RunStates& states)
      : ns_(std::move(ns)),
        graph_name_(states.graph_name()),
        run_id_(states.run_id()),
        state_ids_(StateIds(states)),
        results_(state_ids_.size(), absl::InternalError("run details not fetched")) {}
  DetailFetches(const DetailFetches&) = delete;
  DetailFetches& operator=(const DetailFetches&) = delete;

  size_t size() const { return state_ids_.size(); }

  // Fetches the next state not yet taken until none is left or a fetch failed. Blocks.
  void Work(GraphApiClient& client) ABSL_LOCKS_EXCLUDED(mu_) {
    while (true) {
      size_t index = 0;
      {
        absl::MutexLock lock(&mu_);
        if (failed_ || next_ == state_ids_.size()) return;
        index = next_++;
      }
      absl::StatusOr<json::Json> details =
          client.GetNodeRunDetails(ns_, graph_name_, run_id_, state_ids_[index]);
      absl::MutexLock lock(&mu_);
      failed_ = failed_ || !details.ok();
      results_[index] = std::move(details);
      ++finished_;
    }
  }

  // Blocks until no fetch runs and none can start; returns the results in state order. After a
  // failure, states after the ones taken stay unfetched, so the first error in order is real.
  std::vector<absl::StatusOr<json::Json>> AwaitResults() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return finished_ == next_ && (failed_ || next_ == state_ids_.size());
    };
    mu_.Await(absl::Condition(&settled));
    return std::move(results_);
  }

 private:
  static std::vector<std::string> StateIds(const v1::RunStates& states) {
    std::vector<std::string> ids;
    ids.reserve(states.states_size());
    for (const v1::RunState& state : states.states()) ids.push_back(state.state_id());
    return ids;
  }

  const std::string ns_;
  const std::string graph_name_;
  const std::string run_id_;
  const std::vector<std::string> state_ids_;

  absl::Mutex mu_;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::StatusOr<json::Json>> results_ ABSL_GUARDED_BY(mu_);
};

// Ends the call with `status` when it is an error; says whether it did.
bool FinishedWithError(grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  if (status.ok()) return false;
  reactor->Finish(ToGrpcStatus(status));
  return true;
}

}  // namespace

GraphsService::GraphsService(GraphApiClient& client, ThreadPool& pool, Scheduler& scheduler,
                             GraphsServiceOptions options,
                             std::function<void(const std::string&)> on_trigger)
    : client_(client),
      pool_(pool),
      scheduler_(scheduler),
      options_(std::move(options)),
      token_(options_.worker_token),
      on_trigger_(std::move(on_trigger)) {}

bool GraphsService::Unauthenticated(grpc::CallbackServerContext* context,
                                    grpc::ServerUnaryReactor* reactor) const {
  grpc::Status admitted = token_.Admit(*context);
  if (admitted.ok()) return false;
  reactor->Finish(std::move(admitted));
  return true;
}

std::string GraphsService::Namespace(const std::string& requested) const {
  return requested.empty() ? options_.default_namespace : requested;
}

void GraphsService::Repeat(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                           absl::Time deadline, std::function<bool()> step,
                           std::string timeout_message, absl::Duration interval) {
  if (context->IsCancelled()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
    return;
  }
  if (step()) return;
  if (scheduler_.clock().Now() + interval > deadline) {
    reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, timeout_message));
    return;
  }
  const absl::Duration next = std::min(interval * 2, options_.max_check_interval);
  scheduler_.ScheduleAfter(
      interval, [=, step = std::move(step), timeout_message = std::move(timeout_message)] {
        pool_.Submit([=] { Repeat(context, reactor, deadline, step, timeout_message, next); });
      });
}

absl::StatusOr<v1::Graph> GraphsService::ReadGraph(const std::string& ns,
                                                   const std::string& graph_name) {
  EXO_ASSIGN_OR_RETURN(json::Json document, client_.GetGraph(ns, graph_name));
  return GraphFromDocument(ns, graph_name, document);
}

absl::StatusOr<v1::Graph> GraphsService::GraphFromDocument(const std::string& ns,
                                                           const std::string& graph_name,
                                                           const json::Json& document) {
  EXO_ASSIGN_OR_RETURN(v1::Graph graph,
                       GraphFromJson(document, ns, graph_name, /*with_policies=*/false));
  // GET /graph returns defaults for these; the listing has the stored ones.
  EXO_ASSIGN_OR_RETURN(json::Json listing, client_.ListGraphs(ns));
  auto templates = listing.is_object() ? listing.find("templates") : listing.end();
  if (templates != listing.end() && templates->is_array()) {
    for (const json::Json& item : *templates) {
      auto name = item.is_object() ? item.find("name") : item.end();
      if (name != item.end() && *name == graph_name) {
        EXO_RETURN_IF_ERROR(MergeStoredPolicies(item, graph));
        break;
      }
    }
  }
  return graph;
}

absl::Status GraphsService::FetchDetails(const std::string& ns, v1::RunStates& states) {
  auto fetches = std::make_shared<DetailFetches>(ns, states);
  // Helpers on the pool share the work with this thread instead of being waited for: when the
  // pool is busy (maybe with other FetchDetails calls) this thread fetches everything itself,
  // so a full pool cannot deadlock. A helper that starts late finds nothing left and returns.
  const int helpers =
      std::min<int>(options_.max_parallel_detail_fetches, static_cast<int>(fetches->size())) - 1;
  for (int i = 0; i < helpers; ++i) {
    pool_.Submit([fetches, &client = client_] { fetches->Work(client); });
  }
  fetches->Work(client_);
  std::vector<absl::StatusOr<json::Json>> results = fetches->AwaitResults();
  for (size_t i = 0; i < results.size(); ++i) {
    EXO_ASSIGN_OR_RETURN(json::Json details, std::move(results[i]));
    EXO_RETURN_IF_ERROR(MergeStateDetails(details, *states.mutable_states(static_cast<int>(i))));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* GraphsService::UpsertGraph(grpc::CallbackServerContext* context,
                                                     const v1::UpsertGraphRequest* request,
                                                     v1::Graph* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Unauthenticated(context, reactor)) return reactor;
  const std::string ns = Namespace(request->namespace_());
  if (FinishedWithError(reactor, CheckName("namespace", ns))) return reactor;
  if (FinishedWithError(reactor, CheckName("graph_name", request->graph_name()))) return reactor;
  const absl::Duration timeout = request->validation_timeout_ms() > 0
                                     ? absl::Milliseconds(request->validation_timeout_ms())
                                     : options_.default_validation_timeout;
  pool_.Submit([=] {
    const std::string& name = request->graph_name();
    absl::StatusOr<json::Json> stored =
        client_.UpsertGraph(ns, name, UpsertGraphBody(*request, ns));
    if (!stored.ok()) {
      // A 400 here is the graph's structure (no single root, a cycle, ...).
      absl::Status status = stored.status();
      if (status.code() == absl::StatusCode::kFailedPrecondition) {
        status = absl::InvalidArgumentError(status.message());
      }
      reactor->Finish(ToGrpcStatus(ForCaller(status)));
      return;
    }
    Repeat(
        context, reactor, scheduler_.clock().Now() + timeout,
        [=]() {
          absl::StatusOr<json::Json> document = client_.GetGraph(ns, name);
          if (!document.ok()) {
            reactor->Finish(ToGrpcStatus(ForCaller(document.status())));
            return true;
          }
          auto status =
              document->is_object() ? document->find("validation_status") : document->end();
          if (status != document->end() && status->is_string() &&
              ParseValidationStatus(status->get<std::string>()) == v1::VALIDATION_STATUS_PENDING) {
            return false;
          }
          // The document just read is the validated graph: no second GET.
          absl::StatusOr<v1::Graph> graph = GraphFromDocument(ns, name, *document);
          if (graph.ok()) *response = std::move(*graph);
          reactor->Finish(ToGrpcStatus(ForCaller(graph.status())));
          return true;
        },
        absl::StrCat("Graph validation check timed out after ", Seconds(timeout), " seconds"),
        options_.min_check_interval);
  });
  return reactor;
}

grpc::ServerUnaryReactor* GraphsService::GetGraph(grpc::CallbackServerContext* context,
                                                  const v1::GetGraphRequest* request,
                                                  v1::Graph* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Unauthenticated(context, reactor)) return reactor;
  const std::string ns = Namespace(request->namespace_());
  if (FinishedWithError(reactor, CheckName("graph_name", request->graph_name()))) return reactor;
  pool_.Submit([=] {
    absl::StatusOr<v1::Graph> graph = ReadGraph(ns, request->graph_name());
    if (graph.ok()) *response = std::move(*graph);
    reactor->Finish(ToGrpcStatus(ForCaller(graph.status())));
  });
  return reactor;
}

grpc::ServerUnaryReactor* GraphsService::TriggerRun(grpc::CallbackServerContext* context,
                                                    const v1::TriggerRunRequest* request,
                                                    v1::TriggerRunResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Unauthenticated(context, reactor)) return reactor;
  const std::string ns = Namespace(request->namespace_());
  if (FinishedWithError(reactor, CheckName("graph_name", request->graph_name()))) return reactor;
  pool_.Submit([=] {
    absl::StatusOr<std::string> run_id =
        client_.TriggerRun(ns, request->graph_name(), TriggerBody(*request));
    if (!run_id.ok()) {
      reactor->Finish(ToGrpcStatus(Reclassify400(run_id.status())));
      return;
    }
    response->set_run_id(*run_id);
    if (on_trigger_) on_trigger_(ns);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* GraphsService::ListRuns(grpc::CallbackServerContext* context,
                                                  const v1::ListRunsRequest* request,
                                                  v1::ListRunsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Unauthenticated(context, reactor)) return reactor;
  const std::string ns = Namespace(request->namespace_());
  const uint32_t page = request->page() == 0 ? 1 : request->page();
  const uint32_t size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  if (size > kMaxPageSize) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 absl::StrCat("page_size must be at most ", kMaxPageSize)));
    return reactor;
  }
  pool_.Submit([=] {
    absl::StatusOr<json::Json> document =
        client_.ListRuns(ns, static_cast<int>(page), static_cast<int>(size));
    if (!document.ok()) {
      reactor->Finish(ToGrpcStatus(ForCaller(document.status())));
      return;
    }
    absl::StatusOr<v1::ListRunsResponse> runs = RunsFromJson(*document);
    if (runs.ok()) *response = std::move(*runs);
    reactor->Finish(ToGrpcStatus(ForCaller(runs.status())));
  });
  return reactor;
}

grpc::ServerUnaryReactor* GraphsService::GetRunStates(grpc::CallbackServerContext* context,
                                                      const v1::GetRunStatesRequest* request,
                                                      v1::RunStates* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Unauthenticated(context, reactor)) return reactor;
  const std::string ns = Namespace(request->namespace_());
  pool_.Submit([=] {
    absl::StatusOr<json::Json> document = client_.GetRunGraph(ns, request->run_id());
    if (!document.ok()) {
      reactor->Finish(ToGrpcStatus(ForCaller(document.status())));
      return;
    }
    absl::StatusOr<v1::RunStates> states = RunStatesFromJson(*document, request->run_id());
    absl::Status status = states.status();
    if (status.ok() && states->states().empty()) {
      status = absl::NotFoundError(
          absl::StrCat("run \"", request->run_id(), "\" has no states in namespace \"", ns, "\""));
    }
    if (status.ok() && request->include_details()) status = FetchDetails(ns, *states);
    if (status.ok()) *response = *std::move(states);
    reactor->Finish(ToGrpcStatus(ForCaller(status)));
  });
  return reactor;
}

grpc::ServerUnaryReactor* GraphsService::WaitForRun(grpc::CallbackServerContext* context,
                                                    const v1::WaitForRunRequest* request,
                                                    v1::RunStates* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (Unauthenticated(context, reactor)) return reactor;
  const std::string ns = Namespace(request->namespace_());
  const absl::Duration timeout = request->timeout_ms() > 0
                                     ? absl::Milliseconds(request->timeout_ms())
                                     : options_.default_run_timeout;
  // The state manager creates a unite state only after the states before it are marked
  // SUCCESS, so "nothing pending" must be seen twice in a row before the run counts as done.
  auto settled_checks = std::make_shared<int>(0);
  pool_.Submit([=] {
    Repeat(
        context, reactor, scheduler_.clock().Now() + timeout,
        [=]() {
          absl::StatusOr<json::Json> document = client_.GetRunGraph(ns, request->run_id());
          if (!document.ok()) {
            reactor->Finish(ToGrpcStatus(ForCaller(document.status())));
            return true;
          }
          absl::StatusOr<v1::RunStates> states = RunStatesFromJson(*document, request->run_id());
          if (!states.ok()) {
            reactor->Finish(ToGrpcStatus(states.status()));
            return true;
          }
          if (states->states().empty()) {
            reactor->Finish(
                grpc::Status(grpc::StatusCode::NOT_FOUND,
                             absl::StrCat("run \"", request->run_id(),
                                          "\" has no states in namespace \"", ns, "\"")));
            return true;
          }
          if (states->status() == v1::RUN_STATUS_PENDING) {
            *settled_checks = 0;
            return false;
          }
          if (++*settled_checks < 2) return false;
          absl::Status status = FetchDetails(ns, *states);
          if (status.ok()) *response = *std::move(states);
          reactor->Finish(ToGrpcStatus(ForCaller(status)));
          return true;
        },
        absl::StrCat("run \"", request->run_id(), "\" did not finish within ",
                     absl::ToInt64Milliseconds(timeout), " ms"),
        options_.min_check_interval);
  });
  return reactor;
}

}  // namespace exosphere::sidecar
