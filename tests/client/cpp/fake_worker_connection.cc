#include "tests/client/cpp/fake_worker_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace exosphere::client::testing {

FakeWorkerConnection::FakeWorkerConnection(std::string worker_token, HelloHandler on_hello)
    : worker_token_(std::move(worker_token)), on_hello_(std::move(on_hello)) {
  StartRead(&incoming_);
}

v1::Hello FakeWorkerConnection::hello() const {
  absl::MutexLock lock(&mu_);
  return hello_;
}

void FakeWorkerConnection::Send(v1::SidecarMessage message) {
  absl::MutexLock lock(&mu_);
  if (finish_requested_) return;
  outbox_.push_back(std::move(message));
  if (!writing_) {
    writing_ = true;
    StartWrite(&outbox_.front());
  }
}

void FakeWorkerConnection::SendTask(const std::string& state_id, const std::string& node_name,
                                    const StringMap& inputs, const StringMap& secrets,
                                    const std::string& identifier) {
  v1::SidecarMessage message;
  v1::Task& task = *message.mutable_task();
  task.set_state_id(state_id);
  task.set_node_name(node_name);
  task.set_identifier(identifier.empty() ? node_name : identifier);
  task.mutable_inputs()->insert(inputs.begin(), inputs.end());
  task.mutable_secrets()->insert(secrets.begin(), secrets.end());
  Send(std::move(message));
}

void FakeWorkerConnection::SendCancel(const std::string& state_id, v1::CancelTask::Reason reason) {
  v1::SidecarMessage message;
  message.mutable_cancel()->set_state_id(state_id);
  message.mutable_cancel()->set_reason(reason);
  message.mutable_cancel()->set_message(
      absl::StrCat("cancelled by the test (reason ", static_cast<int>(reason), ")"));
  Send(std::move(message));
}

void FakeWorkerConnection::SendDrain(absl::Duration deadline) {
  v1::SidecarMessage message;
  message.mutable_drain()->set_deadline_ms(
      static_cast<uint64_t>(absl::ToInt64Milliseconds(deadline)));
  Send(std::move(message));
}

void FakeWorkerConnection::SendRegistration(bool registered, const std::string& error) {
  v1::SidecarMessage message;
  message.mutable_registration()->set_registered(registered);
  message.mutable_registration()->set_error(error);
  if (!registered) message.mutable_registration()->set_retry_in_ms(1000);
  Send(std::move(message));
}

void FakeWorkerConnection::End(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  if (finish_requested_) return;
  finish_requested_ = true;
  finish_status_ = status;
  FinishIfReadyLocked();
}

absl::StatusOr<v1::WorkerMessage> FakeWorkerConnection::NextMessage(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto has_message = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !inbox_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_message), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("no message from the worker within ", absl::FormatDuration(timeout)));
  }
  v1::WorkerMessage message = std::move(inbox_.front());
  inbox_.pop_front();
  return message;
}

absl::StatusOr<v1::TaskResult> FakeWorkerConnection::NextResult(absl::Duration timeout) {
  absl::StatusOr<v1::WorkerMessage> message = NextMessage(timeout);
  if (!message.ok()) return message.status();
  if (!message->has_result()) {
    return absl::FailedPreconditionError(
        absl::StrCat("expected a result, got ", message->ShortDebugString()));
  }
  return message->result();
}

bool FakeWorkerConnection::WaitForWorkerClose(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return worker_closed_ || done_; };
  return mu_.AwaitWithTimeout(absl::Condition(&closed), timeout);
}

bool FakeWorkerConnection::WaitForDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
}

bool FakeWorkerConnection::worker_closed() const {
  absl::MutexLock lock(&mu_);
  return worker_closed_;
}

void FakeWorkerConnection::OnReadDone(bool ok) {
  if (!ok) {
    // Like the sidecar: a worker that half-closes gets the stream finished.
    absl::MutexLock lock(&mu_);
    worker_closed_ = true;
    if (!finish_requested_) {
      finish_requested_ = true;
      finish_status_ = grpc::Status::OK;
    }
    FinishIfReadyLocked();
    return;
  }
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = !has_hello_;
    if (first) {
      has_hello_ = true;
      hello_ = incoming_.hello();
    } else {
      inbox_.push_back(incoming_);
    }
  }
  if (first) {
    const grpc::Status answer =
        incoming_.has_hello()
            ? on_hello_(*this, incoming_.hello())
            : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be a Hello");
    if (!answer.ok()) {
      End(answer);
      return;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    if (finish_requested_) return;
  }
  StartRead(&incoming_);
}

void FakeWorkerConnection::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  outbox_.pop_front();
  if (!ok) outbox_.clear();
  if (!outbox_.empty()) {
    StartWrite(&outbox_.front());
    return;
  }
  writing_ = false;
  FinishIfReadyLocked();
}

void FakeWorkerConnection::OnDone() {
  absl::MutexLock lock(&mu_);
  done_ = true;
}

void FakeWorkerConnection::FinishIfReadyLocked() {
  if (finish_requested_ && !writing_ && !finished_) {
    finished_ = true;
    Finish(finish_status_);
  }
}

}  // namespace exosphere::client::testing
