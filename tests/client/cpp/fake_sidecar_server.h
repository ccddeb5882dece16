#ifndef EXOSPHERE_TESTS_CLIENT_CPP_FAKE_SIDECAR_SERVER_H_
#define EXOSPHERE_TESTS_CLIENT_CPP_FAKE_SIDECAR_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include <grpcpp/grpcpp.h>

namespace exosphere::client::testing {

// An in-process gRPC server for fake sidecar services, reachable through an in-process channel
// and, when given a unix socket path, through that socket too (to test real addresses and
// restarts). The services are not owned and must outlive the server. Shuts down when destroyed.
class FakeSidecarServer {
 public:
  // `unix_socket_path` empty: in-process only.
  static absl::StatusOr<std::unique_ptr<FakeSidecarServer>> Start(
      const std::vector<grpc::Service*>& services, const std::string& unix_socket_path = "");
  ~FakeSidecarServer();
  FakeSidecarServer(const FakeSidecarServer&) = delete;
  FakeSidecarServer& operator=(const FakeSidecarServer&) = delete;

  // A new in-process channel to the server.
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // Ends every call (the worker sees its stream break) and stops the server.
  void Shutdown();

 private:
  explicit FakeSidecarServer(std::unique_ptr<grpc::Server> server);

  std::unique_ptr<grpc::Server> server_;
};

}  // namespace exosphere::client::testing

#endif  // EXOSPHERE_TESTS_CLIENT_CPP_FAKE_SIDECAR_SERVER_H_
