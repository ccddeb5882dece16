#include "sidecar/transport/rest_transport.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

#include "common/status_macros.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {
namespace {

constexpr size_t kMaxQuotedDetail = 300;

// The text a user needs from an error body: FastAPI's `detail` string, or the `loc: msg` items
// of a 422 validation error.
std::string DetailOf(const std::string& body) {
  const json::Json parsed = json::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return "";
  auto it = parsed.find("detail");
  if (it == parsed.end()) return "";
  if (it->is_string()) return it->get<std::string>().substr(0, kMaxQuotedDetail);
  if (!it->is_array()) return "";
  std::vector<std::string> items;
  for (const json::Json& item : *it) {
    if (!item.is_object()) continue;
    std::vector<std::string> location;
    if (auto loc = item.find("loc"); loc != item.end() && loc->is_array()) {
      for (const json::Json& part : *loc) {
        location.push_back(part.is_string() ? part.get<std::string>() : json::Dump(part));
      }
    }
    const auto msg = item.find("msg");
    items.push_back(
        absl::StrCat(absl::StrJoin(location, "."), ": ",
                     msg != item.end() && msg->is_string() ? msg->get<std::string>() : "invalid"));
  }
  return absl::StrJoin(items, "; ").substr(0, kMaxQuotedDetail);
}

absl::Status HttpStatusError(int status, const std::string& what, const std::string& detail) {
  const std::string message =
      absl::StrCat(what, ": HTTP ", status, detail.empty() ? "" : ": ", detail);
  if (status >= 500) return absl::UnavailableError(message);
  switch (status) {
    case 400:
      return absl::FailedPreconditionError(message);
    case 401:
    case 403:
      return absl::UnauthenticatedError(
          absl::StrCat(message, " (the state manager refused the API key)"));
    case 404:
      return absl::NotFoundError(message);
    case 408:
      return absl::DeadlineExceededError(message);
    case 409:
      return absl::AlreadyExistsError(message);
    case 413:
    case 422:
      return absl::InvalidArgumentError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnknownError(message);
  }
}

}  // namespace

std::string EscapePathSegment(absl::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (unsigned char c : segment) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

RestTransport::RestTransport(HttpClient& http, RestClientOptions options)
    : http_(http),
      options_(std::move(options)),
      base_url_(std::string(absl::StripSuffix(options_.base_url, "/"))) {}

std::string RestTransport::NamespacePath(absl::string_view ns) const {
  return absl::StrCat("/v0/namespace/", EscapePathSegment(ns));
}

HttpRequest RestTransport::BuildRequest(absl::string_view method, const std::string& path,
                                        const json::Json* body, absl::Duration timeout) const {
  HttpRequest request;
  request.method = std::string(method);
  request.url = base_url_ + path;
  request.timeout = timeout > absl::ZeroDuration() ? timeout : options_.request_timeout;
  request.headers.reserve(3);
  request.headers.emplace_back("x-api-key", options_.api_key ? options_.api_key() : "");
  request.headers.emplace_back("Accept", "application/json");
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = json::Dump(*body);
  }
  return request;
}

absl::StatusOr<json::Json> RestTransport::Interpret(
    absl::StatusOr<HttpResponse> sent, absl::string_view method, absl::string_view path,
    absl::string_view endpoint, absl::Duration latency, Quote quote, Reply reply) const {
  if (options_.on_request) options_.on_request(endpoint, sent.ok() ? sent->status : 0, latency);
  EXO_ASSIGN_OR_RETURN(HttpResponse response, std::move(sent));
  if (response.status < 200 || response.status >= 300) {
    const std::string detail = quote == Quote::kDetail ? DetailOf(response.body) : "";
    absl::Status error = HttpStatusError(response.status, absl::StrCat(method, " ", path), detail);
    if (response.sends > 1) {
      error = absl::Status(error.code(),
                           absl::StrCat(error.message(), " (the request was sent ", response.sends,
                                        " times: the connection closed before the first answer)"));
      error.SetPayload(kRequestResentPayload, absl::Cord());
    }
    // Classified here, where the reply is read, so that nobody downstream parses messages.
    if (response.status == 400 && (absl::StrContains(detail, "not queued") ||
                                   absl::StrContains(detail, "already executed"))) {
      error.SetPayload(kStateNotQueuedPayload, absl::Cord());
    }
    return error;
  }
  // A report is applied once the server said 2xx, whatever the body looks like.
  if (reply == Reply::kIgnored) return json::Json();
  json::Json parsed = json::Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError(absl::StrCat(method, " ", path, ": HTTP ", response.status,
                                            " with a body that is not JSON (", response.body.size(),
                                            " bytes)"));
  }
  return parsed;
}

absl::StatusOr<json::Json> RestTransport::Call(absl::string_view method, const std::string& path,
                                               absl::string_view endpoint, const json::Json* body,
                                               Quote quote, Reply reply,
                                               absl::Duration timeout) const {
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> sent = http_.Send(BuildRequest(method, path, body, timeout));
  return Interpret(std::move(sent), method, path, endpoint, absl::Now() - start, quote, reply);
}

void RestTransport::CallAsync(absl::string_view method, std::string path,
                              absl::string_view endpoint, const json::Json* body, Quote quote,
                              Reply reply,
                              std::function<void(absl::StatusOr<json::Json>)> done) const {
  const absl::Time start = absl::Now();
  HttpRequest request = BuildRequest(method, path, body, absl::ZeroDuration());
  http_.SendAsync(std::move(request), [this, method = std::string(method), path = std::move(path),
                                       endpoint = std::string(endpoint), quote, reply, start,
                                       done = std::move(done)](absl::StatusOr<HttpResponse> sent) {
    done(Interpret(std::move(sent), method, path, endpoint, absl::Now() - start, quote, reply));
  });
}

}  // namespace exosphere::sidecar
