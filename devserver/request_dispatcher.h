#ifndef EXOSPHERE_DEVSERVER_REQUEST_DISPATCHER_H_
#define EXOSPHERE_DEVSERVER_REQUEST_DISPATCHER_H_

#include <string>
#include <utility>

#include "devserver/cors.h"
#include "devserver/http_types.h"
#include "devserver/router.h"

namespace exosphere::devserver {

// Turns one HTTP request into its response, transport-independently, with the server's
// middleware stack: CORS outermost (preflights answered before anything else), then the
// request-id middleware (echo a valid `x-exosphere-request-id`, else a new UUID4), Starlette's
// routing outcomes (404 {"detail":"Not Found"}, 405 {"detail":"Method Not Allowed"} with Allow,
// 307 to the other trailing-slash form), and a last-resort generic 500 if a handler throws.
// Thread-safe; `router` must outlive it.
class RequestDispatcher {
 public:
  explicit RequestDispatcher(const Router& router, Cors cors = Cors({}))
      : router_(router), cors_(std::move(cors)) {}

  HttpResponse Dispatch(const HttpRequest& request) const;
  // Adds what the middleware adds to every non-preflight response (request id, CORS headers);
  // for responses the transport makes itself (413, unreadable bodies).
  void Decorate(const HttpRequest& request, HttpResponse& response) const;

  // The id the server attaches to `request`'s response.
  static std::string RequestId(const HttpRequest& request);

 private:
  HttpResponse Route(const HttpRequest& request) const;

  const Router& router_;
  const Cors cors_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_REQUEST_DISPATCHER_H_
