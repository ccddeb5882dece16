#include "client/cpp/internal/sidecar_channel.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace exosphere::client::internal {
namespace {

std::string FromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::string ResolveSidecarAddress(const std::string& configured) {
  std::string address = configured;
  if (address.empty()) address = FromEnvironment("EXOSPHERE_SIDECAR_ADDRESS");
  if (address.empty()) address = kDefaultSidecarAddress;
  if (absl::StartsWith(address, "/")) address = absl::StrCat("unix:", address);
  return address;
}

std::string ResolveWorkerToken(const std::string& configured) {
  if (!configured.empty()) return configured;
  return FromEnvironment("EXOSPHERE_WORKER_TOKEN");
}

std::shared_ptr<grpc::Channel> CreateSidecarChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Reconnect quickly after a sidecar restart. gRPC also takes the "min reconnect backoff" as
  // the time a connection attempt may take, so it stays generous: at 100 ms, a loaded machine
  // failed the first call with "timed out before receiving SETTINGS frame".
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Tasks and run states can be large; the sidecar bounds what it sends.
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace exosphere::client::internal
