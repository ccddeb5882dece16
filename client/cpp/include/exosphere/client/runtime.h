#ifndef EXOSPHERE_CLIENT_RUNTIME_H_
#define EXOSPHERE_CLIENT_RUNTIME_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "exosphere/client/base_node.h"
#include "exosphere/client/runtime_options.h"

namespace exosphere::client {

namespace internal {
class RuntimeCore;
}  // namespace internal

// Serves a set of nodes through the sidecar, like the SDKs' Runtime: connects to the sidecar,
// announces the nodes and `workers` slots, runs every task it receives on a pool of `workers`
// threads and sends exactly one result per task. When the stream ends (sidecar restart, drain,
// network), tasks in flight are cancelled and it reconnects with backoff and jitter, until
// Stop() or a Hello the sidecar rejects for good (INVALID_ARGUMENT, FAILED_PRECONDITION,
// UNAUTHENTICATED). Thread-safe. Owns its threads; shares the nodes with the caller.
//
//   absl::StatusOr<std::unique_ptr<Runtime>> runtime =
//       Runtime::Create("my-namespace", "my-runtime", {std::make_shared<Sum>()});
//   if (!runtime.ok()) return runtime.status();
//   return (*runtime)->Run();  // blocks until Stop() or a permanent error
class Runtime {
 public:
  // Checks the nodes and options and returns a runtime that is not started yet.
  // INVALID_ARGUMENT lists every problem found, one per line ("Node validation errors:\n..."):
  // a null node, an empty, invalid or duplicate node name, an invalid or duplicate field name,
  // a negative deadline, a schema that is not a JSON object, an invalid namespace or runtime
  // name, workers < 1. An empty namespace means the sidecar's default namespace.
  // The nodes are shared_ptrs because the caller may keep using them (for example to read a
  // node's counters) while the runtime calls them.
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(
      const std::string& namespace_name, const std::string& runtime_name,
      const std::vector<std::shared_ptr<BaseNode>>& nodes, RuntimeOptions options = {});

  // Stops (see Stop) and joins every thread.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Starts connecting in the background and returns at once. FAILED_PRECONDITION when already
  // started or stopped.
  absl::Status Start();

  // Blocks until the runtime ends: OK after Stop(); the sidecar's error (INVALID_ARGUMENT,
  // FAILED_PRECONDITION or UNAUTHENTICATED, with its message) when it rejected the Hello.
  // FAILED_PRECONDITION when the runtime was never started.
  absl::Status Wait();

  // Start() then Wait(): serves until Stop() is called from another thread or the Hello is
  // rejected, like the SDKs' start().
  absl::Status Run();

  // Graceful stop: takes no more tasks (tells the sidecar it has zero slots), lets the tasks in
  // flight finish and sends their results, closes the stream and joins the threads. When
  // `grace` passes first, the tasks still running are cancelled, their results are dropped
  // (the sidecar re-dispatches them) and Stop waits for their Execute to return. Blocks; safe to
  // call more than once and from any thread. Called from a node's Execute it only begins the
  // stop and returns at once (Wait() then returns once the stream is closed; the destructor
  // joins the threads).
  void Stop(absl::Duration grace = absl::InfiniteDuration());

  // Blocks until the sidecar reports the nodes registered with the state manager (tasks only
  // arrive then). DEADLINE_EXCEEDED after `timeout`, with the last registration error if any;
  // the permanent error if the runtime ended; FAILED_PRECONDITION if it was never started.
  absl::Status WaitUntilRegistered(absl::Duration timeout);

 private:
  explicit Runtime(std::unique_ptr<internal::RuntimeCore> core);

  const std::unique_ptr<internal::RuntimeCore> core_;
};

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_RUNTIME_H_
