#ifndef EXOSPHERE_SIDECAR_HTTP_CLIENT_H_
#define EXOSPHERE_SIDECAR_HTTP_CLIENT_H_

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

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Sends one HTTP request and returns the response, whatever its status code. Implementations are
// thread-safe and block the calling thread.
//
// Errors: kUnavailable when the server cannot be reached or the connection breaks,
// kDeadlineExceeded when the request times out, kResourceExhausted when the response body is
// larger than the client's limit, kInvalidArgument for a malformed request. Messages never
// contain header values (the API key travels in a header).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_HTTP_CLIENT_H_
