#include "sidecar/services/node_host_service.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/services/worker_stream.h"

namespace exosphere::sidecar {
namespace {

// Ends a stream that is not admitted, without reading from it.
class RejectedStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RejectedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

NodeHostService::NodeHostService(TaskRouter& router, Scheduler& scheduler,
                                 NodeHostServiceOptions options)
    : router_(router),
      scheduler_(scheduler),
      options_(std::move(options)),
      token_(options_.worker_token) {}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* NodeHostService::Connect(
    grpc::CallbackServerContext* context) {
  if (grpc::Status admitted = token_.Admit(*context); !admitted.ok()) {
    return new RejectedStream(admitted);
  }
  const std::string peer = context->peer();
  if (active_streams_.fetch_add(1) >= options_.max_streams) {
    active_streams_.fetch_sub(1);
    EXO_LOG(kWarning, "worker_refused", "too many worker streams", {{"peer", peer}});
    return new RejectedStream(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("this sidecar already serves its maximum of ",
                                  options_.max_streams, " worker streams")));
  }
  WorkerStreamOptions stream_options;
  stream_options.hello_limits = &options_.hello_limits;
  stream_options.max_message_bytes = options_.max_message_bytes;
  stream_options.hello_timeout = options_.hello_timeout;
  return new WorkerStream(router_, scheduler_, stream_options, peer,
                          [this] { active_streams_.fetch_sub(1); });
}

}  // namespace exosphere::sidecar
