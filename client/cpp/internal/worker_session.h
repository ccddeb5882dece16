#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_WORKER_SESSION_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_WORKER_SESSION_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "client/cpp/internal/logger.h"
#include "client/cpp/internal/session_listener.h"
#include "exosphere/client/cancellation_token.h"
#include "exosphere/sidecar/v1/node_host.grpc.pb.h"

namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

// One NodeHost.Connect stream (gRPC sync API): sends the Hello, waits for the Welcome, hands
// tasks to the listener, sends their results and follows CancelTask and Drain. Run() blocks on
// the caller's thread for the whole stream; the other methods may be called from any thread.
// A session is used once; a reconnect makes a new one. Shared (enable_shared_from_this) because
// the closures running its tasks outlive the stream when it breaks.
class WorkerSession : public std::enable_shared_from_this<WorkerSession> {
 public:
  struct Outcome {
    // The sidecar accepted the Hello (a Welcome arrived).
    bool welcomed = false;
    // How the stream ended: the status of Connect, or INTERNAL for a protocol violation.
    absl::Status status;
  };

  WorkerSession(std::shared_ptr<grpc::Channel> channel, v1::Hello hello, std::string worker_token,
                SessionListener& listener, const Logger& logger);
  WorkerSession(const WorkerSession&) = delete;
  WorkerSession& operator=(const WorkerSession&) = delete;

  // Opens the stream and serves it until it ends; returns how. Call once.
  Outcome Run() ABSL_LOCKS_EXCLUDED(mu_, write_mu_);

  // Sends the result of a task received on this session, unless the task is no longer in flight
  // (cancelled by the sidecar, or the stream ended), in which case the result is dropped: the
  // sidecar has given the task to someone else. Blocks while the result is written.
  void SendResult(v1::TaskResult result) ABSL_LOCKS_EXCLUDED(mu_, write_mu_);

  // Begins a graceful close: with `pause`, tells the sidecar the worker has zero slots; once no
  // task is in flight, half-closes the stream (the sidecar then ends it). Before the Welcome there
  // is nothing to finish, so the stream is cancelled instead.
  void Close(bool pause) ABSL_LOCKS_EXCLUDED(mu_, write_mu_);

  // Cancels the stream at once; tasks in flight are cancelled and their results dropped.
  void Abort();

  // Blocks until the stream is half-closed or has ended, or `timeout` passes; returns which.
  bool AwaitClosed(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void HandleMessage(const v1::SidecarMessage& message) ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  void HandleTask(const v1::Task& task) ABSL_LOCKS_EXCLUDED(mu_);
  void HandleCancel(const v1::CancelTask& cancel) ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  bool Write(const v1::WorkerMessage& message) ABSL_LOCKS_EXCLUDED(write_mu_);
  void HalfCloseIfIdle() ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  // Cancels what is in flight and stops all writes, so that Finish may be called.
  void EndStream() ABSL_LOCKS_EXCLUDED(mu_, write_mu_);

  const std::shared_ptr<grpc::Channel> channel_;
  const v1::Hello hello_;
  const std::string worker_token_;
  SessionListener& listener_;
  const Logger& logger_;
  const std::unique_ptr<v1::NodeHost::Stub> stub_;

  // Thread-safe for TryCancel; configured before the call starts.
  grpc::ClientContext context_;
  // Set by Run before the Hello is written; only Run reads and finishes it, and writes happen
  // under write_mu_ after the Welcome, so it is never replaced while in use.
  std::unique_ptr<grpc::ClientReaderWriter<v1::WorkerMessage, v1::SidecarMessage>> stream_;

  absl::Mutex mu_;
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t max_message_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Tasks received and not yet answered, by state id.
  std::map<std::string, std::shared_ptr<CancellationToken>> in_flight_ ABSL_GUARDED_BY(mu_);
  // Results taken out of in_flight_ and still being written: the stream must not be half-closed
  // under them.
  int writes_pending_ ABSL_GUARDED_BY(mu_) = 0;

  // Serializes the stream's write operations (gRPC allows one at a time). Never nested with mu_:
  // a write may block, and mu_ must stay free for the reading thread meanwhile.
  absl::Mutex write_mu_;
  bool writes_closed_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_WORKER_SESSION_H_
