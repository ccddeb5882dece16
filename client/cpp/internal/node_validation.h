#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_NODE_VALIDATION_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_NODE_VALIDATION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

#include "exosphere/client/base_node.h"
#include "exosphere/client/runtime_options.h"

namespace exosphere::client::internal {

// Namespaces, runtime names and node names: 1 to 128 letters, digits, '_', '-' and '.'.
bool IsValidName(const std::string& name);
// Field names: the same without '.', which `${{ id.outputs.field }}` splits on.
bool IsValidFieldName(const std::string& name);

// Checks what Runtime::Create is given, like the SDKs do before they start: first the options
// and names (INVALID_ARGUMENT with the first problem), then every node (INVALID_ARGUMENT
// "Node validation errors:" followed by every problem found, one per line).
absl::Status ValidateRuntime(const std::string& namespace_name, const std::string& runtime_name,
                             const std::vector<std::shared_ptr<BaseNode>>& nodes,
                             const RuntimeOptions& options);

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_NODE_VALIDATION_H_
