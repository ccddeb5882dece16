#ifndef EXOSPHERE_CLIENT_CLIENT_H_
#define EXOSPHERE_CLIENT_CLIENT_H_

// The whole C++ client of the Exosphere sidecar: nodes and the Runtime that serves them
// (workers), and the StateManager graph client.
#include "exosphere/client/base_node.h"           // IWYU pragma: export
#include "exosphere/client/cancellation_token.h"  // IWYU pragma: export
#include "exosphere/client/graph_types.h"         // IWYU pragma: export
#include "exosphere/client/log_sink.h"            // IWYU pragma: export
#include "exosphere/client/node_result.h"         // IWYU pragma: export
#include "exosphere/client/run_types.h"           // IWYU pragma: export
#include "exosphere/client/runtime.h"             // IWYU pragma: export
#include "exosphere/client/runtime_options.h"     // IWYU pragma: export
#include "exosphere/client/state_manager.h"       // IWYU pragma: export
#include "exosphere/client/string_map.h"          // IWYU pragma: export
#include "exosphere/client/task.h"                // IWYU pragma: export

#endif  // EXOSPHERE_CLIENT_CLIENT_H_
