#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_HELLO_BUILDER_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_HELLO_BUILDER_H_

#include <memory>
#include <string>
#include <vector>

#include "exosphere/client/base_node.h"
#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

// The Hello announcing `nodes` (already validated) with `slots` slots. An empty `worker_label`
// becomes "<hostname>:<pid>".
v1::Hello BuildHello(const std::string& namespace_name, const std::string& runtime_name,
                     const std::vector<std::shared_ptr<BaseNode>>& nodes, int slots,
                     const std::string& worker_label);

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_HELLO_BUILDER_H_
