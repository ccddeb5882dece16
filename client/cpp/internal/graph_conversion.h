#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_GRAPH_CONVERSION_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_GRAPH_CONVERSION_H_

#include <optional>
#include <string>
#include <vector>

#include "exosphere/client/graph_types.h"
#include "exosphere/client/run_types.h"
#include "exosphere/sidecar/v1/graphs.pb.h"

// Conversions between the user-facing structs of graph_types.h / run_types.h and the messages
// of the sidecar's Graphs protocol. Pure functions.
namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

v1::GraphNode ToProto(const GraphNode& node);
v1::RetryPolicy ToProto(const RetryPolicy& policy);
v1::StoreConfig ToProto(const StoreConfig& config);

GraphNode FromProto(const v1::GraphNode& node);
RetryPolicy FromProto(const v1::RetryPolicy& policy);
StoreConfig FromProto(const v1::StoreConfig& config);
Graph FromProto(const v1::Graph& graph);
Run FromProto(const v1::Run& run);
RunList FromProto(const v1::ListRunsResponse& response);
RunState FromProto(const v1::RunState& state);
RunStates FromProto(const v1::RunStates& states);

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_GRAPH_CONVERSION_H_
