#ifndef EXOSPHERE_TESTS_FAKES_FAKE_ROUTER_PEERS_H_
#define EXOSPHERE_TESTS_FAKES_FAKE_ROUTER_PEERS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "sidecar/core/capacity_listener.h"
#include "sidecar/core/registration_requester.h"
#include "sidecar/core/report_queue.h"
#include "sidecar/core/secrets_fetcher.h"
#include "sidecar/core/worker_sink.h"

// Fakes of what the TaskRouter talks to. All thread-safe; none calls back into its caller from
// within a call (as the real implementations promise).
namespace exosphere::testing {

// Records what a worker would receive.
class FakeWorkerSink final : public sidecar::WorkerSink {
 public:
  void Send(sidecar::v1::SidecarMessage message) override;
  void SendAll(std::vector<sidecar::v1::SidecarMessage> messages) override;
  void Close(const absl::Status& status) override;
  std::vector<sidecar::v1::SidecarMessage> messages() const;
  // How many messages each Send (1) or SendAll call carried, in order.
  std::vector<size_t> deliveries() const;
  // The status of Close, if it was called.
  std::optional<absl::Status> closed() const;
  // Messages of one kind, e.g. kTask.
  std::vector<sidecar::v1::SidecarMessage> OfKind(sidecar::v1::SidecarMessage::KindCase kind) const;
  std::vector<std::string> TaskIds() const;
  void Clear();
  // Runs `hook` at the start of every Send and Close (e.g. to check what the caller holds).
  void SetHook(std::function<void()> hook);

 private:
  void RunHook() const;
  mutable absl::Mutex mu_;
  std::function<void()> hook_ ABSL_GUARDED_BY(mu_);
  std::vector<sidecar::v1::SidecarMessage> messages_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> deliveries_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> closed_ ABSL_GUARDED_BY(mu_);
};

class FakeReportQueue final : public sidecar::ReportQueue {
 public:
  void Submit(std::string ns, sidecar::Report report) override;
  std::vector<sidecar::Report> reports() const;
  // The one report of `state_id`; fails the test if there is not exactly one.
  sidecar::Report ReportFor(const std::string& state_id) const;
  size_t count() const;
  // Runs `hook` at the start of every Submit.
  void SetHook(std::function<void()> hook);

 private:
  mutable absl::Mutex mu_;
  std::function<void()> hook_ ABSL_GUARDED_BY(mu_);
  std::vector<sidecar::Report> reports_ ABSL_GUARDED_BY(mu_);
};

// Holds fetches until the test completes them.
class FakeSecretsFetcher final : public sidecar::SecretsFetcher {
 public:
  void Fetch(std::string ns, std::string state_id, Callback done) override;
  std::vector<std::string> pending() const;
  // Runs the callback of `state_id`'s fetch with `result` (on the calling thread).
  void Complete(const std::string& state_id, absl::StatusOr<json::StringMap> result);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Callback> pending_ ABSL_GUARDED_BY(mu_);
};

class FakeCapacityListener final : public sidecar::CapacityListener {
 public:
  void OnCapacity(absl::string_view ns) override;
  int events(const std::string& ns) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> events_ ABSL_GUARDED_BY(mu_);
};

class FakeRegistrationRequester final : public sidecar::RegistrationRequester {
 public:
  void Request(sidecar::RegistrationRequest request) override;
  std::vector<sidecar::RegistrationRequest> requests() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<sidecar::RegistrationRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::testing

#endif  // EXOSPHERE_TESTS_FAKES_FAKE_ROUTER_PEERS_H_
