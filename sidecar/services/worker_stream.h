#ifndef EXOSPHERE_SIDECAR_SERVICES_WORKER_STREAM_H_
#define EXOSPHERE_SIDECAR_SERVICES_WORKER_STREAM_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "common/scheduler.h"
#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/core/hello_validator.h"
#include "sidecar/core/task_router.h"
#include "sidecar/core/worker_sink.h"

namespace exosphere::sidecar {

struct WorkerStreamOptions {
  const HelloLimits* hello_limits = nullptr;  // not owned; outlives the stream
  uint32_t max_message_bytes = 4 << 20;
  // The stream ends with DEADLINE_EXCEEDED when no Hello arrived by then.
  absl::Duration hello_timeout = absl::Seconds(10);
};

// The server side of one NodeHost.Connect stream (gRPC callback API). Reads the Hello, adds the
// worker to the router, then forwards results and slot changes; writes whatever the router sends
// through WorkerSink, one write at a time, in order (tasks that queue together go as one
// TaskBatch when the worker accepts batches). Deletes itself in OnDone, after removing the
// worker from the router. Thread-safe (reactions and Send may run on different threads).
//
// Messages travel as raw bytes and are parsed here, so that one that is not a valid
// WorkerMessage (a string field that is not UTF-8, say) ends the stream with INVALID_ARGUMENT
// and libprotobuf's reason, instead of looking like the worker closed it.
class WorkerStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                           public WorkerSink {
 public:
  // `on_finish` runs once, just before the stream's final status is sent (the stream no longer
  // counts against the limit of streams from then on).
  WorkerStream(TaskRouter& router, Scheduler& scheduler, const WorkerStreamOptions& options,
               std::string peer, std::function<void()> on_finish);

  // WorkerSink.
  void Send(v1::SidecarMessage message) override ABSL_LOCKS_EXCLUDED(mu_);
  void SendAll(std::vector<v1::SidecarMessage> messages) override ABSL_LOCKS_EXCLUDED(mu_);
  void Close(const absl::Status& status) override ABSL_LOCKS_EXCLUDED(mu_);

  // Reactions.
  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // What the Hello timer shares with the stream: the timer may fire after the stream is gone.
  struct HelloWatch;

  ~WorkerStream() override = default;

  // Parses incoming_bytes_ into incoming_; on failure ends the stream and returns false.
  bool ParseIncoming() ABSL_LOCKS_EXCLUDED(mu_);
  void HandleMessage() ABSL_LOCKS_EXCLUDED(mu_);
  // The Hello came (or the stream ends): the timer does nothing from now on. Waits for a timer
  // callback that is running.
  void DisarmHelloTimer();
  void OnHelloTimeout() ABSL_LOCKS_EXCLUDED(mu_);
  void StartNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts writing the outbox unless a write is in flight.
  void WriteIfIdleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the stream with `status` once queued writes are out.
  void FinishWith(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  void FinishIfDrainedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the worker from the router once; no lock of ours may be held (the router calls Send).
  void Leave(const std::string& reason) ABSL_LOCKS_EXCLUDED(mu_);

  TaskRouter& router_;
  Scheduler& scheduler_;
  const HelloLimits& limits_;
  const uint32_t max_message_bytes_;
  const absl::Duration hello_timeout_;
  std::shared_ptr<HelloWatch> hello_watch_;
  Scheduler::TaskId hello_timer_ = Scheduler::kNoTask;
  const std::string peer_;
  const std::function<void()> on_finish_;

  // Only touched by the read reactions, which gRPC never runs concurrently.
  grpc::ByteBuffer incoming_bytes_;
  v1::WorkerMessage incoming_;
  std::string worker_id_;

  absl::Mutex mu_;
  std::deque<v1::SidecarMessage> outbox_ ABSL_GUARDED_BY(mu_);
  // The serialized front of the outbox while it is being written.
  grpc::ByteBuffer writing_bytes_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // The Hello set accepts_task_batches: queued tasks are written as one TaskBatch.
  bool accepts_task_batches_ ABSL_GUARDED_BY(mu_) = false;
  // A write was started before: the initial metadata is out (see StartNextWriteLocked).
  bool wrote_before_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // Finish pending or done: drop new messages
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  bool left_ ABSL_GUARDED_BY(mu_) = false;
  std::string registered_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_WORKER_STREAM_H_
