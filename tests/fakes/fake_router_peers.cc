#include "tests/fakes/fake_router_peers.h"

#include "gtest/gtest.h"

namespace exosphere::testing {

void FakeWorkerSink::SetHook(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  hook_ = std::move(hook);
}

void FakeWorkerSink::RunHook() const {
  std::function<void()> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = hook_;
  }
  if (hook) hook();
}

void FakeWorkerSink::Send(sidecar::v1::SidecarMessage message) {
  RunHook();
  absl::MutexLock lock(&mu_);
  messages_.push_back(std::move(message));
  deliveries_.push_back(1);
}

void FakeWorkerSink::SendAll(std::vector<sidecar::v1::SidecarMessage> messages) {
  RunHook();
  absl::MutexLock lock(&mu_);
  deliveries_.push_back(messages.size());
  for (sidecar::v1::SidecarMessage& message : messages) messages_.push_back(std::move(message));
}

std::vector<size_t> FakeWorkerSink::deliveries() const {
  absl::MutexLock lock(&mu_);
  return deliveries_;
}

void FakeWorkerSink::Close(const absl::Status& status) {
  RunHook();
  absl::MutexLock lock(&mu_);
  if (!closed_.has_value()) closed_ = status;
}

std::optional<absl::Status> FakeWorkerSink::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

std::vector<sidecar::v1::SidecarMessage> FakeWorkerSink::messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

std::vector<sidecar::v1::SidecarMessage> FakeWorkerSink::OfKind(
    sidecar::v1::SidecarMessage::KindCase kind) const {
  absl::MutexLock lock(&mu_);
  std::vector<sidecar::v1::SidecarMessage> matching;
  for (const auto& message : messages_) {
    if (message.kind_case() == kind) matching.push_back(message);
  }
  return matching;
}

std::vector<std::string> FakeWorkerSink::TaskIds() const {
  std::vector<std::string> ids;
  for (const auto& message : OfKind(sidecar::v1::SidecarMessage::kTask)) {
    ids.push_back(message.task().state_id());
  }
  return ids;
}

void FakeWorkerSink::Clear() {
  absl::MutexLock lock(&mu_);
  messages_.clear();
  deliveries_.clear();
}

void FakeReportQueue::SetHook(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  hook_ = std::move(hook);
}

void FakeReportQueue::Submit(std::string ns, sidecar::Report report) {
  std::function<void()> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = hook_;
  }
  if (hook) hook();
  absl::MutexLock lock(&mu_);
  reports_.push_back(std::move(report));
}

std::vector<sidecar::Report> FakeReportQueue::reports() const {
  absl::MutexLock lock(&mu_);
  return reports_;
}

sidecar::Report FakeReportQueue::ReportFor(const std::string& state_id) const {
  absl::MutexLock lock(&mu_);
  std::vector<sidecar::Report> found;
  for (const auto& report : reports_) {
    if (report.state_id == state_id) found.push_back(report);
  }
  EXPECT_EQ(found.size(), 1u) << "reports for " << state_id;
  return found.empty() ? sidecar::Report() : found.front();
}

size_t FakeReportQueue::count() const {
  absl::MutexLock lock(&mu_);
  return reports_.size();
}

void FakeSecretsFetcher::Fetch(std::string ns, std::string state_id, Callback done) {
  absl::MutexLock lock(&mu_);
  pending_[state_id] = std::move(done);
}

std::vector<std::string> FakeSecretsFetcher::pending() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, done] : pending_) ids.push_back(id);
  return ids;
}

void FakeSecretsFetcher::Complete(const std::string& state_id,
                                  absl::StatusOr<json::StringMap> result) {
  Callback done;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(state_id);
    ASSERT_NE(it, pending_.end()) << "no pending secrets fetch for " << state_id;
    done = std::move(it->second);
    pending_.erase(it);
  }
  done(std::move(result));
}

void FakeCapacityListener::OnCapacity(absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  ++events_[std::string(ns)];
}

int FakeCapacityListener::events(const std::string& ns) const {
  absl::MutexLock lock(&mu_);
  auto it = events_.find(ns);
  return it == events_.end() ? 0 : it->second;
}

void FakeRegistrationRequester::Request(sidecar::RegistrationRequest request) {
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(request));
}

std::vector<sidecar::RegistrationRequest> FakeRegistrationRequester::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

}  // namespace exosphere::testing
