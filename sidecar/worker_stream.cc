#include "sidecar/worker_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/grpc_status.h"

namespace exosphere::sidecar {

WorkerStream::WorkerStream(TaskRouter& router, const HelloLimits& limits,
                           uint32_t max_message_bytes, std::string peer,
                           std::function<void()> on_finish)
    : router_(router),
      limits_(limits),
      max_message_bytes_(max_message_bytes),
      peer_(std::move(peer)),
      on_finish_(std::move(on_finish)) {
  StartRead(&incoming_);
}

void WorkerStream::Send(v1::SidecarMessage message) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  outbox_.push_back(std::move(message));
  if (!writing_) {
    writing_ = true;
    StartNextWriteLocked();
  }
}

void WorkerStream::StartNextWriteLocked() {
  // While more messages wait behind this one, let gRPC coalesce them into fewer frames and
  // syscalls; the last queued message is written without the hint, which flushes the batch.
  // std::deque keeps the front element in place while later ones are appended.
  grpc::WriteOptions options;
  if (outbox_.size() > 1) options.set_buffer_hint();
  StartWrite(&outbox_.front(), options);
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
  HandleMessage();
}

void WorkerStream::HandleMessage() {
  if (worker_id_.empty()) {
    if (!incoming_.has_hello()) {
      FinishWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "the first message on a NodeHost stream must be a Hello"));
      return;
    }
    absl::StatusOr<WorkerSpec> spec = ValidateHello(incoming_.hello(), limits_);
    if (!spec.ok()) {
      EXO_LOG(kWarning, "hello_rejected", std::string(spec.status().message()), {{"peer", peer_}});
      FinishWith(ToGrpcStatus(spec.status()));
      return;
    }
    absl::StatusOr<std::string> id = router_.AddWorker(*std::move(spec), this, max_message_bytes_);
    if (!id.ok()) {
      EXO_LOG(kWarning, "hello_rejected", std::string(id.status().message()), {{"peer", peer_}});
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
  StartRead(&incoming_);
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
  Leave("the stream ended");
  delete this;
}

}  // namespace exosphere::sidecar
