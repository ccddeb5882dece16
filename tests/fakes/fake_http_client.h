#ifndef EXOSPHERE_TESTS_FAKES_FAKE_HTTP_CLIENT_H_
#define EXOSPHERE_TESTS_FAKES_FAKE_HTTP_CLIENT_H_

#include <deque>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "sidecar/transport/http_client.h"

namespace exosphere::testing {

// Answers requests with scripted responses (or errors), in order, and records every request.
// With nothing scripted it answers 200 "{}". Thread-safe.
class FakeHttpClient final : public sidecar::HttpClient {
 public:
  void Respond(int status, std::string body);
  // The same, as if the transport had sent the request `sends` times (HttpResponse::sends).
  void RespondAfterSends(int status, std::string body, int sends);
  void Fail(absl::Status error);
  std::vector<sidecar::HttpRequest> requests() const;

  absl::StatusOr<sidecar::HttpResponse> Send(const sidecar::HttpRequest& request) override;
  // Answers on the calling thread.
  void SendAsync(sidecar::HttpRequest request, Callback done) override;

 private:
  mutable absl::Mutex mu_;
  std::deque<absl::StatusOr<sidecar::HttpResponse>> script_ ABSL_GUARDED_BY(mu_);
  std::vector<sidecar::HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::testing

#endif  // EXOSPHERE_TESTS_FAKES_FAKE_HTTP_CLIENT_H_
