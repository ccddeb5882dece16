#ifndef EXOSPHERE_SIDECAR_NODE_HOST_SERVICE_H_
#define EXOSPHERE_SIDECAR_NODE_HOST_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include <grpcpp/grpcpp.h>

#include "exosphere/sidecar/v1/node_host.grpc.pb.h"
#include "sidecar/hello_validator.h"
#include "sidecar/task_router.h"

namespace exosphere::sidecar {

struct NodeHostServiceOptions {
  HelloLimits hello_limits;
  uint32_t max_message_bytes = 4 << 20;
  int max_streams = 1000;
  // When set, workers must send it as `x-exosphere-worker-token` metadata.
  std::string worker_token;
};

// NodeHost.Connect: admits a stream (token, stream limit) and hands it to a WorkerStream.
// Thread-safe.
class NodeHostService final : public v1::NodeHost::CallbackService {
 public:
  NodeHostService(TaskRouter& router, NodeHostServiceOptions options);

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage>* Connect(
      grpc::CallbackServerContext* context) override;

  int active_streams() const { return active_streams_.load(); }

 private:
  TaskRouter& router_;
  const NodeHostServiceOptions options_;
  std::atomic<int> active_streams_{0};
};

// Compares in time independent of where the strings differ (for tokens).
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_NODE_HOST_SERVICE_H_
