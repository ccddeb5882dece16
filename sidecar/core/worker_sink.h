#ifndef EXOSPHERE_SIDECAR_CORE_WORKER_SINK_H_
#define EXOSPHERE_SIDECAR_CORE_WORKER_SINK_H_

#include "absl/status/status.h"

#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::sidecar {

// The sending half of one worker's stream. Implemented by the gRPC reactor; faked in tests.
class WorkerSink {
 public:
  virtual ~WorkerSink() = default;
  // Queues `message` for the worker and returns at once; never blocks and never calls back into
  // the caller. Messages are delivered in the order queued. Dropped silently once the stream is
  // closed (the router learns of that through RemoveWorker).
  virtual void Send(v1::SidecarMessage message) = 0;
  // Ends the stream with `status` once the queued messages are out (the worker is refused for
  // good, e.g. its nodes cannot be registered). Same promises as Send.
  virtual void Close(const absl::Status& status) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_WORKER_SINK_H_
