#include "client/cpp/internal/result_encoder.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace exosphere::client::internal {
namespace {

// The first output that lacks declared fields, described; "" when every output is complete.
std::string MissingOutputFields(const NodeSpec& spec, const std::vector<StringMap>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::vector<std::string> missing;
    for (const std::string& field : spec.outputs) {
      if (outputs[i].count(field) == 0) missing.push_back(field);
    }
    if (missing.empty()) continue;
    const std::string which =
        outputs.size() == 1 ? "Its output" : absl::StrCat("Output ", i, " of ", outputs.size());
    return absl::StrCat("Node \"", spec.name, "\" returned an incomplete output: ", which,
                        " lacks the declared output field", missing.size() > 1 ? "s" : "", " \"",
                        absl::StrJoin(missing, "\", \""), "\"");
  }
  return "";
}

}  // namespace

v1::TaskResult ErroredResult(const std::string& state_id, const std::string& message) {
  v1::TaskResult result;
  result.set_state_id(state_id);
  result.mutable_errored()->set_message(message);
  return result;
}

v1::TaskResult EncodeResult(const std::string& state_id, const NodeSpec& spec,
                            const NodeResult& node_result) {
  v1::TaskResult result;
  result.set_state_id(state_id);
  switch (node_result.kind()) {
    case NodeResult::Kind::kOutputs: {
      const std::string missing = MissingOutputFields(spec, node_result.outputs());
      if (!missing.empty()) return ErroredResult(state_id, missing);
      v1::Executed& executed = *result.mutable_executed();
      for (const StringMap& output : node_result.outputs()) {
        executed.add_outputs()->mutable_fields()->insert(output.begin(), output.end());
      }
      break;
    }
    case NodeResult::Kind::kPrune:
      *result.mutable_prune()->mutable_data() = node_result.prune_data();
      break;
    case NodeResult::Kind::kRequeueAfter: {
      const absl::Duration delay = node_result.requeue_delay();
      if (delay <= absl::ZeroDuration()) {
        return ErroredResult(state_id, "Delay must be greater than 0");
      }
      // Whole milliseconds on the wire; rounding up keeps a sub-millisecond delay positive.
      const double millis = std::ceil(absl::ToDoubleMilliseconds(delay));
      result.mutable_requeue_after()->set_delay_ms(static_cast<uint64_t>(millis));
      break;
    }
    case NodeResult::Kind::kError:
      result.mutable_errored()->set_message(node_result.error_message());
      break;
  }
  return result;
}

}  // namespace exosphere::client::internal
