#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_NODE_INVOKER_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_NODE_INVOKER_H_

#include "exosphere/client/base_node.h"
#include "exosphere/client/task.h"
#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

// Runs `node` on `task` and returns the TaskResult to send. Never throws: an exception thrown by
// the node becomes an errored result with its message (a worker must never crash on a node).
// Blocks for as long as the node runs.
v1::TaskResult InvokeNode(BaseNode& node, const Task& task);

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_NODE_INVOKER_H_
