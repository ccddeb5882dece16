#ifndef EXOSPHERE_DEVSERVER_ROUTER_H_
#define EXOSPHERE_DEVSERVER_ROUTER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "devserver/http_types.h"

namespace exosphere::devserver {

// Starlette-style routing: patterns like "/v0/namespace/{namespace}/graph/{graph_name}" where a
// `{param}` matches one non-empty path segment. Find() reproduces Starlette's outcomes: the first
// route matching path and method; else 405 when some route matches the path only; else a 307 to
// the other trailing-slash form when that form matches some route (`redirect_slashes`); else
// 404. Routes are added before serving; Find() is then thread-safe.
class Router {
 public:
  using Params = std::map<std::string, std::string>;
  using Handler = std::function<HttpResponse(const HttpRequest&, const Params&)>;

  struct Match {
    enum class Kind { kFound, kMethodNotAllowed, kRedirect, kNotFound };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;
    Params params;
    std::vector<std::string> allowed_methods;  // kMethodNotAllowed
    std::string redirect_path;                 // kRedirect
  };

  // One registered route, for documentation: FastAPI leaves its own /openapi.json and /docs
  // routes out of the OpenAPI document (`in_schema` false).
  struct RouteInfo {
    std::string method;
    std::string pattern;
    bool in_schema = true;
  };

  void Add(std::string method, absl::string_view pattern, Handler handler, bool in_schema = true);
  Match Find(absl::string_view method, absl::string_view path) const;
  // Every route, in registration order.
  std::vector<RouteInfo> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    bool in_schema = true;
    std::vector<std::string> segments;  // "{name}" for parameters
    Handler handler;
  };
  static bool MatchPath(const Route& route, const std::vector<absl::string_view>& segments,
                        Params* params);

  std::vector<Route> routes_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_ROUTER_H_
