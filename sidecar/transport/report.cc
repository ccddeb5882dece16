#include "sidecar/transport/report.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/status_macros.h"

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
      for (const json::StringMap& output : outputs) {
        outputs_json.push_back(json::FromStringMap(output));
      }
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

size_t JsonStringBytes(absl::string_view text) {
  size_t bytes = text.size() + 2;
  for (const char c : text) {
    switch (c) {
      case '"':
      case '\\':
      case '\b':
      case '\f':
      case '\n':
      case '\r':
      case '\t':
        bytes += 1;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) bytes += 5;
    }
  }
  return bytes;
}

size_t Report::EncodedBytes() const {
  switch (kind) {
    case Kind::kExecuted: {
      size_t bytes = std::string_view(R"({"outputs":[]})").size();
      for (const json::StringMap& output : outputs) {
        bytes += 2 + (output.empty() ? 0 : output.size() - 1);  // {} and the commas
        for (const auto& [key, value] : output) {
          bytes += JsonStringBytes(key) + 1 + JsonStringBytes(value);
        }
      }
      return bytes + (outputs.empty() ? 0 : outputs.size() - 1);
    }
    case Kind::kErrored:
      return std::string_view(R"({"error":})").size() + JsonStringBytes(error);
    case Kind::kPruned:
    case Kind::kRequeueAfter:
      return json::Dump(Body()).size();
  }
  return json::Dump(Body()).size();
}

absl::StatusOr<Report> Report::FromBody(absl::string_view endpoint, std::string state_id,
                                        const json::Json& body) {
  const std::string what = absl::StrCat("journaled ", endpoint, " report of ", state_id);
  if (endpoint == "executed") {
    EXO_ASSIGN_OR_RETURN(const json::Json* outputs, json::GetArray(body, "outputs", what));
    std::vector<json::StringMap> maps;
    for (const json::Json& output : *outputs) {
      EXO_ASSIGN_OR_RETURN(json::StringMap map, json::ToStringMap(output, what));
      maps.push_back(std::move(map));
    }
    return Executed(std::move(state_id), std::move(maps));
  }
  if (endpoint == "errored") {
    EXO_ASSIGN_OR_RETURN(std::string error, json::GetString(body, "error", what));
    return Errored(std::move(state_id), std::move(error));
  }
  if (endpoint == "prune") {
    EXO_ASSIGN_OR_RETURN(const json::Json* data, json::GetObject(body, "data", what));
    return Pruned(std::move(state_id), *data);
  }
  if (endpoint == "re-enqueue-after") {
    EXO_ASSIGN_OR_RETURN(int64_t delay, json::GetInt(body, "enqueue_after", what));
    return RequeueAfter(std::move(state_id), delay);
  }
  return absl::InvalidArgumentError(absl::StrCat(what, ": unknown endpoint"));
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
