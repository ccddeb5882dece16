#ifndef EXOSPHERE_DEVSERVER_API_H_
#define EXOSPHERE_DEVSERVER_API_H_

#include <functional>
#include <string>

#include "absl/status/status.h"

#include "devserver/field_reader.h"
#include "devserver/graph_service.h"
#include "devserver/http_types.h"
#include "devserver/inspection_service.h"
#include "devserver/json.h"
#include "devserver/router.h"
#include "devserver/run_service.h"
#include "devserver/state_service.h"
#include "devserver/validation_errors.h"

namespace exosphere::devserver {

// The state manager's v0 REST API on top of the services: registers every route of contract
// sections 1.6, 2 and 5 and runs FastAPI's request pipeline for each: (1) decode a JSON body
// (JSON when the Content-Type is JSON or missing; malformed JSON is a 422 `json_invalid` even
// without a key), (2) check
// `x-api-key` (401), (3) validate path parameters and body (422), (4) call the service and map its
// Status to the response. Thread-safe once registered.
class Api {
 public:
  // The services must outlive the Api.
  Api(std::string api_key, GraphService& graphs, RunService& runs, StateService& states,
      InspectionService& inspection);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Every route of the API, /openapi.json and /docs included.
  void Register(Router& router);

  // The response for a Status from a service: kInvalidArgument/kFailedPrecondition 400,
  // kUnauthenticated 401, kNotFound 404, kAlreadyExists 409, anything else the generic 500.
  static HttpResponse StatusResponse(const absl::Status& status);
  // The state manager's generic 500 body.
  static HttpResponse InternalErrorResponse();

  // One request inside the pipeline: the decoded body, path parameters and collected errors.
  class Call {
   public:
    Call(const Router::Params& params, Json body, bool body_present)
        : params_(params), body_(std::move(body)), body_present_(body_present), reader_(errors_) {}

    const std::string& Param(const std::string& name) const { return params_.at(name); }
    // An integer path parameter (422 `int_parsing` recorded when it is not one).
    std::optional<int64_t> IntParam(const std::string& name);
    // The body, or nullptr after recording `missing` when the request had none.
    const Json* Body();
    FieldReader& reader() { return reader_; }
    bool has_errors() const { return !errors_.empty(); }
    HttpResponse ValidationFailure() const;

   private:
    const Router::Params& params_;
    Json body_;
    bool body_present_;
    ValidationErrors errors_;
    FieldReader reader_;
  };

 private:
  using Handler = std::function<HttpResponse(Call&)>;
  // Wraps `handler` in the pipeline. `has_body`: the route declares a JSON body.
  Router::Handler Route(bool has_body, Handler handler) const;

  const std::string api_key_;
  GraphService& graphs_;
  RunService& runs_;
  StateService& states_;
  InspectionService& inspection_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_API_H_
