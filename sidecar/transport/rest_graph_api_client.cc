#include "sidecar/transport/rest_graph_api_client.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/status_macros.h"

namespace exosphere::sidecar {
namespace {

using Quote = RestTransport::Quote;

}  // namespace

RestGraphApiClient::RestGraphApiClient(HttpClient& http, RestClientOptions options)
    : transport_(http, std::move(options)) {}

absl::StatusOr<json::Json> RestGraphApiClient::UpsertGraph(absl::string_view ns,
                                                           absl::string_view graph_name,
                                                           const json::Json& body) {
  return transport_.Call(
      "PUT", absl::StrCat(transport_.NamespacePath(ns), "/graph/", EscapePathSegment(graph_name)),
      "upsert_graph", &body, Quote::kDetail);
}

absl::StatusOr<json::Json> RestGraphApiClient::GetGraph(absl::string_view ns,
                                                        absl::string_view graph_name) {
  return transport_.Call(
      "GET", absl::StrCat(transport_.NamespacePath(ns), "/graph/", EscapePathSegment(graph_name)),
      "get_graph", nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestGraphApiClient::ListGraphs(absl::string_view ns) {
  return transport_.Call("GET", transport_.NamespacePath(ns) + "/graphs/", "list_graphs", nullptr,
                         Quote::kDetail);
}

absl::StatusOr<std::string> RestGraphApiClient::TriggerRun(absl::string_view ns,
                                                           absl::string_view graph_name,
                                                           const json::Json& body) {
  const std::string path = absl::StrCat(transport_.NamespacePath(ns), "/graph/",
                                        EscapePathSegment(graph_name), "/trigger");
  EXO_ASSIGN_OR_RETURN(json::Json reply,
                       transport_.Call("POST", path, "trigger", &body, Quote::kDetail));
  absl::StatusOr<std::string> run_id =
      json::GetString(reply, "run_id", "POST " + path + " response");
  if (!run_id.ok()) return absl::InternalError(run_id.status().message());
  return run_id;
}

absl::StatusOr<json::Json> RestGraphApiClient::ListRuns(absl::string_view ns, int page, int size) {
  return transport_.Call("GET",
                         absl::StrCat(transport_.NamespacePath(ns), "/runs/", page, "/", size),
                         "list_runs", nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestGraphApiClient::GetRunGraph(absl::string_view ns,
                                                           absl::string_view run_id) {
  return transport_.Call("GET",
                         absl::StrCat(transport_.NamespacePath(ns), "/states/run/",
                                      EscapePathSegment(run_id), "/graph"),
                         "run_graph", nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestGraphApiClient::GetNodeRunDetails(absl::string_view ns,
                                                                 absl::string_view graph_name,
                                                                 absl::string_view run_id,
                                                                 absl::string_view state_id) {
  return transport_.Call(
      "GET",
      absl::StrCat(transport_.NamespacePath(ns), "/graph/", EscapePathSegment(graph_name), "/run/",
                   EscapePathSegment(run_id), "/node/", EscapePathSegment(state_id)),
      "node_details", nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestGraphApiClient::ListNodes(absl::string_view ns) {
  return transport_.Call("GET", transport_.NamespacePath(ns) + "/nodes/", "list_nodes", nullptr,
                         Quote::kDetail);
}

absl::StatusOr<std::string> RestGraphApiClient::ManualRetry(absl::string_view ns,
                                                            absl::string_view state_id,
                                                            absl::string_view fanout_id) {
  const std::string path = absl::StrCat(transport_.NamespacePath(ns), "/state/",
                                        EscapePathSegment(state_id), "/manual-retry");
  const json::Json body = {{"fanout_id", std::string(fanout_id)}};
  EXO_ASSIGN_OR_RETURN(json::Json reply,
                       transport_.Call("POST", path, "manual_retry", &body, Quote::kDetail));
  absl::StatusOr<std::string> id = json::GetString(reply, "id", "POST " + path + " response");
  if (!id.ok()) return absl::InternalError(id.status().message());
  return id;
}

}  // namespace exosphere::sidecar
