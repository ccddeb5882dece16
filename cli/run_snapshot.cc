#include "cli/run_snapshot.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/status_macros.h"

namespace exosphere::cli {
namespace {

bool IsPending(const std::string& status) {
  return status == "CREATED" || status == "QUEUED" || status == "EXECUTED";
}

std::string StringField(const json::Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

const std::vector<std::string>& StateStatuses() {
  static const std::vector<std::string>* statuses =
      new std::vector<std::string>{"CREATED", "QUEUED",  "EXECUTED",           "SUCCESS",
                                   "PRUNED",  "ERRORED", "NEXT_CREATED_ERROR", "RETRY_CREATED"};
  return *statuses;
}

int RunSnapshot::Done() const {
  int done = 0;
  for (const StateRow& state : states) done += IsPending(state.status) ? 0 : 1;
  return done;
}

bool RunSnapshot::Finished() const { return !states.empty() && Done() == Total(); }

bool RunSnapshot::Failed() const {
  for (const StateRow& state : states) {
    if (state.status == "ERRORED" || state.status == "NEXT_CREATED_ERROR") return true;
  }
  return false;
}

absl::StatusOr<RunSnapshot> ParseRunGraph(const json::Json& document, const std::string& run_id,
                                          const std::string& ns) {
  const std::string what = absl::StrCat("run graph of ", run_id);
  absl::StatusOr<const json::Json*> nodes = json::GetArray(document, "nodes", what);
  if (!nodes.ok()) return absl::InternalError(nodes.status().message());
  RunSnapshot snapshot;
  snapshot.run_id = run_id;
  snapshot.graph_name = StringField(document, "graph_name");
  for (const std::string& status : StateStatuses()) snapshot.counts[status] = 0;
  for (const json::Json& node : **nodes) {
    if (!node.is_object()) {
      return absl::InternalError(absl::StrCat(what, ": a node is not an object"));
    }
    StateRow row{StringField(node, "id"), StringField(node, "identifier"),
                 StringField(node, "node_name"), StringField(node, "status"),
                 StringField(node, "error")};
    ++snapshot.counts[row.status];
    snapshot.states.push_back(std::move(row));
  }
  if (snapshot.states.empty()) {
    return absl::NotFoundError(
        absl::StrCat("run ", run_id, " not found in namespace ", ns, " (it has no states)"));
  }
  return snapshot;
}

std::string CountsLine(const RunSnapshot& snapshot) {
  std::vector<std::string> parts;
  for (const std::string& status : StateStatuses()) {
    auto it = snapshot.counts.find(status);
    if (it != snapshot.counts.end() && it->second > 0) {
      parts.push_back(absl::StrCat(status, " ", it->second));
    }
  }
  for (const auto& [status, count] : snapshot.counts) {
    bool known = false;
    for (const std::string& listed : StateStatuses()) known = known || listed == status;
    if (!known && count > 0) parts.push_back(absl::StrCat(status, " ", count));
  }
  return absl::StrJoin(parts, "  ");
}

json::Json SnapshotJson(const RunSnapshot& snapshot) {
  json::Json states = json::Json::array();
  for (const StateRow& state : snapshot.states) {
    states.push_back(
        {{"state_id", state.id},
         {"identifier", state.identifier},
         {"node", state.node},
         {"status", state.status},
         {"error", state.error.empty() ? json::Json(nullptr) : json::Json(state.error)}});
  }
  std::string status = "RUNNING";
  if (snapshot.Finished()) status = snapshot.Failed() ? "FAILED" : "SUCCESS";
  return {{"run_id", snapshot.run_id}, {"graph_name", snapshot.graph_name},
          {"status", status},          {"total", snapshot.Total()},
          {"done", snapshot.Done()},   {"counts", snapshot.counts},
          {"states", states}};
}

}  // namespace exosphere::cli
