#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_RESULT_ENCODER_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_RESULT_ENCODER_H_

#include <string>

#include "exosphere/client/base_node.h"
#include "exosphere/client/node_result.h"
#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

// Turns what a node returned into the TaskResult for `state_id`, applying the checks the SDKs
// make before reporting: every output must hold each declared output field, and a re-enqueue
// delay must be positive. A result that fails them becomes errored with a message saying why.
v1::TaskResult EncodeResult(const std::string& state_id, const NodeSpec& spec,
                            const NodeResult& result);

// An errored TaskResult for `state_id`.
v1::TaskResult ErroredResult(const std::string& state_id, const std::string& message);

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_RESULT_ENCODER_H_
