#ifndef EXOSPHERE_EXAMPLES_CPP_DEMO_GRAPH_H_
#define EXOSPHERE_EXAMPLES_CPP_DEMO_GRAPH_H_

#include <vector>

#include "exosphere/client/graph_types.h"
#include "exosphere/client/string_map.h"

namespace exosphere::examples {

// The demo graph over the example nodes:
//
//   normalize -> split (fan-out, one state per word) -> shout (uses store.suffix)
//       \                                                 |
//        `-- collect (unites normalize: waits for every shout) -> sign (secret signing_key)
//
// A chain, a fan-out, a unite, a store value and a secret. The unite node `collect` is listed in
// shout's next_nodes (it must be reachable) and unites on normalize, the node above the fan-out,
// so that it runs once, after every branch. Its inputs, and those of `sign` after it, may
// reference only normalize and the store (the state manager's rule for unites).
std::vector<client::GraphNode> DemoGraphNodes();

// The store keys the graph reads, with defaults: suffix = "!".
client::StoreConfig DemoStoreConfig();

}  // namespace exosphere::examples

#endif  // EXOSPHERE_EXAMPLES_CPP_DEMO_GRAPH_H_
