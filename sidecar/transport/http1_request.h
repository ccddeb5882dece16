#ifndef EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_REQUEST_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/transport/http_client.h"
#include <sys/socket.h>

namespace exosphere::sidecar {

// What PlainHttpClient's two paths (the blocking Send and the event loop behind SendAsync) share
// to put a request on the wire: where it goes, its head, and the addresses to connect to.

// Where a request goes, read off its `http://` URL.
struct Http1Target {
  std::string host;  // without the brackets of an IPv6 literal
  uint16_t port = 80;
  std::string origin;  // host[:port] as written: the Host header and the connection pool's key
  std::string path;    // origin-form request target, "/" when the URL has none
};

// kInvalidArgument for anything but a well-formed `http://` URL.
absl::StatusOr<Http1Target> ParseHttp1Target(const HttpRequest& request);

// The request line and the headers, ending with the blank line. kInvalidArgument for a header
// that would break the framing; the message names the header, never its value (the API key
// travels in one).
absl::StatusOr<std::string> BuildHttp1Head(const HttpRequest& request, const Http1Target& target,
                                           absl::string_view user_agent);

// `what`, prefixed with the request's method and URL.
absl::Status Http1Error(const HttpRequest& request, absl::StatusCode code, absl::string_view what);

struct SocketAddress {
  sockaddr_storage address;
  socklen_t length;
};

// The host's addresses, in getaddrinfo's order; kUnavailable when it cannot be resolved. Blocks
// while the resolver works (no time at all for an IP literal or a name in /etc/hosts).
absl::StatusOr<std::vector<SocketAddress>> ResolveHttp1Target(const HttpRequest& request,
                                                              const Http1Target& target);

// Settings of every connection: no Nagle delay (a request is one write), keep-alive probes.
void TuneConnectedSocket(int fd);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_REQUEST_H_
