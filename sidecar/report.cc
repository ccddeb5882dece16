#include "sidecar/report.h"

#include <utility>

namespace exosphere::sidecar {

Report Report::Executed(std::string state_id, std::vector<json::StringMap> outputs) {
  Report report;
  report.kind = Kind::kExecuted;
  report.state_id = std::move(state_id);
  report.outputs = std::move(outputs);
  return report;
}

Report Report::Errored(std::string state_id, std::string error) {
  Report report;
  report.kind = Kind::kErrored;
  report.state_id = std::move(state_id);
  report.error = std::move(error);
  return report;
}

Report Report::Pruned(std::string state_id, json::Json data) {
  Report report;
  report.kind = Kind::kPruned;
  report.state_id = std::move(state_id);
  report.prune_data = data.is_object() ? std::move(data) : json::Json::object();
  return report;
}

Report Report::RequeueAfter(std::string state_id, int64_t delay_ms) {
  Report report;
  report.kind = Kind::kRequeueAfter;
  report.state_id = std::move(state_id);
  report.delay_ms = delay_ms;
  return report;
}

absl::string_view Report::Endpoint() const {
  switch (kind) {
    case Kind::kExecuted:
      return "executed";
    case Kind::kErrored:
      return "errored";
    case Kind::kPruned:
      return "prune";
    case Kind::kRequeueAfter:
      return "re-enqueue-after";
  }
  return "errored";
}

json::Json Report::Body() const {
  switch (kind) {
    case Kind::kExecuted: {
      json::Json outputs_json = json::Json::array();
      for (const json::StringMap& output : outputs)
        outputs_json.push_back(json::FromStringMap(output));
      return {{"outputs", std::move(outputs_json)}};
    }
    case Kind::kErrored:
      return {{"error", error}};
    case Kind::kPruned:
      return {{"data", prune_data}};
    case Kind::kRequeueAfter:
      return {{"enqueue_after", delay_ms}};
  }
  return json::Json::object();
}

absl::string_view KindName(Report::Kind kind) {
  switch (kind) {
    case Report::Kind::kExecuted:
      return "executed";
    case Report::Kind::kErrored:
      return "errored";
    case Report::Kind::kPruned:
      return "pruned";
    case Report::Kind::kRequeueAfter:
      return "requeued";
  }
  return "errored";
}

}  // namespace exosphere::sidecar
