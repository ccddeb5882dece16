#include "devserver/router.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace exosphere::devserver {
namespace {

std::vector<absl::string_view> Segments(absl::string_view path) {
  return absl::StrSplit(path, '/');
}

bool IsParameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Add(std::string method, absl::string_view pattern, Handler handler, bool in_schema) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::string(pattern);
  route.in_schema = in_schema;
  for (absl::string_view segment : Segments(pattern)) route.segments.emplace_back(segment);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

std::vector<Router::RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> routes;
  routes.reserve(routes_.size());
  for (const Route& route : routes_) {
    routes.push_back({route.method, route.pattern, route.in_schema});
  }
  return routes;
}

bool Router::MatchPath(const Route& route, const std::vector<absl::string_view>& segments,
                       Params* params) {
  if (route.segments.size() != segments.size()) return false;
  Params found;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    if (IsParameter(expected)) {
      if (segments[i].empty()) return false;
      found[expected.substr(1, expected.size() - 2)] = std::string(segments[i]);
    } else if (expected != segments[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

Router::Match Router::Find(absl::string_view method, absl::string_view path) const {
  Match match;
  const std::vector<absl::string_view> segments = Segments(path);
  for (const Route& route : routes_) {
    Params params;
    if (!MatchPath(route, segments, &params)) continue;
    if (route.method == method) {
      match.kind = Match::Kind::kFound;
      match.handler = &route.handler;
      match.params = std::move(params);
      return match;
    }
    match.kind = Match::Kind::kMethodNotAllowed;
    match.allowed_methods.push_back(route.method);
  }
  if (match.kind == Match::Kind::kMethodNotAllowed) return match;
  if (path != "/") {
    std::string other(path);
    if (absl::EndsWith(path, "/")) {
      while (!other.empty() && other.back() == '/') other.pop_back();
    } else {
      other.push_back('/');
    }
    const std::vector<absl::string_view> other_segments = Segments(other);
    for (const Route& route : routes_) {
      if (MatchPath(route, other_segments, nullptr)) {
        match.kind = Match::Kind::kRedirect;
        match.redirect_path = other;
        return match;
      }
    }
  }
  match.kind = Match::Kind::kNotFound;
  return match;
}

}  // namespace exosphere::devserver
