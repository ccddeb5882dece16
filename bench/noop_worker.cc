#include "bench/noop_worker.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace exosphere::bench {

namespace v1 = sidecar::v1;

NoopWorker::NoopWorker(std::shared_ptr<grpc::Channel> channel, NoopWorkerOptions options,
                       OnTask on_task)
    : options_(std::move(options)),
      on_task_(std::move(on_task)),
      stub_(v1::NodeHost::NewStub(std::move(channel))) {
  stream_ = stub_->Connect(&context_);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_namespace_(options_.ns);
  hello.mutable_hello()->set_runtime_name("bench");
  hello.mutable_hello()->set_slots(static_cast<uint32_t>(options_.slots));
  hello.mutable_hello()->set_worker_label(options_.worker_label);
  hello.mutable_hello()->set_accepts_task_batches(true);
  v1::NodeDefinition& node = *hello.mutable_hello()->add_nodes();
  node.set_name(options_.node_name);
  for (const std::string& field : options_.input_fields) node.add_input_fields(field);
  stream_->Write(hello);
  if (options_.start_paused) SetSlots(0);
  reader_ = std::thread([this] { Read(); });
  if (options_.answer_delay > absl::ZeroDuration()) {
    answerer_ = std::thread([this] { AnswerHeld(); });
  }
}

NoopWorker::~NoopWorker() {
  if (answerer_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    answerer_.join();
  }
  stream_->WritesDone();
  context_.TryCancel();
  reader_.join();
}

void NoopWorker::SetOutputBytes(int64_t bytes) {
  absl::MutexLock lock(&mu_);
  output_bytes_ = bytes;
}

bool NoopWorker::AwaitRegistered(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&registered_), timeout);
}

int64_t NoopWorker::answered() const {
  absl::MutexLock lock(&mu_);
  return answered_;
}

int64_t NoopWorker::in_flight() const {
  absl::MutexLock lock(&mu_);
  return received_ - answered_;
}

absl::Time NoopWorker::last_answer() const {
  absl::MutexLock lock(&mu_);
  return last_answer_;
}

std::vector<double> NoopWorker::latencies_ms() const {
  absl::MutexLock lock(&mu_);
  return latencies_ms_;
}

void NoopWorker::Reset() {
  absl::MutexLock lock(&mu_);
  answered_ = 0;
  received_ = static_cast<int64_t>(held_.size());
  latencies_ms_.clear();
}

void NoopWorker::SetSlots(int slots) {
  v1::WorkerMessage message;
  message.mutable_set_slots()->set_slots(static_cast<uint32_t>(slots));
  absl::MutexLock lock(&write_mu_);
  stream_->Write(message);
}

void NoopWorker::Read() {
  v1::SidecarMessage message;
  v1::WorkerMessage result;
  result.mutable_result()->mutable_executed()->add_outputs();
  while (stream_->Read(&message)) {
    if (message.has_registration() && message.registration().registered()) {
      absl::MutexLock lock(&mu_);
      registered_ = true;
    }
    const absl::Time now = absl::Now();
    if (message.has_task()) Take(message.task(), now, result);
    for (const v1::Task& task : message.task_batch().tasks()) Take(task, now, result);
  }
}

void NoopWorker::Take(const v1::Task& task, absl::Time now, v1::WorkerMessage& result) {
  if (on_task_) on_task_(task);
  {
    absl::MutexLock lock(&mu_);
    latencies_ms_.push_back(
        static_cast<double>(absl::ToUnixMicros(now) - task.claimed_at_unix_micros()) / 1000.0);
    ++received_;
    if (options_.answer_delay > absl::ZeroDuration()) {
      held_.push_back({now + options_.answer_delay, task.state_id()});
      return;
    }
  }
  Answer(task.state_id(), result);
}

void NoopWorker::AnswerHeld() {
  v1::WorkerMessage result;
  result.mutable_result()->mutable_executed()->add_outputs();
  std::vector<std::string> due;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &NoopWorker::HasHeldOrStoppingLocked));
      if (stopping_) return;
      // Wake at the first deadline, or earlier only to stop.
      mu_.AwaitWithDeadline(absl::Condition(&stopping_), held_.front().deadline);
      if (stopping_) return;
      const absl::Time now = absl::Now();
      while (!held_.empty() && held_.front().deadline <= now) {
        due.push_back(std::move(held_.front().state_id));
        held_.pop_front();
      }
    }
    for (const std::string& state_id : due) Answer(state_id, result);
    due.clear();
  }
}

bool NoopWorker::HasHeldOrStoppingLocked() const { return stopping_ || !held_.empty(); }

void NoopWorker::Answer(const std::string& state_id, v1::WorkerMessage& result) {
  result.mutable_result()->set_state_id(state_id);
  {
    absl::MutexLock lock(&mu_);
    v1::Output& output = *result.mutable_result()->mutable_executed()->mutable_outputs(0);
    if (output_bytes_ > 0) {
      (*output.mutable_fields())["blob"] = std::string(static_cast<size_t>(output_bytes_), 'x');
    } else {
      output.mutable_fields()->clear();
    }
  }
  {
    absl::MutexLock lock(&write_mu_);
    stream_->Write(result);
  }
  absl::MutexLock lock(&mu_);
  ++answered_;
  last_answer_ = absl::Now();
}

}  // namespace exosphere::bench
