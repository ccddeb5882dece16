#ifndef EXOSPHERE_CLIENT_NODE_RESULT_H_
#define EXOSPHERE_CLIENT_NODE_RESULT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"

#include "exosphere/client/string_map.h"

namespace exosphere::client {

// What a node's Execute returns: its outputs (zero, one, or several to fan out), a prune, a
// re-enqueue-after, or an error. Converts implicitly from what a node most often has at hand:
//
//   return StringMap{{"total", "3"}};                      // one output
//   return std::vector<StringMap>{{{"url", a}}, {{"url", b}}};  // fan-out: one state per output
//   return absl::NotFoundError("no such user");            // errored with the status message
//   return NodeResult::Prune({{"reason", "duplicate"}});
//   return NodeResult::RequeueAfter(absl::Seconds(30));
//
// The runtime checks outputs against the node's declared output fields before sending them.
class NodeResult {
 public:
  enum class Kind { kOutputs, kPrune, kRequeueAfter, kError };

  // Executed with no output: the state succeeds with empty outputs. Its next nodes still run
  // once (the state manager's rule); they just have no outputs of it to reference.
  NodeResult() = default;
  // Executed with one output.
  NodeResult(StringMap output);  // NOLINT(google-explicit-constructor)
  // Executed with any number of outputs; each becomes its own state downstream (fan-out).
  NodeResult(std::vector<StringMap> outputs);  // NOLINT(google-explicit-constructor)
  // An error status becomes an errored result with the status message (the graph's retry policy
  // applies); an OK status is an executed result without outputs.
  NodeResult(const absl::Status& status);  // NOLINT(google-explicit-constructor)

  static NodeResult NoOutputs() { return NodeResult(); }
  static NodeResult Output(StringMap output) { return NodeResult(std::move(output)); }
  static NodeResult Outputs(std::vector<StringMap> outputs) {
    return NodeResult(std::move(outputs));
  }
  // Stops this branch: the state becomes PRUNED with `data` stored on it.
  static NodeResult Prune(const StringMap& data = {});
  static NodeResult PruneWithStruct(google::protobuf::Struct data);
  // Runs the state again after `delay`. The delay must be positive (else the result is errored
  // with "Delay must be greater than 0", like the SDKs); it is rounded up to whole milliseconds.
  static NodeResult RequeueAfter(absl::Duration delay);
  // Errored with `message` (shown in the run's states; keep secrets out of it).
  static NodeResult Error(std::string message);

  Kind kind() const { return kind_; }
  // kOutputs only.
  const std::vector<StringMap>& outputs() const { return outputs_; }
  // kPrune only.
  const google::protobuf::Struct& prune_data() const { return prune_data_; }
  // kRequeueAfter only.
  absl::Duration requeue_delay() const { return requeue_delay_; }
  // kError only.
  const std::string& error_message() const { return error_message_; }

 private:
  Kind kind_ = Kind::kOutputs;
  std::vector<StringMap> outputs_;
  google::protobuf::Struct prune_data_;
  absl::Duration requeue_delay_;
  std::string error_message_;
};

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_NODE_RESULT_H_
