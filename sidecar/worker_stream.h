#ifndef EXOSPHERE_SIDECAR_WORKER_STREAM_H_
#define EXOSPHERE_SIDECAR_WORKER_STREAM_H_

#include <deque>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include <grpcpp/grpcpp.h>

#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/hello_validator.h"
#include "sidecar/task_router.h"
#include "sidecar/worker_sink.h"

namespace exosphere::sidecar {

// The server side of one NodeHost.Connect stream (gRPC callback API). Reads the Hello, adds the
// worker to the router, then forwards results and slot changes; writes whatever the router sends
// through WorkerSink, one write at a time, in order. Deletes itself in OnDone, after removing the
// worker from the router. Thread-safe (reactions and Send may run on different threads).
class WorkerStream final : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage>,
                           public WorkerSink {
 public:
  // `on_finish` runs once, just before the stream's final status is sent (the stream no longer
  // counts against the limit of streams from then on).
  WorkerStream(TaskRouter& router, const HelloLimits& limits, uint32_t max_message_bytes,
               std::string peer, std::function<void()> on_finish);

  // WorkerSink.
  void Send(v1::SidecarMessage message) override ABSL_LOCKS_EXCLUDED(mu_);

  // Reactions.
  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ~WorkerStream() override = default;

  void HandleMessage() ABSL_LOCKS_EXCLUDED(mu_);
  void StartNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the stream with `status` once queued writes are out.
  void FinishWith(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  void FinishIfDrainedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the worker from the router once; no lock of ours may be held (the router calls Send).
  void Leave(const std::string& reason) ABSL_LOCKS_EXCLUDED(mu_);

  TaskRouter& router_;
  const HelloLimits& limits_;
  const uint32_t max_message_bytes_;
  const std::string peer_;
  const std::function<void()> on_finish_;

  // Only touched by the read reactions, which gRPC never runs concurrently.
  v1::WorkerMessage incoming_;
  std::string worker_id_;

  absl::Mutex mu_;
  std::deque<v1::SidecarMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // Finish pending or done: drop new messages
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  bool left_ ABSL_GUARDED_BY(mu_) = false;
  std::string registered_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_WORKER_STREAM_H_
