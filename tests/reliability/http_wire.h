#ifndef EXOSPHERE_TESTS_RELIABILITY_HTTP_WIRE_H_
#define EXOSPHERE_TESTS_RELIABILITY_HTTP_WIRE_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// HTTP/1.1 messages as the fault proxy sees them: parsed from a socket (Content-Length and
// chunked bodies) and written back with a Content-Length body. Hop-by-hop headers (Connection,
// Keep-Alive, Transfer-Encoding, Expect, ...) are dropped when a message is written: the proxy
// manages each side's connection itself.
namespace exosphere::reliability {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive).
std::optional<std::string> FindHeader(const HttpHeaders& headers, absl::string_view name);

struct HttpRequest {
  std::string method;
  std::string target;
  std::string version = "HTTP/1.1";
  HttpHeaders headers;
  std::string body;
  // Whether the request carried a body framing (Content-Length or Transfer-Encoding); a POST with
  // `Content-Length: 0` keeps its zero length when forwarded.
  bool has_body_framing = false;

  // Whether the client asked to close the connection after this exchange.
  bool WantsClose() const;
};

struct HttpResponse {
  std::string version = "HTTP/1.1";
  int status = 200;
  std::string reason = "OK";
  HttpHeaders headers;
  std::string body;
  // Whether the connection the response came on can carry another request.
  bool reusable = true;
};

// The request as sent upstream.
std::string SerializeRequest(const HttpRequest& request);
// The status line and headers of `response` for the client, declaring `content_length` (which
// may differ from the body: a truncation fault declares more than it sends). `close` adds
// `Connection: close`.
std::string SerializeResponseHead(const HttpResponse& response, size_t content_length, bool close);
std::string SerializeResponse(const HttpResponse& response, bool close);

// A response made up by the proxy: `status` with a JSON content type and `body`.
HttpResponse MakeResponse(int status, std::string body);
// The standard reason phrase of a status ("Service Unavailable"), or "Status".
std::string ReasonPhrase(int status);

// Reads consecutive HTTP/1.1 messages from one connection, keeping bytes read past a message for
// the next one. Errors: kUnavailable when the peer closed or reset the connection, kCancelled
// when `wake_fd` fires, kDeadlineExceeded, kInvalidArgument for a malformed message,
// kResourceExhausted for a head or body over the limits, kUnimplemented for a request
// transfer coding other than chunked. Not thread-safe; does not own the descriptors.
class HttpReader {
 public:
  struct Limits {
    size_t max_head_bytes = 64 * 1024;
    size_t max_body_bytes = 64 * 1024 * 1024;
  };

  HttpReader(int fd, int wake_fd, Limits limits);
  HttpReader(const HttpReader&) = delete;
  HttpReader& operator=(const HttpReader&) = delete;

  // Reads a request. When it carries `Expect: 100-continue`, calls `send_continue` after the head
  // and before reading the body (the client waits for it), failing with its error.
  absl::StatusOr<HttpRequest> ReadRequest(absl::Time deadline,
                                          const std::function<absl::Status()>& send_continue);
  // Reads a final response (1xx responses are skipped). `head_request`: the request was HEAD, so
  // the response has no body whatever its headers say.
  absl::StatusOr<HttpResponse> ReadResponse(absl::Time deadline, bool head_request);

  // Whether any byte of the message being (or last) read arrived: a reused upstream connection
  // that fails before any byte was most likely closed by the server while idle.
  bool received_any() const { return received_any_; }
  // Whether bytes past the last message are buffered (a server must not send any).
  bool has_buffered() const { return !buffer_.empty(); }

 private:
  // Reads more bytes into the buffer; kUnavailable on EOF.
  absl::Status Fill(absl::Time deadline);
  absl::StatusOr<std::string> ReadLine(absl::Time deadline);
  absl::StatusOr<std::string> ReadHead(absl::Time deadline);
  absl::StatusOr<std::string> ReadExactly(size_t count, absl::Time deadline);
  absl::StatusOr<std::string> ReadChunked(absl::Time deadline);
  absl::StatusOr<std::string> ReadUntilClose(absl::Time deadline);

  const int fd_;
  const int wake_fd_;
  const Limits limits_;
  std::string buffer_;
  bool received_any_ = false;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_HTTP_WIRE_H_
