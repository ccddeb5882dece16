#include "sidecar/core/task_validator.h"

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

#include "sidecar/operations/refusal_fallback.h"
#include "sidecar/transport/quoting.h"

namespace exosphere::sidecar {
namespace {

// The state manager stores enqueue_after as an int64 of epoch milliseconds; keep the sum far
// from overflow (about 292 years of delay is still accepted).
constexpr uint64_t kMaxRequeueDelayMs = uint64_t{1} << 53;

ValidatedResult Violation(const std::string& state_id, std::string message) {
  ValidatedResult result{Report::Errored(state_id, message), std::move(message)};
  return result;
}

}  // namespace

absl::StatusOr<json::StringMap> ValidateInputs(const NodeSpec& node, const json::Json& inputs) {
  if (!inputs.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inputs of node \"", node.name, "\" are not a JSON object but ", inputs.type_name()));
  }
  json::StringMap values;
  for (auto it = inputs.begin(); it != inputs.end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", QuoteForMessage(it.key()), " of node \"", node.name, "\" is a ",
                       it.value().type_name(), ", not a string (v1 supports string inputs only)"));
    }
    values.emplace(it.key(), it.value().get<std::string>());
  }
  for (const std::string& field : node.input_fields) {
    if (values.count(field) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("input \"", field, "\" declared by node \"",
                                                     node.name,
                                                     "\" is missing from the state's inputs"));
    }
  }
  return values;
}

absl::StatusOr<json::StringMap> SelectSecrets(const NodeSpec& node, const json::StringMap& all) {
  json::StringMap selected;
  for (const std::string& name : node.secret_fields) {
    auto it = all.find(name);
    if (it == all.end()) {
      return absl::InvalidArgumentError(absl::StrCat("secret \"", name, "\" declared by node \"",
                                                     node.name,
                                                     "\" is not among the graph's secrets"));
    }
    selected.emplace(name, it->second);
  }
  return selected;
}

namespace {

ValidatedResult ValidateOutcome(const NodeSpec& node, const v1::TaskResult& result) {
  const std::string& state_id = result.state_id();
  switch (result.outcome_case()) {
    case v1::TaskResult::kExecuted: {
      std::vector<json::StringMap> outputs;
      const auto& given = result.executed().outputs();
      outputs.reserve(static_cast<size_t>(given.size()));
      for (int i = 0; i < given.size(); ++i) {
        json::StringMap fields(given[i].fields().begin(), given[i].fields().end());
        for (const std::string& field : node.output_fields) {
          if (fields.count(field) == 0) {
            return Violation(state_id, absl::StrCat("output ", i, " of node \"", node.name,
                                                    "\" lacks the declared field \"", field, "\""));
          }
        }
        outputs.push_back(std::move(fields));
      }
      return {Report::Executed(state_id, std::move(outputs)), ""};
    }
    case v1::TaskResult::kErrored: {
      std::string message = result.errored().message();
      if (message.empty()) {
        message = absl::StrCat("node \"", node.name, "\" failed without a message");
      }
      return {Report::Errored(state_id, std::move(message)), ""};
    }
    case v1::TaskResult::kPrune: {
      std::string text;
      if (!google::protobuf::util::MessageToJsonString(result.prune().data(), &text).ok()) {
        return Violation(state_id, absl::StrCat("prune data of node \"", node.name,
                                                "\" cannot be converted to JSON"));
      }
      json::Json data = json::Json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (data.is_discarded() || !data.is_object()) data = json::Json::object();
      return {Report::Pruned(state_id, std::move(data)), ""};
    }
    case v1::TaskResult::kRequeueAfter: {
      const uint64_t delay_ms = result.requeue_after().delay_ms();
      if (delay_ms < 1 || delay_ms > kMaxRequeueDelayMs) {
        return Violation(state_id, absl::StrCat("re-enqueue delay of node \"", node.name,
                                                "\" must be between 1 and ", kMaxRequeueDelayMs,
                                                " ms, got ", delay_ms));
      }
      return {Report::RequeueAfter(state_id, static_cast<int64_t>(delay_ms)), ""};
    }
    case v1::TaskResult::OUTCOME_NOT_SET:
      break;
  }
  return Violation(state_id, absl::StrCat("result of node \"", node.name,
                                          "\" has no outcome (set executed, errored, prune or "
                                          "requeue_after)"));
}

}  // namespace

ValidatedResult ValidateResult(const NodeSpec& node, const v1::TaskResult& result,
                               size_t max_report_bytes) {
  ValidatedResult validated = ValidateOutcome(node, result);
  const size_t bytes = validated.report.EncodedBytes();
  if (bytes <= max_report_bytes) return validated;
  std::string violation =
      absl::StrCat("the ", validated.report.Endpoint(), " report of node \"", node.name,
                   "\" would be ", bytes, " bytes of JSON, over the sidecar's limit of ",
                   max_report_bytes, " (--max-report-bytes, what the state manager accepts)");
  if (validated.report.kind != Report::Kind::kErrored) {
    return Violation(result.state_id(), std::move(violation));
  }
  // The worker's own message says most about the failure: keep its start.
  std::string message =
      absl::StrCat(Utf8Prefix(validated.report.error, kMaxFallbackErrorBytes - 128),
                   "... (cut by the sidecar from ", validated.report.error.size(), " bytes)");
  return {Report::Errored(result.state_id(), std::move(message)), std::move(violation)};
}

}  // namespace exosphere::sidecar
