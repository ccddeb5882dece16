#ifndef EXOSPHERE_DEVSERVER_GRAPH_VERIFIER_H_
#define EXOSPHERE_DEVSERVER_GRAPH_VERIFIER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "devserver/models.h"

namespace exosphere::devserver {

// Finds a registered node by (namespace, name); nullptr when it is not registered.
using RegisteredNodeLookup = std::function<const RegisteredNode*(const std::string& namespace_name,
                                                                 const std::string& name)>;

// The asynchronous verification of contract 4.2: every template node is registered, every secret
// the registered nodes declare is in the graph's secrets, and inputs and `${{ id.outputs.f }}`
// references agree with the registered schemas. Returns the list of problems (empty = VALID) in
// the server's order (nodes, secrets, inputs). A non-OK status is an unexpected failure (e.g. a
// malformed registered schema); the caller records "Validation failed due to unexpected error:
// <message>". Pure; thread-safe if `lookup` is.
absl::StatusOr<std::vector<std::string>> VerifyGraph(const GraphTemplate& graph,
                                                     const RegisteredNodeLookup& lookup);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_GRAPH_VERIFIER_H_
