#ifndef EXOSPHERE_TESTS_CLIENT_CPP_FAKE_NODE_HOST_H_
#define EXOSPHERE_TESTS_CLIENT_CPP_FAKE_NODE_HOST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "exosphere/sidecar/v1/node_host.grpc.pb.h"
#include "tests/client/cpp/fake_worker_connection.h"

namespace exosphere::client::testing {

namespace v1 = ::exosphere::sidecar::v1;

// A NodeHost service the test controls: it welcomes each Hello (or rejects it with a chosen
// status), optionally reports the nodes registered, and hands every stream to the test as a
// FakeWorkerConnection. Thread-safe. Owns the connections; destroy it only after the server
// that serves it has shut down.
class FakeNodeHost final : public v1::NodeHost::CallbackService {
 public:
  FakeNodeHost() = default;

  // How the next Hellos are answered: each status in `statuses` answers one Hello, in order;
  // Hellos after them are welcomed.
  void RejectNextHellos(std::vector<grpc::Status> statuses) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether a welcomed worker also gets Registration{registered: true} (default true).
  void set_auto_register(bool auto_register) ABSL_LOCKS_EXCLUDED(mu_);
  // The Welcome's max_message_bytes (default 0: no limit announced).
  void set_max_message_bytes(uint32_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until `index + 1` Hellos arrived (rejected ones count) and returns the stream of the
  // one with that index; DEADLINE_EXCEEDED on timeout.
  absl::StatusOr<FakeWorkerConnection*> WaitForConnection(int index, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);
  // When each Hello arrived, in order.
  std::vector<absl::Time> hello_times() const ABSL_LOCKS_EXCLUDED(mu_);
  int hello_count() const ABSL_LOCKS_EXCLUDED(mu_);

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage>* Connect(
      grpc::CallbackServerContext* context) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  grpc::Status AnswerHello(FakeWorkerConnection& connection) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::vector<grpc::Status> rejections_ ABSL_GUARDED_BY(mu_);
  bool auto_register_ ABSL_GUARDED_BY(mu_) = true;
  uint32_t max_message_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<FakeWorkerConnection>> connections_ ABSL_GUARDED_BY(mu_);
  // Connections whose Hello arrived, in arrival order.
  std::vector<FakeWorkerConnection*> greeted_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> hello_times_ ABSL_GUARDED_BY(mu_);
  int next_worker_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace exosphere::client::testing

#endif  // EXOSPHERE_TESTS_CLIENT_CPP_FAKE_NODE_HOST_H_
