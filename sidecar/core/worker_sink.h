#ifndef EXOSPHERE_SIDECAR_CORE_WORKER_SINK_H_
#define EXOSPHERE_SIDECAR_CORE_WORKER_SINK_H_

#include <utility>
#include <vector>

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
  // Send for each of `messages`, in order. A stream overrides it to queue them all before the
  // first write, so that they leave in one flush (one wake-up of the worker, not one per task).
  virtual void SendAll(std::vector<v1::SidecarMessage> messages) {
    for (v1::SidecarMessage& message : messages) Send(std::move(message));
  }
  // Ends the stream with `status` once the queued messages are out (the worker is refused for
  // good, e.g. its nodes cannot be registered). Same promises as Send.
  virtual void Close(const absl::Status& status) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_WORKER_SINK_H_
