#include "devserver/cors.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace exosphere::devserver {
namespace {

// The server's allow_methods, in its order (Starlette joins them as given).
constexpr const char* kAllowedMethods[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
// Starlette answers with the sorted union of its always-safe headers (Accept, Accept-Language,
// Content-Language, Content-Type) and the server's allow_headers.
constexpr char kAllowHeaders[] =
    "Accept, Accept-Language, Authorization, Content-Language, Content-Type, X-API-Key, "
    "X-Exosphere-Request-ID, X-Requested-With";
constexpr char kExposeHeaders[] = "X-Exosphere-Request-ID";
constexpr char kMaxAge[] = "600";  // Starlette's default

void AddVaryOrigin(HttpResponse& response) {
  for (auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "vary")) {
      value += ", Origin";
      return;
    }
  }
  response.headers.emplace_back("Vary", "Origin");
}

bool IsAllowedHeader(absl::string_view requested) {
  const std::string header = absl::AsciiStrToLower(absl::StripAsciiWhitespace(requested));
  for (absl::string_view allowed : absl::StrSplit(kAllowHeaders, ", ")) {
    if (header == absl::AsciiStrToLower(allowed)) return true;
  }
  return false;
}

}  // namespace

Cors::Cors(std::vector<std::string> allowed_origins)
    : allowed_origins_(std::move(allowed_origins)),
      allow_all_origins_(std::find(allowed_origins_.begin(), allowed_origins_.end(), "*") !=
                         allowed_origins_.end()) {}

bool Cors::IsAllowedOrigin(const std::string& origin) const {
  return allow_all_origins_ || std::find(allowed_origins_.begin(), allowed_origins_.end(),
                                         origin) != allowed_origins_.end();
}

std::optional<HttpResponse> Cors::Preflight(const HttpRequest& request) const {
  const std::string* origin = request.Header("origin");
  const std::string* method = request.Header("access-control-request-method");
  if (request.method != "OPTIONS" || origin == nullptr || method == nullptr) return std::nullopt;

  HttpResponse response;
  response.content_type = "text/plain; charset=utf-8";
  // Credentials are allowed, so the origin is always echoed rather than "*".
  response.SetHeader("Vary", "Origin");
  response.SetHeader("Access-Control-Allow-Methods", absl::StrJoin(kAllowedMethods, ", "));
  response.SetHeader("Access-Control-Max-Age", kMaxAge);
  response.SetHeader("Access-Control-Allow-Headers", kAllowHeaders);
  response.SetHeader("Access-Control-Allow-Credentials", "true");

  std::vector<std::string> failures;
  if (IsAllowedOrigin(*origin)) {
    response.SetHeader("Access-Control-Allow-Origin", *origin);
  } else {
    failures.emplace_back("origin");
  }
  if (std::find(std::begin(kAllowedMethods), std::end(kAllowedMethods), *method) ==
      std::end(kAllowedMethods)) {
    failures.emplace_back("method");
  }
  if (const std::string* headers = request.Header("access-control-request-headers")) {
    for (absl::string_view requested : absl::StrSplit(*headers, ',')) {
      if (!IsAllowedHeader(requested)) {
        failures.emplace_back("headers");
        break;
      }
    }
  }
  if (failures.empty()) {
    response.status = 200;
    response.body = "OK";
  } else {
    response.status = 400;
    response.body = "Disallowed CORS " + absl::StrJoin(failures, ", ");
  }
  return response;
}

void Cors::Decorate(const HttpRequest& request, HttpResponse& response) const {
  const std::string* origin = request.Header("origin");
  if (origin == nullptr) return;
  if (allow_all_origins_) response.SetHeader("Access-Control-Allow-Origin", "*");
  response.SetHeader("Access-Control-Allow-Credentials", "true");
  response.SetHeader("Access-Control-Expose-Headers", kExposeHeaders);
  // A wildcard cannot be used with cookies; an allowed origin is echoed explicitly.
  const bool explicit_origin =
      allow_all_origins_ ? request.Header("cookie") != nullptr : IsAllowedOrigin(*origin);
  if (explicit_origin) {
    response.SetHeader("Access-Control-Allow-Origin", *origin);
    AddVaryOrigin(response);
  }
}

}  // namespace exosphere::devserver
