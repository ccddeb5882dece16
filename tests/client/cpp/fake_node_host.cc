#include "tests/client/cpp/fake_node_host.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace exosphere::client::testing {

void FakeNodeHost::RejectNextHellos(std::vector<grpc::Status> statuses) {
  absl::MutexLock lock(&mu_);
  rejections_ = std::move(statuses);
}

void FakeNodeHost::set_auto_register(bool auto_register) {
  absl::MutexLock lock(&mu_);
  auto_register_ = auto_register;
}

void FakeNodeHost::set_max_message_bytes(uint32_t bytes) {
  absl::MutexLock lock(&mu_);
  max_message_bytes_ = bytes;
}

absl::StatusOr<FakeWorkerConnection*> FakeNodeHost::WaitForConnection(int index,
                                                                      absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, index]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(greeted_.size()) > index;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "Hello number ", index + 1, " did not arrive within ", absl::FormatDuration(timeout)));
  }
  return greeted_[static_cast<size_t>(index)];
}

std::vector<absl::Time> FakeNodeHost::hello_times() const {
  absl::MutexLock lock(&mu_);
  return hello_times_;
}

int FakeNodeHost::hello_count() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(greeted_.size());
}

grpc::ServerBidiReactor<v1::WorkerMessage, v1::SidecarMessage>* FakeNodeHost::Connect(
    grpc::CallbackServerContext* context) {
  std::string token;
  auto it = context->client_metadata().find("x-exosphere-worker-token");
  if (it != context->client_metadata().end()) token.assign(it->second.data(), it->second.size());
  auto connection = std::make_unique<FakeWorkerConnection>(
      std::move(token), [this](FakeWorkerConnection& connection, const v1::Hello&) {
        return AnswerHello(connection);
      });
  FakeWorkerConnection* raw = connection.get();
  absl::MutexLock lock(&mu_);
  connections_.push_back(std::move(connection));
  return raw;
}

grpc::Status FakeNodeHost::AnswerHello(FakeWorkerConnection& connection) {
  grpc::Status answer = grpc::Status::OK;
  bool auto_register;
  v1::SidecarMessage welcome;
  {
    absl::MutexLock lock(&mu_);
    hello_times_.push_back(absl::Now());
    if (!rejections_.empty()) {
      answer = rejections_.front();
      rejections_.erase(rejections_.begin());
    }
    auto_register = auto_register_;
    welcome.mutable_welcome()->set_worker_id(absl::StrCat("w-", next_worker_id_++));
    welcome.mutable_welcome()->set_max_message_bytes(max_message_bytes_);
  }
  if (answer.ok()) {
    const v1::Hello hello = connection.hello();
    welcome.mutable_welcome()->set_namespace_(hello.namespace_().empty() ? "default"
                                                                         : hello.namespace_());
    welcome.mutable_welcome()->set_sidecar_version("fake");
    connection.Send(std::move(welcome));
    if (auto_register) connection.SendRegistration(true);
  }
  // Published only now, so that whatever the test sends follows the Welcome.
  absl::MutexLock lock(&mu_);
  greeted_.push_back(&connection);
  return answer;
}

}  // namespace exosphere::client::testing
