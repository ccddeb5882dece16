#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_SIDECAR_CHANNEL_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_SIDECAR_CHANNEL_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

namespace exosphere::client::internal {

inline constexpr char kDefaultSidecarAddress[] = "unix:/tmp/exosphere-sidecar.sock";
inline constexpr char kWorkerTokenMetadata[] = "x-exosphere-worker-token";

// The address to dial: `configured`, else EXOSPHERE_SIDECAR_ADDRESS, else the sidecar's default
// socket. A bare absolute path ("/run/x.sock") becomes "unix:/run/x.sock", as the sidecar's
// --listen flag accepts both spellings.
std::string ResolveSidecarAddress(const std::string& configured);

// `configured`, else EXOSPHERE_WORKER_TOKEN, else "" (no token).
std::string ResolveWorkerToken(const std::string& configured);

// An insecure channel to `address` (a local sidecar). It uses its own subchannel pool and short
// reconnect backoff, so that a restarted sidecar is reached as soon as our own backoff allows,
// not after gRPC's (up to two minutes).
std::shared_ptr<grpc::Channel> CreateSidecarChannel(const std::string& address);

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_SIDECAR_CHANNEL_H_
