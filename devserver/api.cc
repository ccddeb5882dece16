#include "devserver/api.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

#include "common/ids.h"
#include "devserver/graph_requests.h"
#include "devserver/openapi.h"
#include "devserver/python_json_decoder.h"
#include "devserver/response_json.h"
#include "devserver/state_requests.h"

namespace exosphere::devserver {
namespace {

constexpr char kInternalError[] =
    "internal server error, please reach out to support team at nivedit@exosphere.host";

// FastAPI 0.128 (the version the state manager's lock file pins) parses a body as JSON when the
// request has no Content-Type (or an empty one) or an application/json or application/*+json
// media type (parameters such as charset ignored, as email.message parses them); any other body
// stays raw bytes and fails validation. Strict checking of a missing header only came in 0.132.
bool IsJsonContentType(const std::string* header) {
  if (header == nullptr || header->empty()) return true;
  const absl::string_view media_type =
      absl::StripAsciiWhitespace(absl::string_view(*header).substr(0, header->find(';')));
  std::vector<std::string> parts = absl::StrSplit(absl::AsciiStrToLower(media_type), '/');
  if (parts.size() != 2) return false;
  const std::string maintype(absl::StripAsciiWhitespace(parts[0]));
  const std::string subtype(absl::StripAsciiWhitespace(parts[1]));
  return maintype == "application" && (subtype == "json" || absl::EndsWith(subtype, "+json"));
}

// Raw bytes end up in the 422 `input` as text (FastAPI's jsonable_encoder decodes them); invalid
// UTF-8 is replaced.
std::string BytesAsText(const std::string& body) {
  PythonJsonResult decoded = DecodePythonJson(DumpJson(Json(body)));
  return decoded.value.is_string() ? decoded.value.get<std::string>() : std::string();
}

// The state manager converts `state_id` with PydanticObjectId(...) inside the handler; a value
// that is not an ObjectId raises and becomes the generic 500.
std::optional<std::string> StateId(const Api::Call& call) {
  const std::string& raw = call.Param("state_id");
  if (!ids::IsObjectId(raw)) return std::nullopt;
  return absl::AsciiStrToLower(raw);
}

}  // namespace

Api::Api(std::string api_key, GraphService& graphs, RunService& runs, StateService& states,
         InspectionService& inspection)
    : api_key_(std::move(api_key)),
      graphs_(graphs),
      runs_(runs),
      states_(states),
      inspection_(inspection) {}

HttpResponse Api::InternalErrorResponse() {
  Json body = Json::object();
  body["success"] = false;
  body["detail"] = kInternalError;
  return HttpResponse::WithJson(500, body);
}

HttpResponse Api::StatusResponse(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return HttpResponse::WithJson(400, DetailJson(status.message()));
    case absl::StatusCode::kUnauthenticated:
      return HttpResponse::WithJson(401, DetailJson(status.message()));
    case absl::StatusCode::kNotFound:
      return HttpResponse::WithJson(404, DetailJson(status.message()));
    case absl::StatusCode::kAlreadyExists:
      return HttpResponse::WithJson(409, DetailJson(status.message()));
    default:
      return InternalErrorResponse();
  }
}

std::optional<int64_t> Api::Call::IntParam(const std::string& name) {
  return reader_.Int(Json(Param(name)), {"path", name});
}

const Json* Api::Call::Body() {
  if (!body_present_) {
    errors_.AddMissing({"body"}, nullptr);
    return nullptr;
  }
  return &body_;
}

HttpResponse Api::Call::ValidationFailure() const {
  return HttpResponse::WithJson(422, errors_.ToResponseBody());
}

Router::Handler Api::Route(bool has_body, Handler handler) const {
  return [this, has_body, handler = std::move(handler)](const HttpRequest& request,
                                                        const Router::Params& params) {
    Json body;
    bool body_present = false;
    if (has_body && !request.body.empty()) {
      if (IsJsonContentType(request.Header("content-type"))) {
        PythonJsonResult decoded = DecodePythonJson(request.body);
        if (decoded.outcome == PythonJsonResult::Outcome::kDecodeError) {
          ValidationErrors errors;
          errors.Add({"body", decoded.position}, "json_invalid", "JSON decode error",
                     Json::object(), Json{{"error", decoded.message}});
          return HttpResponse::WithJson(422, errors.ToResponseBody());
        }
        if (decoded.outcome == PythonJsonResult::Outcome::kOtherError) {
          return HttpResponse::WithJson(400, DetailJson("There was an error parsing the body"));
        }
        body = std::move(decoded.value);
        // FastAPI treats a JSON null body like a missing one.
        body_present = !body.is_null();
      } else {
        body = BytesAsText(request.body);
        body_present = true;
      }
    }
    const std::string* key = request.Header("x-api-key");
    if (key == nullptr || *key != api_key_) {
      return HttpResponse::WithJson(401, DetailJson("Invalid API key"));
    }
    Call call(params, std::move(body), body_present);
    return handler(call);
  };
}

void Api::Register(Router& router) {
  RegisterOpenApiRoutes(router);
  const std::string ns = "/v0/namespace/{namespace_name}";

  router.Add("GET", "/health", [](const HttpRequest&, const Router::Params&) {
    Json body = Json::object();
    body["message"] = "OK";
    return HttpResponse::WithJson(200, body);
  });

  router.Add("GET", "/v0/namespaces", Route(false, [this](Call&) {
               return HttpResponse::WithJson(200, inspection_.ListNamespaces());
             }));

  router.Add("PUT", ns + "/nodes/", Route(true, [this](Call& call) {
               const Json* body = call.Body();
               std::optional<RegisterNodesRequest> request;
               if (body != nullptr) request = ParseRegisterNodesRequest(*body, call.reader());
               if (call.has_errors()) return call.ValidationFailure();
               return HttpResponse::WithJson(
                   200, graphs_.RegisterNodes(call.Param("namespace_name"), *request));
             }));

  router.Add("GET", ns + "/nodes/", Route(false, [this](Call& call) {
               return HttpResponse::WithJson(200,
                                             inspection_.ListNodes(call.Param("namespace_name")));
             }));

  router.Add("GET", ns + "/graphs/", Route(false, [this](Call& call) {
               return HttpResponse::WithJson(200,
                                             inspection_.ListGraphs(call.Param("namespace_name")));
             }));

  router.Add("PUT", ns + "/graph/{graph_name}", Route(true, [this](Call& call) {
               const Json* body = call.Body();
               std::optional<UpsertGraphRequest> request;
               if (body != nullptr) request = ParseUpsertGraphRequest(*body, call.reader());
               if (call.has_errors()) return call.ValidationFailure();
               absl::StatusOr<Json> response = graphs_.UpsertGraph(
                   call.Param("namespace_name"), call.Param("graph_name"), *request);
               if (!response.ok()) return StatusResponse(response.status());
               return HttpResponse::WithJson(201, *response);
             }));

  router.Add("GET", ns + "/graph/{graph_name}", Route(false, [this](Call& call) {
               absl::StatusOr<Json> response =
                   graphs_.GetGraph(call.Param("namespace_name"), call.Param("graph_name"));
               if (!response.ok()) return StatusResponse(response.status());
               return HttpResponse::WithJson(200, *response);
             }));

  router.Add("POST", ns + "/graph/{graph_name}/trigger", Route(true, [this](Call& call) {
               const Json* body = call.Body();
               std::optional<TriggerRequest> request;
               if (body != nullptr) request = ParseTriggerRequest(*body, call.reader());
               if (call.has_errors()) return call.ValidationFailure();
               absl::StatusOr<Json> response =
                   runs_.Trigger(call.Param("namespace_name"), call.Param("graph_name"), *request);
               if (!response.ok()) return StatusResponse(response.status());
               return HttpResponse::WithJson(200, *response);
             }));

  router.Add("POST", ns + "/states/enqueue", Route(true, [this](Call& call) {
               const Json* body = call.Body();
               std::optional<EnqueueRequest> request;
               if (body != nullptr) request = ParseEnqueueRequest(*body, call.reader());
               if (call.has_errors()) return call.ValidationFailure();
               return HttpResponse::WithJson(
                   200, states_.Enqueue(call.Param("namespace_name"), *request));
             }));

  // The five state reports share one shape: body model, then the ObjectId conversion.
  auto state_route = [this](auto parse, auto act) {
    return Route(true, [parse, act](Call& call) {
      const Json* body = call.Body();
      decltype(parse(std::declval<const Json&>(), call.reader())) request;
      if (body != nullptr) request = parse(*body, call.reader());
      if (call.has_errors()) return call.ValidationFailure();
      std::optional<std::string> state_id = StateId(call);
      if (!state_id.has_value()) return InternalErrorResponse();
      absl::StatusOr<Json> response = act(call.Param("namespace_name"), *state_id, *request);
      if (!response.ok()) return StatusResponse(response.status());
      return HttpResponse::WithJson(200, *response);
    });
  };
  router.Add("POST", ns + "/state/{state_id}/executed",
             state_route(ParseExecutedRequest,
                         [this](const std::string& namespace_name, const std::string& id,
                                const ExecutedRequest& request) {
                           return states_.Executed(namespace_name, id, request);
                         }));
  router.Add("POST", ns + "/state/{state_id}/errored",
             state_route(ParseErroredRequest,
                         [this](const std::string& namespace_name, const std::string& id,
                                const ErroredRequest& request) {
                           return states_.Errored(namespace_name, id, request);
                         }));
  router.Add(
      "POST", ns + "/state/{state_id}/prune",
      state_route(ParsePruneRequest, [this](const std::string& namespace_name,
                                            const std::string& id, const PruneRequest& request) {
        return states_.Prune(namespace_name, id, request);
      }));
  router.Add("POST", ns + "/state/{state_id}/re-enqueue-after",
             state_route(ParseReEnqueueAfterRequest,
                         [this](const std::string& namespace_name, const std::string& id,
                                const ReEnqueueAfterRequest& request) {
                           return states_.ReEnqueueAfter(namespace_name, id, request);
                         }));
  router.Add("POST", ns + "/state/{state_id}/manual-retry",
             state_route(ParseManualRetryRequest,
                         [this](const std::string& namespace_name, const std::string& id,
                                const ManualRetryRequest& request) {
                           return states_.ManualRetry(namespace_name, id, request);
                         }));

  // Every failure of the secrets endpoint is the generic 500 (contract 2.11).
  router.Add("GET", ns + "/state/{state_id}/secrets", Route(false, [this](Call& call) {
               std::optional<std::string> state_id = StateId(call);
               if (!state_id.has_value()) return InternalErrorResponse();
               absl::StatusOr<Json> response =
                   states_.Secrets(call.Param("namespace_name"), *state_id);
               if (!response.ok()) return InternalErrorResponse();
               return HttpResponse::WithJson(200, *response);
             }));

  router.Add("GET", ns + "/runs/{page}/{size}", Route(false, [this](Call& call) {
               std::optional<int64_t> page = call.IntParam("page");
               std::optional<int64_t> size = call.IntParam("size");
               if (call.has_errors()) return call.ValidationFailure();
               absl::StatusOr<Json> response =
                   inspection_.Runs(call.Param("namespace_name"), *page, *size);
               if (!response.ok()) return StatusResponse(response.status());
               return HttpResponse::WithJson(200, *response);
             }));

  router.Add("GET", ns + "/states/run/{run_id}/graph", Route(false, [this](Call& call) {
               return HttpResponse::WithJson(
                   200, inspection_.RunGraph(call.Param("namespace_name"), call.Param("run_id")));
             }));

  router.Add(
      "GET", ns + "/graph/{graph_name}/run/{run_id}/node/{node_id}",
      Route(false, [this](Call& call) {
        absl::StatusOr<Json> response =
            inspection_.NodeRunDetails(call.Param("namespace_name"), call.Param("graph_name"),
                                       call.Param("run_id"), call.Param("node_id"));
        if (response.ok()) return HttpResponse::WithJson(200, *response);
        const absl::StatusCode code = response.status().code();
        if (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound) {
          return StatusResponse(response.status());
        }
        return HttpResponse::WithJson(
            500, DetailJson("Internal server error while retrieving node details"));
      }));
}

}  // namespace exosphere::devserver
