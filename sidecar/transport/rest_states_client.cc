#include "sidecar/transport/rest_states_client.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "common/status_macros.h"
#include "sidecar/transport/quoting.h"

namespace exosphere::sidecar {
namespace {

using Quote = RestTransport::Quote;
using Reply = RestTransport::Reply;

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

RestStatesClient::RestStatesClient(HttpClient& http, RestClientOptions options)
    : transport_(http, std::move(options)) {}

absl::Status RestStatesClient::RegisterNodes(absl::string_view ns, absl::string_view runtime_name,
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
  const std::string path = transport_.NamespacePath(ns) + "/nodes/";
  EXO_ASSIGN_OR_RETURN(json::Json reply,
                       transport_.Call("PUT", path, "register_nodes", &body, Quote::kDetail));
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

absl::StatusOr<std::vector<ClaimedState>> RestStatesClient::ClaimStates(
    absl::string_view ns, const std::vector<std::string>& node_names, int batch_size) {
  const json::Json body = {{"nodes", node_names}, {"batch_size", batch_size}};
  const std::string path = transport_.NamespacePath(ns) + "/states/enqueue";
  EXO_ASSIGN_OR_RETURN(json::Json reply,
                       transport_.Call("POST", path, "enqueue", &body, Quote::kDetail));
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

absl::StatusOr<json::StringMap> RestStatesClient::GetSecrets(absl::string_view ns,
                                                             absl::string_view state_id) {
  const std::string path = absl::StrCat(transport_.NamespacePath(ns), "/state/",
                                        EscapePathSegment(state_id), "/secrets");
  return SecretsOf(transport_.Call("GET", path, "secrets", nullptr, Quote::kNothing), path);
}

void RestStatesClient::GetSecretsAsync(absl::string_view ns, absl::string_view state_id,
                                       std::function<void(absl::StatusOr<json::StringMap>)> done) {
  std::string path = absl::StrCat(transport_.NamespacePath(ns), "/state/",
                                  EscapePathSegment(state_id), "/secrets");
  transport_.CallAsync("GET", path, "secrets", nullptr, Quote::kNothing, Reply::kJson,
                       [path, done = std::move(done)](absl::StatusOr<json::Json> reply) {
                         done(SecretsOf(std::move(reply), path));
                       });
}

void RestStatesClient::SendReportAsync(absl::string_view ns, const Report& report,
                                       std::function<void(absl::Status)> done) {
  const json::Json body = report.Body();
  transport_.CallAsync(
      "POST",
      absl::StrCat(transport_.NamespacePath(ns), "/state/", EscapePathSegment(report.state_id), "/",
                   report.Endpoint()),
      report.Endpoint(), &body, Quote::kDetail, Reply::kIgnored,
      [done = std::move(done)](const absl::StatusOr<json::Json>& reply) { done(reply.status()); });
}

absl::Status RestStatesClient::SendReport(absl::string_view ns, const Report& report) {
  const json::Json body = report.Body();
  return transport_
      .Call("POST",
            absl::StrCat(transport_.NamespacePath(ns), "/state/",
                         EscapePathSegment(report.state_id), "/", report.Endpoint()),
            report.Endpoint(), &body, Quote::kDetail, Reply::kIgnored)
      .status();
}

absl::Status RestStatesClient::CheckHealth(absl::Duration timeout) {
  return transport_
      .Call("GET", "/health", "health", nullptr, Quote::kDetail, Reply::kIgnored, timeout)
      .status();
}

}  // namespace exosphere::sidecar
