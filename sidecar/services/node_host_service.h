#ifndef EXOSPHERE_SIDECAR_SERVICES_NODE_HOST_SERVICE_H_
#define EXOSPHERE_SIDECAR_SERVICES_NODE_HOST_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "common/scheduler.h"
#include "exosphere/sidecar/v1/node_host.grpc.pb.h"
#include "sidecar/core/hello_validator.h"
#include "sidecar/core/task_router.h"
#include "sidecar/services/worker_token.h"

namespace exosphere::sidecar {

struct NodeHostServiceOptions {
  HelloLimits hello_limits;
  uint32_t max_message_bytes = 4 << 20;
  int max_streams = 1000;
  // A stream without a Hello after this long is ended (it holds one of `max_streams`).
  absl::Duration hello_timeout = absl::Seconds(10);
  // When set, workers must send it as `x-exosphere-worker-token` metadata.
  std::string worker_token;
};

// NodeHost.Connect: admits a stream (token, stream limit) and hands it to a WorkerStream, which
// parses the messages itself (hence the raw method). Thread-safe.
class NodeHostService final
    : public v1::NodeHost::WithRawCallbackMethod_Connect<v1::NodeHost::Service> {
 public:
  // `scheduler` runs the Hello timeouts; it must outlive every stream.
  NodeHostService(TaskRouter& router, Scheduler& scheduler, NodeHostServiceOptions options);

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Connect(
      grpc::CallbackServerContext* context) override;

  int active_streams() const { return active_streams_.load(); }

 private:
  TaskRouter& router_;
  Scheduler& scheduler_;
  const NodeHostServiceOptions options_;
  const WorkerTokenCheck token_;
  std::atomic<int> active_streams_{0};
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_NODE_HOST_SERVICE_H_
