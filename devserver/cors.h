#ifndef EXOSPHERE_DEVSERVER_CORS_H_
#define EXOSPHERE_DEVSERVER_CORS_H_

#include <optional>
#include <string>
#include <vector>

#include "devserver/http_types.h"

namespace exosphere::devserver {

// The state manager's CORS middleware (Starlette's CORSMiddleware, outermost, configured by its
// cors.py): the given origins ("*" for any), credentials allowed, methods GET, POST, PUT, DELETE,
// OPTIONS and PATCH, the request headers a browser app needs (X-API-Key, Content-Type,
// X-Exosphere-Request-ID, ...), and X-Exosphere-Request-ID exposed. Immutable; thread-safe.
class Cors {
 public:
  explicit Cors(std::vector<std::string> allowed_origins);

  // For a preflight (OPTIONS with Origin and Access-Control-Request-Method), Starlette's answer:
  // 200 "OK", or 400 "Disallowed CORS origin, method, headers" naming what failed, with the
  // Access-Control-Allow-* headers either way. The app never sees a preflight. nullopt otherwise.
  std::optional<HttpResponse> Preflight(const HttpRequest& request) const;
  // Adds the headers of an actual cross-origin response when `request` has an Origin:
  // credentials and exposed headers always, Access-Control-Allow-Origin and Vary for an allowed
  // origin only.
  void Decorate(const HttpRequest& request, HttpResponse& response) const;

 private:
  bool IsAllowedOrigin(const std::string& origin) const;

  const std::vector<std::string> allowed_origins_;
  const bool allow_all_origins_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_CORS_H_
