#include "tests/reliability/devserver_rest.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace exosphere::reliability {
namespace {

using json::Json;

// The devserver offers no notification of a graph's verification; poll it at this interval.
constexpr absl::Duration kValidationPollInterval = absl::Milliseconds(20);
constexpr int kRunsPageSize = 100;

}  // namespace

DevserverRest::DevserverRest(const std::string& host, int port, std::string api_key, std::string ns)
    : api_key_(std::move(api_key)),
      ns_(std::move(ns)),
      client_(std::make_unique<httplib::Client>(host, port)) {
  client_->set_keep_alive(true);
  client_->set_connection_timeout(5);
  client_->set_read_timeout(30);
  client_->set_write_timeout(30);
}

DevserverRest::~DevserverRest() = default;

absl::StatusOr<Json> DevserverRest::Call(const std::string& method, const std::string& path,
                                         const Json& body) {
  const std::string url = absl::StrCat("/v0/namespace/", ns_, path);
  const std::string what = absl::StrCat(method, " ", url);
  const httplib::Headers headers = {{"x-api-key", api_key_}};
  const std::string payload = body.is_null() ? std::string("{}") : json::Dump(body);
  if (method != "GET" && method != "PUT" && method != "POST") {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported method"));
  }
  httplib::Result result = [&] {
    absl::MutexLock lock(&mu_);
    if (method == "GET") return client_->Get(url.c_str(), headers);
    if (method == "PUT") return client_->Put(url.c_str(), headers, payload, "application/json");
    return client_->Post(url.c_str(), headers, payload, "application/json");
  }();
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat(what, ": transport error: ", httplib::to_string(result.error())));
  }
  if (result->status >= 500) {
    return absl::UnavailableError(absl::StrCat(what, ": ", result->status, " ", result->body));
  }
  if (result->status >= 300) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", result->status, " ", result->body));
  }
  return json::Parse(result->body, what);
}

absl::Status DevserverRest::UpsertGraph(const std::string& name, const Json& body,
                                        absl::Duration timeout) {
  absl::StatusOr<Json> upserted = Call("PUT", absl::StrCat("/graph/", name), body);
  if (!upserted.ok()) return upserted.status();
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<Json> graph = Call("GET", absl::StrCat("/graph/", name));
    if (!graph.ok()) return graph.status();
    absl::StatusOr<std::string> status = json::GetString(*graph, "validation_status", "graph");
    if (!status.ok()) return status.status();
    if (*status == "VALID") return absl::OkStatus();
    if (*status == "INVALID") {
      return absl::FailedPreconditionError(
          absl::StrCat("graph ", name, " is INVALID: ", json::Dump((*graph)["validation_errors"])));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("graph ", name, " still ", *status, " after ",
                                                      absl::FormatDuration(timeout)));
    }
    absl::SleepFor(kValidationPollInterval);
  }
}

absl::StatusOr<std::string> DevserverRest::Trigger(const std::string& graph,
                                                   const json::StringMap& inputs) {
  absl::StatusOr<Json> reply = Call("POST", absl::StrCat("/graph/", graph, "/trigger"),
                                    Json{{"inputs", json::FromStringMap(inputs)}});
  if (!reply.ok()) return reply.status();
  return json::GetString(*reply, "run_id", "trigger reply");
}

absl::StatusOr<std::vector<Json>> DevserverRest::ListRuns() {
  std::vector<Json> runs;
  for (int page = 1;; ++page) {
    absl::StatusOr<Json> reply = Call("GET", absl::StrCat("/runs/", page, "/", kRunsPageSize));
    if (!reply.ok()) return reply.status();
    absl::StatusOr<int64_t> total = json::GetInt(*reply, "total", "runs page");
    if (!total.ok()) return total.status();
    absl::StatusOr<const Json*> entries = json::GetArray(*reply, "runs", "runs page");
    if (!entries.ok()) return entries.status();
    for (const Json& run : **entries) runs.push_back(run);
    if ((*entries)->empty() || static_cast<int64_t>(runs.size()) >= *total) return runs;
  }
}

absl::StatusOr<std::vector<Json>> DevserverRest::RunStates(const std::string& run_id) {
  absl::StatusOr<Json> reply = Call("GET", absl::StrCat("/states/run/", run_id, "/graph"));
  if (!reply.ok()) return reply.status();
  absl::StatusOr<const Json*> nodes = json::GetArray(*reply, "nodes", "run graph");
  if (!nodes.ok()) return nodes.status();
  return std::vector<Json>((*nodes)->begin(), (*nodes)->end());
}

}  // namespace exosphere::reliability
