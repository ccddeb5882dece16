#include "devserver/http_types.h"

#include "absl/strings/match.h"

namespace exosphere::devserver {

const std::string* HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

HttpResponse HttpResponse::WithJson(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.body = DumpJson(body);
  return response;
}

void HttpResponse::SetHeader(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace exosphere::devserver
