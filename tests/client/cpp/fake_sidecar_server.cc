#include "tests/client/cpp/fake_sidecar_server.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace exosphere::client::testing {

absl::StatusOr<std::unique_ptr<FakeSidecarServer>> FakeSidecarServer::Start(
    const std::vector<grpc::Service*>& services, const std::string& unix_socket_path) {
  grpc::ServerBuilder builder;
  if (!unix_socket_path.empty()) {
    builder.AddListeningPort(absl::StrCat("unix:", unix_socket_path),
                             grpc::InsecureServerCredentials());
  }
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("could not start the fake sidecar server on '", unix_socket_path, "'"));
  }
  return std::unique_ptr<FakeSidecarServer>(new FakeSidecarServer(std::move(server)));
}

FakeSidecarServer::FakeSidecarServer(std::unique_ptr<grpc::Server> server)
    : server_(std::move(server)) {}

FakeSidecarServer::~FakeSidecarServer() { Shutdown(); }

std::shared_ptr<grpc::Channel> FakeSidecarServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void FakeSidecarServer::Shutdown() {
  if (server_ == nullptr) return;
  // A deadline of now cancels the calls still running instead of waiting for them.
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
}

}  // namespace exosphere::client::testing
