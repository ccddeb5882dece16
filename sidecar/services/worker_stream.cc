#include "sidecar/services/worker_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"

#include "common/log.h"
#include "sidecar/services/grpc_status.h"
#include "sidecar/services/protobuf_errors.h"
#include "sidecar/services/task_batching.h"

namespace exosphere::sidecar {

struct WorkerStream::HelloWatch {
  absl::Mutex mu;
  WorkerStream* stream ABSL_GUARDED_BY(mu) = nullptr;  // null once disarmed
  int running ABSL_GUARDED_BY(mu) = 0;                 // timer callbacks inside the stream
};

WorkerStream::WorkerStream(TaskRouter& router, Scheduler& scheduler,
                           const WorkerStreamOptions& options, std::string peer,
                           std::function<void()> on_finish)
    : router_(router),
      scheduler_(scheduler),
      limits_(*options.hello_limits),
      max_message_bytes_(options.max_message_bytes),
      hello_timeout_(options.hello_timeout),
      hello_watch_(std::make_shared<HelloWatch>()),
      peer_(std::move(peer)),
      on_finish_(std::move(on_finish)) {
  {
    absl::MutexLock lock(&hello_watch_->mu);
    hello_watch_->stream = this;
  }
  hello_timer_ = scheduler_.ScheduleAfter(hello_timeout_, [watch = hello_watch_] {
    WorkerStream* stream;
    {
      absl::MutexLock lock(&watch->mu);
      if (watch->stream == nullptr) return;
      stream = watch->stream;
      ++watch->running;
    }
    stream->OnHelloTimeout();
    absl::MutexLock lock(&watch->mu);
    --watch->running;
  });
  StartRead(&incoming_bytes_);
}

void WorkerStream::DisarmHelloTimer() {
  if (hello_watch_ == nullptr) return;
  scheduler_.Cancel(hello_timer_);
  {
    absl::MutexLock lock(&hello_watch_->mu);
    hello_watch_->stream = nullptr;
    hello_watch_->mu.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &hello_watch_->running));
  }
  hello_watch_.reset();
}

void WorkerStream::OnHelloTimeout() {
  EXO_LOG(
      kWarning, "hello_timeout", "no Hello arrived in time; ending the stream",
      {{"peer", peer_}, {"timeout_ms", absl::StrCat(absl::ToInt64Milliseconds(hello_timeout_))}});
  FinishWith(grpc::Status(
      grpc::StatusCode::DEADLINE_EXCEEDED,
      absl::StrCat("no Hello within ", absl::ToInt64Milliseconds(hello_timeout_),
                   " ms of opening the stream (--hello-timeout-ms); send Hello first")));
}

void WorkerStream::Send(v1::SidecarMessage message) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  outbox_.push_back(std::move(message));
  WriteIfIdleLocked();
}

void WorkerStream::SendAll(std::vector<v1::SidecarMessage> messages) {
  absl::MutexLock lock(&mu_);
  if (closed_ || messages.empty()) return;
  for (v1::SidecarMessage& message : messages) outbox_.push_back(std::move(message));
  WriteIfIdleLocked();
}

void WorkerStream::WriteIfIdleLocked() {
  if (writing_) return;  // OnWriteDone writes what was queued meanwhile
  writing_ = true;
  StartNextWriteLocked();
}

void WorkerStream::Close(const absl::Status& status) { FinishWith(ToGrpcStatus(status)); }

void WorkerStream::StartNextWriteLocked() {
  // Tasks that queued together leave as one TaskBatch to a worker that takes batches: one
  // message, one read and one wake-up on the worker's side instead of one per task.
  if (accepts_task_batches_) CoalesceLeadingTasks(outbox_);
  // While more messages wait behind this one, let gRPC coalesce them into one flush; the last
  // queued message is written without the hint, which flushes them. Never on the stream's first
  // write, which carries the initial metadata: hinted, it completed only when something else
  // flushed the connection, and the next write waits for that completion (a new worker's Welcome
  // and Registration, queued together, sat for about 10 s in the worker-loss reliability
  // scenario). std::deque keeps the front element in place while later ones are appended.
  grpc::WriteOptions options;
  if (wrote_before_ && outbox_.size() > 1) options.set_buffer_hint();
  wrote_before_ = true;
  bool own_buffer = false;
  writing_bytes_.Clear();  // the previous message's bytes; gRPC is done with them
  // Serializing a message the sidecar built cannot fail short of running out of memory.
  grpc::SerializationTraits<v1::SidecarMessage>::Serialize(outbox_.front(), &writing_bytes_,
                                                           &own_buffer)
      .IgnoreError();
  StartWrite(&writing_bytes_, options);
}

void WorkerStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  outbox_.pop_front();
  if (!ok) {
    // The stream is broken; the failed read that follows removes the worker.
    outbox_.clear();
    closed_ = true;
  }
  if (!outbox_.empty()) {
    StartNextWriteLocked();
    return;
  }
  writing_ = false;
  FinishIfDrainedLocked();
}

void WorkerStream::OnReadDone(bool ok) {
  if (!ok) {
    Leave("the worker closed the stream");
    FinishWith(grpc::Status::OK);
    return;
  }
  if (ParseIncoming()) HandleMessage();
}

bool WorkerStream::ParseIncoming() {
  ProtobufErrorCapture capture;
  incoming_.Clear();
  if (grpc::SerializationTraits<v1::WorkerMessage>::Deserialize(&incoming_bytes_, &incoming_)
          .ok()) {
    return true;
  }
  const std::string reason = capture.errors().empty() ? "it could not be parsed" : capture.errors();
  const std::string message =
      absl::StrCat("a message on this stream is not a valid exosphere.sidecar.v1.WorkerMessage (",
                   reason, "); the stream ends and its tasks go to other workers");
  EXO_LOG(kWarning, "worker_message_invalid", OutgoingText(message, 1024),
          {{"peer", peer_}, {"worker", worker_id_}});
  Leave("it sent a message that is not a valid WorkerMessage");
  FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, OutgoingText(message)));
  return false;
}

void WorkerStream::HandleMessage() {
  if (worker_id_.empty()) {
    DisarmHelloTimer();
    {
      // The Hello timer ended the stream while this message was on its way.
      absl::MutexLock lock(&mu_);
      if (finish_requested_) return;
      // Before the worker is added: its first tasks may already come as a batch.
      accepts_task_batches_ = incoming_.has_hello() && incoming_.hello().accepts_task_batches();
    }
    if (!incoming_.has_hello()) {
      FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "the first message on a NodeHost stream must be a Hello"));
      return;
    }
    absl::StatusOr<WorkerSpec> spec = ValidateHello(incoming_.hello(), limits_);
    if (!spec.ok()) {
      EXO_LOG(kWarning, "hello_rejected", OutgoingText(spec.status().message()), {{"peer", peer_}});
      FinishWith(ToGrpcStatus(spec.status()));
      return;
    }
    absl::StatusOr<std::string> id = router_.AddWorker(*std::move(spec), this, max_message_bytes_);
    if (!id.ok()) {
      EXO_LOG(kWarning, "hello_rejected", OutgoingText(id.status().message()), {{"peer", peer_}});
      FinishWith(ToGrpcStatus(id.status()));
      return;
    }
    worker_id_ = *id;
    bool already_left;
    {
      absl::MutexLock lock(&mu_);
      registered_id_ = worker_id_;
      already_left = left_;
    }
    // The stream was cancelled while the worker was being added: take it out again.
    if (already_left) router_.RemoveWorker(worker_id_, "the stream was cancelled");
  } else {
    switch (incoming_.kind_case()) {
      case v1::WorkerMessage::kResult:
        router_.HandleResult(worker_id_, incoming_.result());
        break;
      case v1::WorkerMessage::kSetSlots:
        if (incoming_.set_slots().slots() > limits_.max_slots) {
          Leave("SetSlots was out of bounds");
          FinishWith(
              grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           absl::StrCat("SetSlots.slots must be between 0 and ", limits_.max_slots,
                                        ", got ", incoming_.set_slots().slots())));
          return;
        }
        router_.SetSlots(worker_id_, incoming_.set_slots().slots());
        break;
      case v1::WorkerMessage::kHello:
        Leave("a second Hello was sent");
        FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "Hello was already sent on this stream; open a new stream to "
                                "declare other nodes"));
        return;
      case v1::WorkerMessage::KIND_NOT_SET:
        // A message kind from a newer protocol revision: ignore it, keep the stream.
        EXO_LOG(kDebug, "worker_message_unknown", "", {{"worker", worker_id_}});
        break;
    }
  }
  StartRead(&incoming_bytes_);
}

void WorkerStream::FinishWith(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  if (finish_requested_) return;
  finish_requested_ = true;
  closed_ = true;
  finish_status_ = status;
  FinishIfDrainedLocked();
}

void WorkerStream::FinishIfDrainedLocked() {
  if (finish_requested_ && !writing_ && !finished_) {
    finished_ = true;
    if (on_finish_) on_finish_();
    Finish(finish_status_);
  }
}

void WorkerStream::OnCancel() {
  Leave("the stream was cancelled");
  FinishWith(grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled"));
}

void WorkerStream::Leave(const std::string& reason) {
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    if (left_) return;
    left_ = true;
    id = registered_id_;
  }
  if (!id.empty()) router_.RemoveWorker(id, reason);
}

void WorkerStream::OnDone() {
  DisarmHelloTimer();
  Leave("the stream ended");
  delete this;
}

}  // namespace exosphere::sidecar
