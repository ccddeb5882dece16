#ifndef EXOSPHERE_SIDECAR_SERVICES_WORKER_TOKEN_H_
#define EXOSPHERE_SIDECAR_SERVICES_WORKER_TOKEN_H_

#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>

namespace exosphere::sidecar {

// The metadata key a worker or graph client sends the token under.
inline constexpr char kWorkerTokenMetadata[] = "x-exosphere-worker-token";

// The check every RPC on the worker port starts with (NodeHost and Graphs; the gRPC health and
// reflection services stay open for probes): with --worker-token-file set, a call without the
// token, or with another one, ends with UNAUTHENTICATED before it does anything. The sidecar's
// API key is never used on behalf of a caller that fails it. Thread-safe.
class WorkerTokenCheck {
 public:
  // An empty token admits every call.
  explicit WorkerTokenCheck(std::string token) : token_(std::move(token)) {}

  // OK, or UNAUTHENTICATED (logged with the peer, never the token).
  grpc::Status Admit(const grpc::CallbackServerContext& context) const;

 private:
  const std::string token_;
};

// Compares in time independent of where the strings differ (for tokens).
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_WORKER_TOKEN_H_
