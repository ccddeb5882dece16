#ifndef EXOSPHERE_SIDECAR_TRANSPORT_HTTP_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_HTTP_CLIENT_H_

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace exosphere::sidecar {

struct HttpRequest {
  std::string method;  // "GET", "PUT", "POST"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Total time allowed for the exchange; zero means the client's default.
  absl::Duration timeout = absl::ZeroDuration();
};

// What every HttpClient implementation takes.
struct HttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // Keep-alive connections serving SendAsync (CurlHttpClient: one thread each; PlainHttpClient:
  // one event-loop thread for all): at most this many asynchronous requests run at once and the
  // rest wait in order.
  int max_connections = 8;
  // Responses larger than this fail with kResourceExhausted instead of growing memory.
  size_t max_response_bytes = 64 << 20;
  std::string user_agent = "exosphere-sidecar";
  // A kept-alive connection idle longer than this is closed instead of reused. A server closes
  // an idle connection after its own keep-alive timeout (uvicorn: 5 s; gunicorn with uvicorn
  // workers: 2 s); a request sent as it does so dies with the connection before any answer, and
  // the client re-sends it on a new one, so a claim can be applied twice and strand the states
  // of the first (RELIABILITY.md, "Limits"). Keep it below the server's timeout, with a margin
  // for the round trip. absl::InfiniteDuration(): no limit of ours (libcurl keeps its own,
  // 118 s; PlainHttpClient has none).
  absl::Duration max_idle = absl::Milliseconds(1500);
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // How many times the request went out. More than 1 when the transport re-sent it on a fresh
  // connection because the reused one closed before any answer (libcurl does so on its own): the
  // server may then have applied the first send and answered only the last.
  int sends = 1;
};

// Sends HTTP requests and returns the responses, whatever their status codes. Implementations
// are thread-safe.
//
// Errors: kUnavailable when the server cannot be reached or the connection breaks,
// kDeadlineExceeded when the request times out, kResourceExhausted when the response body is
// larger than the client's limit, kInvalidArgument for a malformed request, kCancelled when the
// client shuts down first. Messages never contain header values (the API key travels in one).
class HttpClient {
 public:
  using Callback = std::function<void(absl::StatusOr<HttpResponse>)>;

  virtual ~HttpClient() = default;
  // Blocks the calling thread until the exchange ends.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
  // Returns at once; `done` runs exactly once when the exchange ends, on a thread of the client
  // (it must be quick and must not call Send), or on the calling thread if the client cannot
  // take the request.
  virtual void SendAsync(HttpRequest request, Callback done) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_HTTP_CLIENT_H_
