#include "devserver/request_dispatcher.h"

#include <exception>
#include <optional>

#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "common/log.h"
#include "devserver/api.h"
#include "devserver/response_json.h"

namespace exosphere::devserver {

std::string RequestDispatcher::RequestId(const HttpRequest& request) {
  const std::string* supplied = request.Header("x-exosphere-request-id");
  if (supplied != nullptr && ids::IsUuid(*supplied)) return *supplied;
  return ids::NewUuid4();
}

HttpResponse RequestDispatcher::Route(const HttpRequest& request) const {
  Router::Match match = router_.Find(request.method, request.path);
  switch (match.kind) {
    case Router::Match::Kind::kFound:
      return (*match.handler)(request, match.params);
    case Router::Match::Kind::kMethodNotAllowed: {
      HttpResponse response = HttpResponse::WithJson(405, DetailJson("Method Not Allowed"));
      // Starlette reports the methods of the first route whose path matched.
      response.SetHeader("Allow", match.allowed_methods.front());
      return response;
    }
    case Router::Match::Kind::kRedirect: {
      HttpResponse response;
      response.status = 307;
      response.content_type.clear();
      std::string location = absl::StrCat("http://", request.host, match.redirect_path);
      if (!request.query.empty()) absl::StrAppend(&location, "?", request.query);
      response.SetHeader("location", location);
      return response;
    }
    case Router::Match::Kind::kNotFound:
      break;
  }
  return HttpResponse::WithJson(404, DetailJson("Not Found"));
}

void RequestDispatcher::Decorate(const HttpRequest& request, HttpResponse& response) const {
  response.SetHeader("x-exosphere-request-id", RequestId(request));
  cors_.Decorate(request, response);
}

HttpResponse RequestDispatcher::Dispatch(const HttpRequest& request) const {
  if (std::optional<HttpResponse> preflight = cors_.Preflight(request)) return *preflight;
  HttpResponse response;
  // Our handlers do not throw, but a third-party library might; answer like the server's
  // unhandled-exception middleware instead of dropping the connection.
  try {
    response = Route(request);
  } catch (const std::exception& e) {
    EXO_LOG(kError, "handler_threw", e.what(), {{"path", request.path}});
    response = Api::InternalErrorResponse();
  } catch (...) {
    EXO_LOG(kError, "handler_threw", "non-standard exception", {{"path", request.path}});
    response = Api::InternalErrorResponse();
  }
  Decorate(request, response);
  return response;
}

}  // namespace exosphere::devserver
