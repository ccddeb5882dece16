#ifndef EXOSPHERE_DEVSERVER_HTTP_TYPES_H_
#define EXOSPHERE_DEVSERVER_HTTP_TYPES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

#include "devserver/json.h"

// Transport-neutral HTTP request and response values, so that routing and the API can be tested
// without sockets. Value types; thread-compatible.
namespace exosphere::devserver {

struct HttpRequest {
  std::string method;
  std::string path;   // percent-decoded
  std::string query;  // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Authority for absolute redirect URLs (the Host header, else the local address).
  std::string host;

  // The first header named `name` (case-insensitive), or nullptr.
  const std::string* Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse WithJson(int status, const Json& body);
  void SetHeader(std::string name, std::string value);
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_HTTP_TYPES_H_
