#ifndef EXOSPHERE_TESTS_CLIENT_CPP_FAKE_WORKER_CONNECTION_H_
#define EXOSPHERE_TESTS_CLIENT_CPP_FAKE_WORKER_CONNECTION_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "exosphere/client/string_map.h"
#include "exosphere/sidecar/v1/node_host.grpc.pb.h"

namespace exosphere::client::testing {

namespace v1 = ::exosphere::sidecar::v1;

// The server side of one NodeHost.Connect stream in a FakeNodeHost, driven by the test: it
// collects what the worker sends and sends what the test asks for. Reactions follow the real
// sidecar: the first message must be a Hello, which the `on_hello` callback answers (a status to
// end the stream, or OK to welcome it); a worker's half-close is answered with Finish(OK).
// Thread-safe. Owned by FakeNodeHost; lives until the host is destroyed.
class FakeWorkerConnection final
    : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage> {
 public:
  // Decides how a Hello is answered; called once on a gRPC thread.
  using HelloHandler = std::function<grpc::Status(FakeWorkerConnection&, const v1::Hello&)>;

  FakeWorkerConnection(std::string worker_token, HelloHandler on_hello);

  // The Hello (empty until it arrived) and the x-exosphere-worker-token metadata ("" if none).
  v1::Hello hello() const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& worker_token() const { return worker_token_; }

  void Send(v1::SidecarMessage message) ABSL_LOCKS_EXCLUDED(mu_);
  void SendTask(const std::string& state_id, const std::string& node_name,
                const StringMap& inputs = {}, const StringMap& secrets = {},
                const std::string& identifier = "");
  void SendCancel(const std::string& state_id, v1::CancelTask::Reason reason);
  void SendDrain(absl::Duration deadline);
  void SendRegistration(bool registered, const std::string& error = "");
  // Ends the stream with `status` once queued messages are written.
  void End(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  // The next message the worker sent after its Hello, in order; DEADLINE_EXCEEDED on timeout.
  absl::StatusOr<v1::WorkerMessage> NextMessage(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // NextMessage that must be a result; FAILED_PRECONDITION (describing it) if it is not.
  absl::StatusOr<v1::TaskResult> NextResult(absl::Duration timeout);
  // True once the worker half-closed or the stream ended, false on timeout.
  bool WaitForWorkerClose(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // True once gRPC is done with the stream.
  bool WaitForDone(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  bool worker_closed() const ABSL_LOCKS_EXCLUDED(mu_);

  // Reactions.
  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void FinishIfReadyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string worker_token_;
  const HelloHandler on_hello_;
  // Only touched by the read reactions, which gRPC never runs concurrently.
  v1::WorkerMessage incoming_;

  mutable absl::Mutex mu_;
  bool has_hello_ ABSL_GUARDED_BY(mu_) = false;
  v1::Hello hello_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::WorkerMessage> inbox_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::SidecarMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool worker_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace exosphere::client::testing

#endif  // EXOSPHERE_TESTS_CLIENT_CPP_FAKE_WORKER_CONNECTION_H_
