#ifndef EXOSPHERE_SIDECAR_REST_STATE_MANAGER_CLIENT_H_
#define EXOSPHERE_SIDECAR_REST_STATE_MANAGER_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sidecar/http_client.h"
#include "sidecar/state_manager_client.h"

namespace exosphere::sidecar {

struct RestStateManagerClientOptions {
  // e.g. "http://127.0.0.1:8000" (no trailing slash needed).
  std::string base_url;
  // Returns the current API key; called per request so that a rotated key is picked up.
  std::function<std::string()> api_key;
  // Per-request timeouts; claims and reports are short, graph calls may take longer.
  absl::Duration request_timeout = absl::Seconds(10);
  // Called after every exchange (on the calling thread) with the endpoint's name, the HTTP
  // status (0 when there was no response) and the latency; for metrics and readiness.
  std::function<void(absl::string_view endpoint, int status, absl::Duration latency)> on_request;
};

// StateManagerClient over the v0 REST contract. Thread-safe if the HttpClient is; does not own
// the HttpClient.
class RestStateManagerClient final : public StateManagerClient {
 public:
  RestStateManagerClient(HttpClient& http, RestStateManagerClientOptions options);

  absl::Status RegisterNodes(absl::string_view ns, absl::string_view runtime_name,
                             const std::vector<NodeRegistration>& nodes) override;
  absl::StatusOr<std::vector<ClaimedState>> ClaimStates(absl::string_view ns,
                                                        const std::vector<std::string>& node_names,
                                                        int batch_size) override;
  absl::StatusOr<json::StringMap> GetSecrets(absl::string_view ns,
                                             absl::string_view state_id) override;
  absl::Status SendReport(absl::string_view ns, const Report& report) override;
  void SendReportAsync(absl::string_view ns, const Report& report,
                       std::function<void(absl::Status)> done) override;
  void GetSecretsAsync(absl::string_view ns, absl::string_view state_id,
                       std::function<void(absl::StatusOr<json::StringMap>)> done) override;
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
  absl::Status CheckHealth(absl::Duration timeout) override;
  absl::StatusOr<json::Json> ListNodes(absl::string_view ns) override;
  absl::StatusOr<std::string> ManualRetry(absl::string_view ns, absl::string_view state_id,
                                          absl::string_view fanout_id) override;

 private:
  // How much of an error response may be quoted in a Status message.
  enum class Quote { kDetail, kNothing };

  // Whether a 2xx reply must carry a JSON body.
  enum class Reply { kJson, kIgnored };

  // Sends the request and returns the parsed 2xx body (null for Reply::kIgnored), or the mapped
  // error.
  absl::StatusOr<json::Json> Call(absl::string_view method, const std::string& path,
                                  absl::string_view endpoint, const json::Json* body, Quote quote,
                                  Reply reply = Reply::kJson,
                                  absl::Duration timeout = absl::ZeroDuration());
  // The same without blocking; `done` runs on the HTTP client's thread.
  void CallAsync(absl::string_view method, std::string path, absl::string_view endpoint,
                 const json::Json* body, Quote quote, Reply reply,
                 std::function<void(absl::StatusOr<json::Json>)> done);
  HttpRequest BuildRequest(absl::string_view method, const std::string& path,
                           const json::Json* body, absl::Duration timeout) const;
  // Maps the outcome of an exchange to the parsed body or a Status, and tells on_request.
  absl::StatusOr<json::Json> Interpret(absl::StatusOr<HttpResponse> sent, absl::string_view method,
                                       absl::string_view path, absl::string_view endpoint,
                                       absl::Duration latency, Quote quote, Reply reply) const;
  std::string NamespacePath(absl::string_view ns) const;

  HttpClient& http_;
  const RestStateManagerClientOptions options_;
  const std::string base_url_;
};

// Percent-encodes one path segment (RFC 3986 unreserved characters pass through).
std::string EscapePathSegment(absl::string_view segment);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_REST_STATE_MANAGER_CLIENT_H_
