#ifndef EXOSPHERE_SIDECAR_TRANSPORT_REST_TRANSPORT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_REST_TRANSPORT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sidecar/transport/http_client.h"
#include "sidecar/transport/json_util.h"

namespace exosphere::sidecar {

// How the REST clients (RestStatesClient, RestGraphApiClient) reach the state manager.
struct RestClientOptions {
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

// The part of the v0 REST contract every call shares: building the request (URL, API key, JSON
// headers, timeout), sending it and mapping the HTTP outcome to a Status as StatesClient
// documents. An internal helper of the REST clients. Thread-safe if the HttpClient is; does not
// own the HttpClient.
class RestTransport {
 public:
  // How much of an error response may be quoted in a Status message.
  enum class Quote { kDetail, kNothing };
  // Whether a 2xx reply must carry a JSON body.
  enum class Reply { kJson, kIgnored };

  RestTransport(HttpClient& http, RestClientOptions options);

  // Sends the request and returns the parsed 2xx body (null for Reply::kIgnored), or the mapped
  // error. `timeout` zero means options.request_timeout. Blocks.
  absl::StatusOr<json::Json> Call(absl::string_view method, const std::string& path,
                                  absl::string_view endpoint, const json::Json* body, Quote quote,
                                  Reply reply = Reply::kJson,
                                  absl::Duration timeout = absl::ZeroDuration()) const;
  // The same without blocking; `done` runs on the HTTP client's thread.
  void CallAsync(absl::string_view method, std::string path, absl::string_view endpoint,
                 const json::Json* body, Quote quote, Reply reply,
                 std::function<void(absl::StatusOr<json::Json>)> done) const;
  // "/v0/namespace/{ns}" with `ns` escaped.
  std::string NamespacePath(absl::string_view ns) const;

 private:
  HttpRequest BuildRequest(absl::string_view method, const std::string& path,
                           const json::Json* body, absl::Duration timeout) const;
  // Maps the outcome of an exchange to the parsed body or a Status, and tells on_request.
  absl::StatusOr<json::Json> Interpret(absl::StatusOr<HttpResponse> sent, absl::string_view method,
                                       absl::string_view path, absl::string_view endpoint,
                                       absl::Duration latency, Quote quote, Reply reply) const;

  HttpClient& http_;
  const RestClientOptions options_;
  const std::string base_url_;
};

// Percent-encodes one path segment (RFC 3986 unreserved characters pass through).
std::string EscapePathSegment(absl::string_view segment);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_REST_TRANSPORT_H_
