#ifndef EXOSPHERE_SIDECAR_TRANSPORT_REST_GRAPH_API_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_REST_GRAPH_API_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/transport/graph_api_client.h"
#include "sidecar/transport/http_client.h"
#include "sidecar/transport/json_util.h"
#include "sidecar/transport/rest_transport.h"

namespace exosphere::sidecar {

// GraphApiClient over the v0 REST contract. Thread-safe if the HttpClient is; does not own the
// HttpClient.
class RestGraphApiClient final : public GraphApiClient {
 public:
  RestGraphApiClient(HttpClient& http, RestClientOptions options);

  absl::StatusOr<json::Json> UpsertGraph(absl::string_view ns, absl::string_view graph_name,
                                         const json::Json& body) override;
  absl::StatusOr<json::Json> GetGraph(absl::string_view ns, absl::string_view graph_name) override;
  absl::StatusOr<json::Json> ListGraphs(absl::string_view ns) override;
  absl::StatusOr<std::string> TriggerRun(absl::string_view ns, absl::string_view graph_name,
                                         const json::Json& body) override;
  absl::StatusOr<json::Json> ListRuns(absl::string_view ns, int page, int size) override;
  absl::StatusOr<json::Json> GetRunGraph(absl::string_view ns, absl::string_view run_id) override;
  absl::StatusOr<json::Json> GetNodeRunDetails(absl::string_view ns, absl::string_view graph_name,
                                               absl::string_view run_id,
                                               absl::string_view state_id) override;
  absl::StatusOr<json::Json> ListNodes(absl::string_view ns) override;
  absl::StatusOr<std::string> ManualRetry(absl::string_view ns, absl::string_view state_id,
                                          absl::string_view fanout_id) override;

 private:
  const RestTransport transport_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_REST_GRAPH_API_CLIENT_H_
