#include "bench/noop_worker.h"

#include <utility>

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
  v1::NodeDefinition& node = *hello.mutable_hello()->add_nodes();
  node.set_name(options_.node_name);
  for (const std::string& field : options_.input_fields) node.add_input_fields(field);
  stream_->Write(hello);
  if (options_.start_paused) SetSlots(0);
  reader_ = std::thread([this] { Read(); });
}

NoopWorker::~NoopWorker() {
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
    if (!message.has_task()) continue;
    const int64_t now_us = absl::ToUnixMicros(absl::Now());
    if (on_task_) on_task_(message.task());
    result.mutable_result()->set_state_id(message.task().state_id());
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
    latencies_ms_.push_back(static_cast<double>(now_us - message.task().claimed_at_unix_micros()) /
                            1000.0);
    ++answered_;
    last_answer_ = absl::Now();
  }
}

}  // namespace exosphere::bench
