#include "sidecar/node_host_service.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/worker_stream.h"

namespace exosphere::sidecar {
namespace {

constexpr char kTokenMetadata[] = "x-exosphere-worker-token";

// Ends a stream that is not admitted, without reading from it.
class RejectedStream final : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage> {
 public:
  explicit RejectedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  // Length is not secret enough to hide; the contents are compared without an early exit.
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const std::string& longer = a.size() >= b.size() ? a : b;
  for (size_t i = 0; i < longer.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

NodeHostService::NodeHostService(TaskRouter& router, NodeHostServiceOptions options)
    : router_(router), options_(std::move(options)) {}

grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage>* NodeHostService::Connect(
    grpc::CallbackServerContext* context) {
  const std::string peer = context->peer();
  if (!options_.worker_token.empty()) {
    const auto& metadata = context->client_metadata();
    auto it = metadata.find(kTokenMetadata);
    const std::string given =
        it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
    if (!ConstantTimeEquals(given, options_.worker_token)) {
      EXO_LOG(kWarning, "worker_unauthenticated", "missing or wrong worker token",
              {{"peer", peer}});
      return new RejectedStream(
          grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                       absl::StrCat("this sidecar requires the worker token in the '",
                                    kTokenMetadata, "' metadata; it is missing or wrong")));
    }
  }
  if (active_streams_.fetch_add(1) >= options_.max_streams) {
    active_streams_.fetch_sub(1);
    EXO_LOG(kWarning, "worker_refused", "too many worker streams", {{"peer", peer}});
    return new RejectedStream(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("this sidecar already serves its maximum of ",
                                  options_.max_streams, " worker streams")));
  }
  return new WorkerStream(router_, options_.hello_limits, options_.max_message_bytes, peer,
                          [this] { active_streams_.fetch_sub(1); });
}

}  // namespace exosphere::sidecar
