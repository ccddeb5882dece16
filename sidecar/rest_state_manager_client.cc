#include "sidecar/rest_state_manager_client.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

#include "common/log.h"
#include "common/status_macros.h"
#include "sidecar/quoting.h"

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

RestStateManagerClient::RestStateManagerClient(HttpClient& http,
                                               RestStateManagerClientOptions options)
    : http_(http),
      options_(std::move(options)),
      base_url_(std::string(absl::StripSuffix(options_.base_url, "/"))) {}

std::string RestStateManagerClient::NamespacePath(absl::string_view ns) const {
  return absl::StrCat("/v0/namespace/", EscapePathSegment(ns));
}

HttpRequest RestStateManagerClient::BuildRequest(absl::string_view method, const std::string& path,
                                                 const json::Json* body,
                                                 absl::Duration timeout) const {
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

absl::StatusOr<json::Json> RestStateManagerClient::Interpret(
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

absl::StatusOr<json::Json> RestStateManagerClient::Call(absl::string_view method,
                                                        const std::string& path,
                                                        absl::string_view endpoint,
                                                        const json::Json* body, Quote quote,
                                                        Reply reply, absl::Duration timeout) {
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> sent = http_.Send(BuildRequest(method, path, body, timeout));
  return Interpret(std::move(sent), method, path, endpoint, absl::Now() - start, quote, reply);
}

void RestStateManagerClient::CallAsync(absl::string_view method, std::string path,
                                       absl::string_view endpoint, const json::Json* body,
                                       Quote quote, Reply reply,
                                       std::function<void(absl::StatusOr<json::Json>)> done) {
  const absl::Time start = absl::Now();
  HttpRequest request = BuildRequest(method, path, body, absl::ZeroDuration());
  http_.SendAsync(std::move(request), [this, method = std::string(method), path = std::move(path),
                                       endpoint = std::string(endpoint), quote, reply, start,
                                       done = std::move(done)](absl::StatusOr<HttpResponse> sent) {
    done(Interpret(std::move(sent), method, path, endpoint, absl::Now() - start, quote, reply));
  });
}

absl::Status RestStateManagerClient::RegisterNodes(absl::string_view ns,
                                                   absl::string_view runtime_name,
                                                   const std::vector<NodeRegistration>& nodes) {
  json::Json nodes_json = json::Json::array();
  for (const NodeRegistration& node : nodes) {
    nodes_json.push_back({{"name", node.name},
                          {"inputs_schema", node.inputs_schema},
                          {"outputs_schema", node.outputs_schema},
                          {"secrets", node.secrets}});
  }
  const json::Json body = {{"runtime_name", std::string(runtime_name)},
                           {"nodes", std::move(nodes_json)}};
  const std::string path = NamespacePath(ns) + "/nodes/";
  EXO_ASSIGN_OR_RETURN(json::Json reply,
                       Call("PUT", path, "register_nodes", &body, Quote::kDetail));
  // A 200 that does not echo the registration is not one (a proxy's page, a wrong server): the
  // nodes may not be registered, so it is an error to retry.
  const std::string what = absl::StrCat("PUT ", path, " response");
  absl::StatusOr<std::string> echoed_runtime = json::GetString(reply, "runtime_name", what);
  absl::StatusOr<const json::Json*> registered = json::GetArray(reply, "registered_nodes", what);
  for (const absl::Status& status : {echoed_runtime.status(), registered.status()}) {
    if (!status.ok()) return absl::InternalError(status.message());
  }
  if (*echoed_runtime != runtime_name || (*registered)->size() != nodes.size()) {
    return absl::InternalError(
        absl::StrCat(what, ": the reply does not echo the registration (runtime \"",
                     Utf8Prefix(*echoed_runtime, 128), "\" with ", (*registered)->size(),
                     " nodes, sent \"", runtime_name, "\" with ", nodes.size(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ClaimedState>> RestStateManagerClient::ClaimStates(
    absl::string_view ns, const std::vector<std::string>& node_names, int batch_size) {
  const json::Json body = {{"nodes", node_names}, {"batch_size", batch_size}};
  const std::string path = NamespacePath(ns) + "/states/enqueue";
  EXO_ASSIGN_OR_RETURN(json::Json reply, Call("POST", path, "enqueue", &body, Quote::kDetail));
  const std::string what = absl::StrCat("POST ", path, " response");
  EXO_ASSIGN_OR_RETURN(const json::Json* states, json::GetArray(reply, "states", what));
  std::vector<ClaimedState> claimed;
  claimed.reserve(states->size());
  for (const json::Json& entry : *states) {
    ClaimedState state;
    absl::StatusOr<std::string> id = json::GetString(entry, "state_id", what);
    if (!id.ok()) {
      // Without an id the state cannot be reported; say so loudly, it may stay QUEUED.
      EXO_LOG(kError, "claim_entry_unusable", std::string(id.status().message()),
              {{"namespace", ns}});
      continue;
    }
    state.state_id = *std::move(id);
    const std::string entry_what = absl::StrCat(what, " state ", state.state_id);
    absl::StatusOr<std::string> node_name = json::GetString(entry, "node_name", entry_what);
    absl::StatusOr<std::string> identifier = json::GetString(entry, "identifier", entry_what);
    absl::StatusOr<const json::Json*> inputs = json::GetObject(entry, "inputs", entry_what);
    if (node_name.ok()) state.node_name = *node_name;
    if (identifier.ok()) state.identifier = *identifier;
    if (inputs.ok()) state.inputs = **inputs;
    if (auto created = entry.find("created_at"); created != entry.end() && created->is_string()) {
      state.created_at = created->get<std::string>();
    }
    for (const absl::Status& status : {node_name.status(), identifier.status(), inputs.status()}) {
      if (!status.ok() && state.malformed.empty()) state.malformed = std::string(status.message());
    }
    claimed.push_back(std::move(state));
  }
  return claimed;
}

namespace {

// The secrets of a GET /secrets reply. Nothing of the reply is quoted in an error: it may hold
// secret values.
absl::StatusOr<json::StringMap> SecretsOf(absl::StatusOr<json::Json> reply,
                                          const std::string& path) {
  if (!reply.ok()) return reply.status();
  auto secrets = reply->is_object() ? reply->find("secrets") : reply->end();
  if (!reply->is_object() || secrets == reply->end() || !secrets->is_object()) {
    return absl::InternalError(
        absl::StrCat("GET ", path, " response: expected an object with a 'secrets' object"));
  }
  json::StringMap result;
  for (auto it = secrets->begin(); it != secrets->end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InternalError(
          absl::StrCat("GET ", path, " response: secret '", it.key(), "' is not a string"));
    }
    result.emplace(it.key(), it.value().get<std::string>());
  }
  return result;
}

}  // namespace

absl::StatusOr<json::StringMap> RestStateManagerClient::GetSecrets(absl::string_view ns,
                                                                   absl::string_view state_id) {
  const std::string path =
      absl::StrCat(NamespacePath(ns), "/state/", EscapePathSegment(state_id), "/secrets");
  return SecretsOf(Call("GET", path, "secrets", nullptr, Quote::kNothing), path);
}

void RestStateManagerClient::GetSecretsAsync(
    absl::string_view ns, absl::string_view state_id,
    std::function<void(absl::StatusOr<json::StringMap>)> done) {
  std::string path =
      absl::StrCat(NamespacePath(ns), "/state/", EscapePathSegment(state_id), "/secrets");
  CallAsync("GET", path, "secrets", nullptr, Quote::kNothing, Reply::kJson,
            [path, done = std::move(done)](absl::StatusOr<json::Json> reply) {
              done(SecretsOf(std::move(reply), path));
            });
}

void RestStateManagerClient::SendReportAsync(absl::string_view ns, const Report& report,
                                             std::function<void(absl::Status)> done) {
  const json::Json body = report.Body();
  CallAsync(
      "POST",
      absl::StrCat(NamespacePath(ns), "/state/", EscapePathSegment(report.state_id), "/",
                   report.Endpoint()),
      report.Endpoint(), &body, Quote::kDetail, Reply::kIgnored,
      [done = std::move(done)](const absl::StatusOr<json::Json>& reply) { done(reply.status()); });
}

absl::Status RestStateManagerClient::SendReport(absl::string_view ns, const Report& report) {
  const json::Json body = report.Body();
  return Call("POST",
              absl::StrCat(NamespacePath(ns), "/state/", EscapePathSegment(report.state_id), "/",
                           report.Endpoint()),
              report.Endpoint(), &body, Quote::kDetail, Reply::kIgnored)
      .status();
}

absl::StatusOr<json::Json> RestStateManagerClient::UpsertGraph(absl::string_view ns,
                                                               absl::string_view graph_name,
                                                               const json::Json& body) {
  return Call("PUT", absl::StrCat(NamespacePath(ns), "/graph/", EscapePathSegment(graph_name)),
              "upsert_graph", &body, Quote::kDetail);
}

absl::StatusOr<json::Json> RestStateManagerClient::GetGraph(absl::string_view ns,
                                                            absl::string_view graph_name) {
  return Call("GET", absl::StrCat(NamespacePath(ns), "/graph/", EscapePathSegment(graph_name)),
              "get_graph", nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestStateManagerClient::ListGraphs(absl::string_view ns) {
  return Call("GET", NamespacePath(ns) + "/graphs/", "list_graphs", nullptr, Quote::kDetail);
}

absl::StatusOr<std::string> RestStateManagerClient::TriggerRun(absl::string_view ns,
                                                               absl::string_view graph_name,
                                                               const json::Json& body) {
  const std::string path =
      absl::StrCat(NamespacePath(ns), "/graph/", EscapePathSegment(graph_name), "/trigger");
  EXO_ASSIGN_OR_RETURN(json::Json reply, Call("POST", path, "trigger", &body, Quote::kDetail));
  absl::StatusOr<std::string> run_id =
      json::GetString(reply, "run_id", "POST " + path + " response");
  if (!run_id.ok()) return absl::InternalError(run_id.status().message());
  return run_id;
}

absl::StatusOr<json::Json> RestStateManagerClient::ListRuns(absl::string_view ns, int page,
                                                            int size) {
  return Call("GET", absl::StrCat(NamespacePath(ns), "/runs/", page, "/", size), "list_runs",
              nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestStateManagerClient::GetRunGraph(absl::string_view ns,
                                                               absl::string_view run_id) {
  return Call("GET",
              absl::StrCat(NamespacePath(ns), "/states/run/", EscapePathSegment(run_id), "/graph"),
              "run_graph", nullptr, Quote::kDetail);
}

absl::StatusOr<json::Json> RestStateManagerClient::GetNodeRunDetails(absl::string_view ns,
                                                                     absl::string_view graph_name,
                                                                     absl::string_view run_id,
                                                                     absl::string_view state_id) {
  return Call("GET",
              absl::StrCat(NamespacePath(ns), "/graph/", EscapePathSegment(graph_name), "/run/",
                           EscapePathSegment(run_id), "/node/", EscapePathSegment(state_id)),
              "node_details", nullptr, Quote::kDetail);
}

absl::Status RestStateManagerClient::CheckHealth(absl::Duration timeout) {
  return Call("GET", "/health", "health", nullptr, Quote::kDetail, Reply::kIgnored, timeout)
      .status();
}

absl::StatusOr<json::Json> RestStateManagerClient::ListNodes(absl::string_view ns) {
  return Call("GET", NamespacePath(ns) + "/nodes/", "list_nodes", nullptr, Quote::kDetail);
}

absl::StatusOr<std::string> RestStateManagerClient::ManualRetry(absl::string_view ns,
                                                                absl::string_view state_id,
                                                                absl::string_view fanout_id) {
  const std::string path =
      absl::StrCat(NamespacePath(ns), "/state/", EscapePathSegment(state_id), "/manual-retry");
  const json::Json body = {{"fanout_id", std::string(fanout_id)}};
  EXO_ASSIGN_OR_RETURN(json::Json reply, Call("POST", path, "manual_retry", &body, Quote::kDetail));
  absl::StatusOr<std::string> id = json::GetString(reply, "id", "POST " + path + " response");
  if (!id.ok()) return absl::InternalError(id.status().message());
  return id;
}

}  // namespace exosphere::sidecar
