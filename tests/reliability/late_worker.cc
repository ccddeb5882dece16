#include "tests/reliability/late_worker.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace exosphere::reliability {

using sidecar::v1::SidecarMessage;
using sidecar::v1::WorkerMessage;

LateWorker::LateWorker(LateWorkerOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<LateWorker>> LateWorker::Start(LateWorkerOptions options,
                                                              absl::Duration timeout) {
  std::unique_ptr<LateWorker> worker(new LateWorker(std::move(options)));
  worker->channel_ =
      grpc::CreateChannel(worker->options_.sidecar_address, grpc::InsecureChannelCredentials());
  worker->stub_ = sidecar::v1::NodeHost::NewStub(worker->channel_);
  worker->stream_ = worker->stub_->Connect(&worker->context_);

  WorkerMessage hello;
  hello.mutable_hello()->set_namespace_(worker->options_.ns);
  hello.mutable_hello()->set_runtime_name("reliability-late-worker");
  hello.mutable_hello()->set_slots(worker->options_.slots);
  sidecar::v1::NodeDefinition* node = hello.mutable_hello()->add_nodes();
  node->set_name(kLateNode);
  node->add_input_fields("value");
  node->add_output_fields("value");
  node->set_deadline_ms(
      static_cast<uint64_t>(absl::ToInt64Milliseconds(worker->options_.deadline)));
  if (!worker->stream_->Write(hello)) {
    return absl::UnavailableError("late worker: cannot send the Hello");
  }
  worker->reader_ = std::thread([w = worker.get()] { w->ReadLoop(); });
  worker->answerer_ = std::thread([w = worker.get()] { w->AnswerLoop(); });

  absl::MutexLock lock(&worker->mu_);
  LateWorker* const w = worker.get();
  auto done = [w]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
    return w->registered_ || w->stream_ended_;
  };
  if (!worker->mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError("late worker: nodes not registered in time");
  }
  if (!worker->registered_) return absl::UnavailableError("late worker: the stream ended");
  return worker;
}

LateWorker::~LateWorker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  context_.TryCancel();
  if (reader_.joinable()) reader_.join();
  if (answerer_.joinable()) answerer_.join();
}

void LateWorker::ReadLoop() {
  SidecarMessage message;
  while (stream_->Read(&message)) {
    absl::MutexLock lock(&mu_);
    switch (message.kind_case()) {
      case SidecarMessage::kRegistration:
        registered_ = registered_ || message.registration().registered();
        break;
      case SidecarMessage::kTask: {
        ++counts_.tasks;
        task_ids_.push_back(message.task().state_id());
        auto value = message.task().inputs().find("value");
        pending_.push_back({message.task().state_id(),
                            value == message.task().inputs().end() ? "" : value->second,
                            absl::Now() + options_.answer_after});
        break;
      }
      case SidecarMessage::kCancel:
        ++counts_.cancels;  // ignored on purpose
        break;
      case SidecarMessage::kResultRejected:
        if (message.result_rejected().reason() == sidecar::v1::ResultRejected::UNKNOWN_TASK) {
          ++counts_.rejected_unknown;
        }
        break;
      default:
        break;
    }
  }
  (void)stream_->Finish();
  absl::MutexLock lock(&mu_);
  stream_ended_ = true;
}

void LateWorker::AnswerLoop() {
  while (true) {
    Pending next;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || stream_ended_ || !pending_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_ || stream_ended_) return;
      next = pending_.front();
      // Wait for the answer time of the oldest task (tasks arrive in answer order), or a stop.
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithDeadline(absl::Condition(&stop), next.answer_at)) return;
      pending_.erase(pending_.begin());
    }
    WorkerMessage result;
    result.mutable_result()->set_state_id(next.state_id);
    (*result.mutable_result()->mutable_executed()->add_outputs()->mutable_fields())["value"] =
        next.value;
    bool written = false;
    {
      absl::MutexLock lock(&write_mu_);
      written = stream_->Write(result);
    }
    absl::MutexLock lock(&mu_);
    if (written) ++counts_.results_sent;
  }
}

LateWorker::Counts LateWorker::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

bool LateWorker::AwaitCounts(const std::function<bool(const Counts&)>& predicate,
                             absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return predicate(counts_); };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
}

std::vector<std::string> LateWorker::task_ids() const {
  absl::MutexLock lock(&mu_);
  return task_ids_;
}

}  // namespace exosphere::reliability
