#include "client/cpp/internal/worker_session.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "client/cpp/internal/result_encoder.h"
#include "client/cpp/internal/sidecar_channel.h"

namespace exosphere::client::internal {
namespace {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

const char* CancelReasonName(v1::CancelTask::Reason reason) {
  switch (reason) {
    case v1::CancelTask::DEADLINE_EXCEEDED:
      return "deadline exceeded";
    case v1::CancelTask::DRAIN_TIMEOUT:
      return "drain timeout";
    default:
      return "cancelled by the sidecar";
  }
}

const char* RejectReasonName(v1::ResultRejected::Reason reason) {
  switch (reason) {
    case v1::ResultRejected::INVALID_RESULT:
      return "INVALID_RESULT";
    case v1::ResultRejected::UNKNOWN_TASK:
      return "UNKNOWN_TASK";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace

WorkerSession::WorkerSession(std::shared_ptr<grpc::Channel> channel, v1::Hello hello,
                             std::string worker_token, SessionListener& listener,
                             const Logger& logger)
    : channel_(std::move(channel)),
      hello_(std::move(hello)),
      worker_token_(std::move(worker_token)),
      listener_(listener),
      logger_(logger),
      stub_(v1::NodeHost::NewStub(channel_)) {}

WorkerSession::Outcome WorkerSession::Run() {
  Outcome outcome;
  if (!worker_token_.empty()) context_.AddMetadata(kWorkerTokenMetadata, worker_token_);
  stream_ = stub_->Connect(&context_);

  v1::WorkerMessage hello_message;
  *hello_message.mutable_hello() = hello_;
  // A failed write means the stream is already broken; the reads below see its end and Finish
  // returns the reason.
  Write(hello_message);

  absl::Status protocol_error;
  v1::SidecarMessage message;
  while (stream_->Read(&message)) {
    if (!protocol_error.ok()) continue;  // cancelled below; reading on until the stream ends
    if (outcome.welcomed) {
      HandleMessage(message);
      continue;
    }
    if (!message.has_welcome()) {
      protocol_error = absl::InternalError(absl::StrCat("the sidecar sent a message of kind ",
                                                        static_cast<int>(message.kind_case()),
                                                        " before its Welcome; closing the stream"));
      context_.TryCancel();
      continue;
    }
    outcome.welcomed = true;
    bool closing;
    {
      absl::MutexLock lock(&mu_);
      welcomed_ = true;
      max_message_bytes_ = message.welcome().max_message_bytes();
      closing = closing_;
    }
    listener_.OnWelcome(message.welcome());
    if (closing) HalfCloseIfIdle();
  }
  EndStream();
  const grpc::Status status = stream_->Finish();
  outcome.status = protocol_error.ok() ? FromGrpcStatus(status) : protocol_error;
  return outcome;
}

void WorkerSession::HandleMessage(const v1::SidecarMessage& message) {
  switch (message.kind_case()) {
    case v1::SidecarMessage::kRegistration:
      listener_.OnRegistration(message.registration());
      break;
    case v1::SidecarMessage::kTask:
      HandleTask(message.task());
      break;
    case v1::SidecarMessage::kTaskBatch:
      for (const v1::Task& task : message.task_batch().tasks()) HandleTask(task);
      break;
    case v1::SidecarMessage::kCancel:
      HandleCancel(message.cancel());
      break;
    case v1::SidecarMessage::kResultRejected: {
      const v1::ResultRejected& rejected = message.result_rejected();
      logger_.Warning(absl::StrCat("The sidecar rejected the result for state ",
                                   rejected.state_id(), " (", RejectReasonName(rejected.reason()),
                                   "): ", rejected.message()));
      break;
    }
    case v1::SidecarMessage::kDrain: {
      size_t in_flight;
      {
        absl::MutexLock lock(&mu_);
        closing_ = true;
        in_flight = in_flight_.size();
      }
      logger_.Info(absl::StrCat("The sidecar is draining: finishing ", in_flight,
                                " task(s) in flight within ", message.drain().deadline_ms(),
                                " ms, then reconnecting"));
      HalfCloseIfIdle();
      break;
    }
    case v1::SidecarMessage::kWelcome:
      logger_.Warning("The sidecar sent a second Welcome; ignored");
      break;
    case v1::SidecarMessage::KIND_NOT_SET:
      // A message kind from a newer protocol revision.
      logger_.Debug("Ignored a sidecar message of an unknown kind");
      break;
  }
}

void WorkerSession::HandleTask(const v1::Task& task) {
  auto cancellation = std::make_shared<CancellationToken>();
  bool after_close = false;
  bool repeated = false;
  {
    absl::MutexLock lock(&mu_);
    // After the half-close no result can be sent; the sidecar re-dispatches the task when the
    // stream ends.
    after_close = half_closed_;
    repeated = !after_close && !in_flight_.emplace(task.state_id(), cancellation).second;
  }
  if (after_close) {
    logger_.Debug(absl::StrCat("Ignored task ", task.state_id(), " received after closing"));
    return;
  }
  if (repeated) {
    logger_.Warning(absl::StrCat("The sidecar sent task ", task.state_id(),
                                 " while it is already running here; ignored the repeat"));
    return;
  }
  const absl::Time deadline = task.deadline_ms() > 0
                                  ? absl::Now() + absl::Milliseconds(task.deadline_ms())
                                  : absl::InfiniteFuture();
  StringMap inputs(task.inputs().begin(), task.inputs().end());
  StringMap secrets(task.secrets().begin(), task.secrets().end());
  listener_.OnTask(shared_from_this(),
                   Task(task.state_id(), task.node_name(), task.identifier(), std::move(inputs),
                        std::move(secrets), std::move(cancellation), deadline));
}

void WorkerSession::HandleCancel(const v1::CancelTask& cancel) {
  std::shared_ptr<CancellationToken> cancellation;
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(cancel.state_id());
    if (it != in_flight_.end()) {
      cancellation = std::move(it->second);
      in_flight_.erase(it);
    }
  }
  if (cancellation == nullptr) return;  // already answered; the sidecar discards that result
  const std::string reason =
      cancel.message().empty() ? CancelReasonName(cancel.reason()) : cancel.message();
  cancellation->Cancel(reason);
  logger_.Info(absl::StrCat("The sidecar cancelled task ", cancel.state_id(), ": ", reason));
  HalfCloseIfIdle();
}

void WorkerSession::SendResult(v1::TaskResult result) {
  uint32_t max_message_bytes;
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(result.state_id());
    if (it == in_flight_.end()) {
      logger_.Debug(absl::StrCat("Dropped the result for state ", result.state_id(),
                                 ": the task was cancelled or its stream ended"));
      return;
    }
    in_flight_.erase(it);
    ++writes_pending_;
    max_message_bytes = max_message_bytes_;
  }
  v1::WorkerMessage message;
  const std::string state_id = result.state_id();
  *message.mutable_result() = std::move(result);
  // The sidecar ends the whole stream on an oversized message; an errored result saying why
  // keeps the stream and lets the graph's retry policy apply.
  const size_t size = message.ByteSizeLong();
  if (max_message_bytes > 0 && size > max_message_bytes) {
    *message.mutable_result() = ErroredResult(
        state_id, absl::StrCat("The result is ", size, " bytes, more than the sidecar's limit of ",
                               max_message_bytes, " bytes"));
  }
  if (!Write(message)) {
    logger_.Debug(
        absl::StrCat("Could not send the result for state ", state_id, ": the stream ended"));
  }
  {
    absl::MutexLock lock(&mu_);
    --writes_pending_;
  }
  HalfCloseIfIdle();
}

void WorkerSession::Close(bool pause) {
  bool cancel_stream = false;
  bool send_pause = false;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    closing_ = true;
    if (!welcomed_) {
      cancel_stream = true;
    } else {
      send_pause = pause && !half_closed_;
    }
  }
  if (cancel_stream) {
    context_.TryCancel();
    return;
  }
  if (send_pause) {
    v1::WorkerMessage set_slots;
    set_slots.mutable_set_slots()->set_slots(0);
    Write(set_slots);
  }
  HalfCloseIfIdle();
}

void WorkerSession::Abort() { context_.TryCancel(); }

bool WorkerSession::AwaitClosed(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return half_closed_ || ended_; };
  return mu_.AwaitWithTimeout(absl::Condition(&closed), timeout);
}

bool WorkerSession::Write(const v1::WorkerMessage& message) {
  absl::MutexLock lock(&write_mu_);
  if (writes_closed_) return false;
  return stream_->Write(message);
}

void WorkerSession::HalfCloseIfIdle() {
  {
    absl::MutexLock lock(&mu_);
    if (!closing_ || !welcomed_ || half_closed_ || ended_ || !in_flight_.empty() ||
        writes_pending_ > 0) {
      return;
    }
    half_closed_ = true;
  }
  absl::MutexLock lock(&write_mu_);
  if (writes_closed_) return;
  writes_closed_ = true;
  stream_->WritesDone();
}

void WorkerSession::EndStream() {
  std::vector<std::shared_ptr<CancellationToken>> cancelled;
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    for (auto& [state_id, cancellation] : in_flight_) cancelled.push_back(cancellation);
    in_flight_.clear();
  }
  if (!cancelled.empty()) {
    logger_.Warning(absl::StrCat("The stream to the sidecar ended with ", cancelled.size(),
                                 " task(s) in flight; they are cancelled and the sidecar gives "
                                 "them to another worker"));
  }
  for (const auto& cancellation : cancelled) {
    cancellation->Cancel("the stream to the sidecar ended");
  }
  // Taking write_mu_ waits for a write in progress; after this no write starts, so Finish
  // below runs alone, as the sync API requires.
  absl::MutexLock lock(&write_mu_);
  writes_closed_ = true;
}

}  // namespace exosphere::client::internal
