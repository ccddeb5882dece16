#ifndef EXOSPHERE_TESTS_RELIABILITY_ENDPOINT_KIND_H_
#define EXOSPHERE_TESTS_RELIABILITY_ENDPOINT_KIND_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace exosphere::reliability {

// The state-manager endpoint a request path addresses (docs/state-manager-v0.md, section 2). The
// method is not part of the kind: `PUT /graph/{name}` and `GET /graph/{name}` are both kGraph.
enum class EndpointKind {
  kRegisterNodes,   // /v0/namespace/{ns}/nodes/ (PUT registers; GET lists)
  kGraph,           // /v0/namespace/{ns}/graph/{name}
  kTrigger,         // /v0/namespace/{ns}/graph/{name}/trigger
  kEnqueue,         // /v0/namespace/{ns}/states/enqueue
  kExecuted,        // /v0/namespace/{ns}/state/{id}/executed
  kErrored,         // /v0/namespace/{ns}/state/{id}/errored
  kPrune,           // /v0/namespace/{ns}/state/{id}/prune
  kReEnqueueAfter,  // /v0/namespace/{ns}/state/{id}/re-enqueue-after
  kManualRetry,     // /v0/namespace/{ns}/state/{id}/manual-retry
  kSecrets,         // /v0/namespace/{ns}/state/{id}/secrets
  kInspection,      // runs, graphs, run graphs, node details, namespaces
  kHealth,          // /health
  kOther,           // anything else
};

// What a request path says about itself. `state_id` is set for the /state/{id}/... endpoints.
struct Endpoint {
  EndpointKind kind = EndpointKind::kOther;
  std::optional<std::string> state_id;
};

// Classifies a request target (path, optionally with a query string, which is ignored).
Endpoint ClassifyEndpoint(absl::string_view target);

// Stable snake_case names ("executed", "re_enqueue_after", ...) used in counters and JSON.
std::string EndpointKindName(EndpointKind kind);
std::optional<EndpointKind> ParseEndpointKind(absl::string_view name);

// Whether the kind is one of the four reports that finish a claimed state or hand it back:
// executed, errored, prune, re-enqueue-after.
bool IsReport(EndpointKind kind);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_ENDPOINT_KIND_H_
