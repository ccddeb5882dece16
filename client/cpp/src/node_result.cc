#include "exosphere/client/node_result.h"

#include <utility>

namespace exosphere::client {

NodeResult::NodeResult(StringMap output) { outputs_.push_back(std::move(output)); }

NodeResult::NodeResult(std::vector<StringMap> outputs) : outputs_(std::move(outputs)) {}

NodeResult::NodeResult(const absl::Status& status) {
  if (status.ok()) return;
  kind_ = Kind::kError;
  // The message is what users read in the run's states; a status without one still says what
  // kind of failure it was.
  error_message_ = status.message().empty() ? absl::StatusCodeToString(status.code())
                                            : std::string(status.message());
}

NodeResult NodeResult::Prune(const StringMap& data) {
  google::protobuf::Struct data_struct;
  for (const auto& [key, value] : data) {
    (*data_struct.mutable_fields())[key].set_string_value(value);
  }
  return PruneWithStruct(std::move(data_struct));
}

NodeResult NodeResult::PruneWithStruct(google::protobuf::Struct data) {
  NodeResult result;
  result.kind_ = Kind::kPrune;
  result.prune_data_ = std::move(data);
  return result;
}

NodeResult NodeResult::RequeueAfter(absl::Duration delay) {
  NodeResult result;
  result.kind_ = Kind::kRequeueAfter;
  result.requeue_delay_ = delay;
  return result;
}

NodeResult NodeResult::Error(std::string message) {
  NodeResult result;
  result.kind_ = Kind::kError;
  result.error_message_ = std::move(message);
  return result;
}

}  // namespace exosphere::client
