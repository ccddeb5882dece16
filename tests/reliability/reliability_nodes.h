#ifndef EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_NODES_H_
#define EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_NODES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "exosphere/client/base_node.h"

namespace exosphere::reliability {

// How the reliability worker's nodes behave (see node_names.h for their inputs and outputs).
struct ReliabilityNodeOptions {
  // Node names (node_names.h) or their short forms "noop", "sleep", "poison", "hang", "fanout";
  // empty: all of them.
  std::vector<std::string> nodes;
  // The execution deadline every node declares (zero: none; the sidecar's default applies).
  absl::Duration deadline = absl::ZeroDuration();
  // rel-hang ignores cancellation and blocks until the process dies; otherwise it returns (an
  // error) once the task is cancelled.
  bool hang_ignores_cancel = false;
  // rel-sleep sleeps its full time even when cancelled (its result arrives late).
  bool sleep_ignores_cancel = false;
  // Where rel-poison's "abort_once" leaves a marker file per state id, so that the next worker
  // running the same state finishes it. Empty: "abort_once" behaves like "abort".
  std::string marker_dir;
  // Print `task NODE STATE_ID` on stdout (flushed) when a task starts.
  bool print_tasks = false;
};

// The nodes. kInvalidArgument for an unknown node name. The nodes are shared_ptrs because
// Runtime::Create takes them so.
absl::StatusOr<std::vector<std::shared_ptr<client::BaseNode>>> MakeReliabilityNodes(
    const ReliabilityNodeOptions& options);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_NODES_H_
