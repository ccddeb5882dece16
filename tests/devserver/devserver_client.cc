#include "tests/devserver/devserver_client.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "devserver/python_json_decoder.h"

namespace exosphere::devserver::testing {
namespace {

Json StringSchema(const std::vector<std::string>& fields) {
  Json properties = Json::object();
  for (const std::string& field : fields) properties[field] = {{"type", "string"}};
  Json schema = Json::object();
  schema["type"] = "object";
  schema["properties"] = properties;
  schema["required"] = fields;
  return schema;
}

// Background work is awaited by polling; a short pause keeps the loop from spinning.
void PollPause() { absl::SleepFor(absl::Milliseconds(5)); }

}  // namespace

std::string Reply::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

DevserverClient::DevserverClient(std::string host, int port, std::string api_key, std::string ns)
    : client_(std::make_unique<httplib::Client>(host, port)),
      api_key_(std::move(api_key)),
      ns_(std::move(ns)) {
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
  client_->set_connection_timeout(10);
  client_->set_read_timeout(30);
  client_->set_write_timeout(30);
}

DevserverClient::~DevserverClient() = default;

std::string DevserverClient::Path(const std::string& suffix) const {
  return absl::StrCat("/v0/namespace/", ns_, suffix);
}

Reply DevserverClient::Raw(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& content_type, bool with_key,
                           std::vector<std::pair<std::string, std::string>> headers) {
  httplib::Request request;
  request.method = method;
  request.path = path;
  for (auto& [name, value] : headers) request.set_header(name, value);
  if (with_key) request.set_header("x-api-key", api_key_);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.body = body;
    if (!content_type.empty()) request.set_header("Content-Type", content_type);
  }
  Reply reply;
  httplib::Result result = client_->send(request);
  if (!result) return reply;
  reply.status = result->status;
  reply.raw = result->body;
  for (const auto& [name, value] : result->headers) reply.headers.emplace_back(name, value);
  PythonJsonResult decoded = DecodePythonJson(reply.raw);
  if (decoded.outcome == PythonJsonResult::Outcome::kOk) reply.body = std::move(decoded.value);
  return reply;
}

Reply DevserverClient::Get(const std::string& path) { return Raw("GET", path, ""); }

Reply DevserverClient::Put(const std::string& path, const Json& body) {
  return Raw("PUT", path, DumpJson(body));
}

Reply DevserverClient::Post(const std::string& path, const Json& body) {
  return Raw("POST", path, DumpJson(body));
}

Reply DevserverClient::RegisterNodes(const std::vector<NodeSpec>& nodes) {
  Json list = Json::array();
  for (const NodeSpec& node : nodes) {
    Json item = Json::object();
    item["name"] = node.name;
    item["inputs_schema"] = StringSchema(node.inputs);
    item["outputs_schema"] = StringSchema(node.outputs);
    item["secrets"] = node.secrets;
    list.push_back(std::move(item));
  }
  Json body = Json::object();
  body["runtime_name"] = "e2e-runtime";
  body["nodes"] = std::move(list);
  return Put(Path("/nodes/"), body);
}

Reply DevserverClient::UpsertGraph(const std::string& graph, const Json& body) {
  return Put(Path("/graph/" + graph), body);
}

Json DevserverClient::AwaitValidation(const std::string& graph, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Json body;
  while (true) {
    body = Get(Path("/graph/" + graph)).body;
    const Json* status = FindMember(body, "validation_status");
    if (status != nullptr && *status != "PENDING") return body;
    if (absl::Now() > deadline) return body;
    PollPause();
  }
}

std::string DevserverClient::Trigger(const std::string& graph, const Json& body, Reply* reply) {
  Reply result = Post(Path("/graph/" + graph + "/trigger"), body);
  const Json* run_id = FindMember(result.body, "run_id");
  std::string id = result.status == 200 && run_id != nullptr ? run_id->get<std::string>() : "";
  if (reply != nullptr) *reply = std::move(result);
  return id;
}

Json DevserverClient::Enqueue(const std::vector<std::string>& nodes, int batch_size) {
  Json body = Json::object();
  body["nodes"] = nodes;
  body["batch_size"] = batch_size;
  Reply reply = Post(Path("/states/enqueue"), body);
  const Json* states = FindMember(reply.body, "states");
  return states != nullptr ? *states : Json::array();
}

Json DevserverClient::AwaitClaims(const std::vector<std::string>& nodes, size_t count,
                                  absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Json claimed = Json::array();
  while (claimed.size() < count) {
    for (const Json& state : Enqueue(nodes, static_cast<int>(count - claimed.size()))) {
      claimed.push_back(state);
    }
    if (claimed.size() >= count || absl::Now() > deadline) break;
    PollPause();
  }
  return claimed;
}

Reply DevserverClient::Executed(const std::string& state_id, const Json& outputs) {
  Json body = Json::object();
  body["outputs"] = outputs;
  return Post(Path("/state/" + state_id + "/executed"), body);
}

Reply DevserverClient::Errored(const std::string& state_id, const std::string& error) {
  Json body = Json::object();
  body["error"] = error;
  return Post(Path("/state/" + state_id + "/errored"), body);
}

Reply DevserverClient::Prune(const std::string& state_id, const Json& data) {
  Json body = Json::object();
  body["data"] = data;
  return Post(Path("/state/" + state_id + "/prune"), body);
}

Reply DevserverClient::ReEnqueueAfter(const std::string& state_id, int64_t delay_ms) {
  Json body = Json::object();
  body["enqueue_after"] = delay_ms;
  return Post(Path("/state/" + state_id + "/re-enqueue-after"), body);
}

Reply DevserverClient::ManualRetry(const std::string& state_id, const std::string& fanout_id) {
  Json body = Json::object();
  body["fanout_id"] = fanout_id;
  return Post(Path("/state/" + state_id + "/manual-retry"), body);
}

Reply DevserverClient::Secrets(const std::string& state_id) {
  return Get(Path("/state/" + state_id + "/secrets"));
}

Json DevserverClient::RunGraph(const std::string& run_id) {
  return Get(Path("/states/run/" + run_id + "/graph")).body;
}

Json DevserverClient::NodeDetails(const std::string& graph, const std::string& run_id,
                                  const std::string& id) {
  return Get(Path("/graph/" + graph + "/run/" + run_id + "/node/" + id)).body;
}

Json DevserverClient::RunSummary(const std::string& run_id) {
  Json runs = Get(Path("/runs/1/0")).body;
  const Json* list = FindMember(runs, "runs");
  if (list == nullptr) return nullptr;
  for (const Json& run : *list) {
    if (run["run_id"] == run_id) return run;
  }
  return nullptr;
}

Json DevserverClient::AwaitRunGraph(const std::string& run_id,
                                    const std::function<bool(const Json&)>& predicate,
                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    Json graph = RunGraph(run_id);
    if (predicate(graph) || absl::Now() > deadline) return graph;
    PollPause();
  }
}

int CountNodes(const Json& run_graph, const std::string& identifier, const std::string& status) {
  const Json* nodes = FindMember(run_graph, "nodes");
  if (nodes == nullptr) return 0;
  int count = 0;
  for (const Json& node : *nodes) {
    if (node["identifier"] != identifier) continue;
    if (!status.empty() && node["status"] != status) continue;
    ++count;
  }
  return count;
}

}  // namespace exosphere::devserver::testing
