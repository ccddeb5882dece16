#include "tests/fakes/fake_http_client.h"

#include <utility>

namespace exosphere::testing {

void FakeHttpClient::Respond(int status, std::string body) {
  absl::MutexLock lock(&mu_);
  script_.push_back(sidecar::HttpResponse{status, std::move(body)});
}

void FakeHttpClient::RespondAfterSends(int status, std::string body, int sends) {
  absl::MutexLock lock(&mu_);
  script_.push_back(sidecar::HttpResponse{status, std::move(body), sends});
}

void FakeHttpClient::Fail(absl::Status error) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(error));
}

std::vector<sidecar::HttpRequest> FakeHttpClient::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

absl::StatusOr<sidecar::HttpResponse> FakeHttpClient::Send(const sidecar::HttpRequest& request) {
  absl::MutexLock lock(&mu_);
  requests_.push_back(request);
  if (script_.empty()) return sidecar::HttpResponse{200, "{}"};
  absl::StatusOr<sidecar::HttpResponse> next = std::move(script_.front());
  script_.pop_front();
  return next;
}

void FakeHttpClient::SendAsync(sidecar::HttpRequest request, Callback done) { done(Send(request)); }

}  // namespace exosphere::testing
