#include "sidecar/transport/http1_request.h"

#include <netdb.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace exosphere::sidecar {
namespace {

bool HasLineBreakOrNul(absl::string_view text) {
  return text.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos;
}

}  // namespace

absl::Status Http1Error(const HttpRequest& request, absl::StatusCode code, absl::string_view what) {
  return absl::Status(code, absl::StrCat(request.method, " ", request.url, ": ", what));
}

absl::StatusOr<Http1Target> ParseHttp1Target(const HttpRequest& request) {
  absl::string_view url = request.url;
  if (!absl::StartsWithIgnoreCase(url, "http://")) {
    return Http1Error(request, absl::StatusCode::kInvalidArgument,
                      "only http:// URLs are supported by this client");
  }
  url.remove_prefix(7);
  url = url.substr(0, url.find('#'));
  const size_t path_at = url.find_first_of("/?");
  const absl::string_view authority = url.substr(0, path_at);
  const absl::string_view path = path_at == absl::string_view::npos ? "/" : url.substr(path_at);
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return Http1Error(request, absl::StatusCode::kInvalidArgument, "malformed URL");
    }
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty() && !absl::ConsumePrefix(&port, ":")) {
      return Http1Error(request, absl::StatusCode::kInvalidArgument, "malformed URL");
    }
  } else if (const size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  int port_number = 80;
  if (host.empty() || absl::StrContains(authority, '@') ||
      (!port.empty() &&
       (!absl::SimpleAtoi(port, &port_number) || port_number < 1 || port_number > 65535)) ||
      HasLineBreakOrNul(url) || absl::StrContains(url, ' ')) {
    return Http1Error(request, absl::StatusCode::kInvalidArgument, "malformed URL");
  }
  if (absl::StartsWith(path, "?")) {
    return Http1Error(request, absl::StatusCode::kInvalidArgument, "malformed URL (no path)");
  }
  Http1Target target;
  target.host = std::string(host);
  target.port = static_cast<uint16_t>(port_number);
  target.origin = std::string(authority);
  target.path = std::string(path);
  return target;
}

absl::StatusOr<std::string> BuildHttp1Head(const HttpRequest& request, const Http1Target& target,
                                           absl::string_view user_agent) {
  std::string head;
  head.reserve(192);
  absl::StrAppend(&head, request.method, " ", target.path, " HTTP/1.1\r\nHost: ", target.origin,
                  "\r\nUser-Agent: ", user_agent, "\r\n");
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreakOrNul(name) || HasLineBreakOrNul(value) ||
        absl::StrContains(name, ':')) {
      // The value is not quoted: the API key travels in a header.
      return Http1Error(
          request, absl::StatusCode::kInvalidArgument,
          absl::StrCat("malformed header '", HasLineBreakOrNul(name) ? "" : name, "'"));
    }
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    absl::StrAppend(&head, "Content-Length: ", request.body.size(), "\r\n");
  }
  head.append("\r\n");
  return head;
}

absl::StatusOr<std::vector<SocketAddress>> ResolveHttp1Target(const HttpRequest& request,
                                                              const Http1Target& target) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int resolved =
          getaddrinfo(target.host.c_str(), absl::StrCat(target.port).c_str(), &hints, &found);
      resolved != 0) {
    return Http1Error(request, absl::StatusCode::kUnavailable,
                      absl::StrCat("cannot resolve '", target.host, "': ", gai_strerror(resolved)));
  }
  std::vector<SocketAddress> addresses;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    if (address->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress copy{};
    std::memcpy(&copy.address, address->ai_addr, address->ai_addrlen);
    copy.length = address->ai_addrlen;
    addresses.push_back(copy);
  }
  freeaddrinfo(found);
  if (addresses.empty()) {
    return Http1Error(request, absl::StatusCode::kUnavailable,
                      absl::StrCat("cannot resolve '", target.host, "': no address"));
  }
  return addresses;
}

void TuneConnectedSocket(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

}  // namespace exosphere::sidecar
