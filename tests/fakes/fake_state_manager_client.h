#ifndef EXOSPHERE_TESTS_FAKES_FAKE_STATE_MANAGER_CLIENT_H_
#define EXOSPHERE_TESTS_FAKES_FAKE_STATE_MANAGER_CLIENT_H_

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/thread_pool.h"
#include "sidecar/transport/graph_api_client.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::testing {

// An in-memory state manager for sidecar unit tests, behind both clients (the graph API's
// ListNodes shows what RegisterNodes registered): states to hand out, secrets, graphs, and a
// record of every call. Each call can be made to fail through a hook. The asynchronous calls run
// the synchronous ones on a small pool of the fake's own, as the real client completes them on
// its HTTP thread. Thread-safe.
class FakeStateManagerClient final : public sidecar::StatesClient, public sidecar::GraphApiClient {
 public:
  struct ClaimCall {
    std::string ns;
    std::vector<std::string> node_names;
    int batch_size = 0;
  };
  struct SentReport {
    std::string ns;
    sidecar::Report report;
    int attempt = 0;  // 1 for the first attempt of this state's report
  };
  struct Registration {
    std::string ns;
    std::string runtime_name;
    std::vector<sidecar::NodeRegistration> nodes;
  };

  // States handed out by ClaimStates (matching namespace and node name), in order.
  void AddClaimable(const std::string& ns, sidecar::ClaimedState state);
  void SetSecrets(const std::string& state_id, json::StringMap secrets);

  // Hooks deciding the outcome of a call before it takes effect (return OK to proceed).
  void SetClaimHook(std::function<absl::Status(const ClaimCall&)> hook);
  void SetReportHook(std::function<absl::Status(const SentReport&)> hook);
  void SetRegisterHook(std::function<absl::Status(const Registration&)> hook);
  void SetSecretsHook(std::function<absl::Status(const std::string& state_id)> hook);

  std::vector<ClaimCall> claim_calls() const;
  // Reports that succeeded (the hook returned OK), in delivery order.
  std::vector<SentReport> reports() const;
  int report_attempts() const;
  std::vector<Registration> registrations() const;
  int secrets_calls() const;
  size_t claimable() const;

  // Block (real time, bounded) until the condition holds; false on timeout.
  bool AwaitReports(size_t count, absl::Duration timeout = absl::Seconds(10)) const;
  bool AwaitClaimCalls(size_t count, absl::Duration timeout = absl::Seconds(10)) const;
  bool AwaitReportAttempts(int count, absl::Duration timeout = absl::Seconds(10)) const;
  bool AwaitRegistrations(size_t count, absl::Duration timeout = absl::Seconds(10)) const;

  // Graph API: a tiny template store. An upserted graph stays PENDING for `pending_reads` reads.
  void SetGraphPendingReads(int pending_reads);
  void SetRunGraph(const std::string& run_id, json::Json document);
  void SetNodeDetails(const std::string& state_id, json::Json document);
  std::vector<json::Json> upsert_bodies() const;
  std::vector<json::Json> trigger_bodies() const;
  // How many times GetGraph was called.
  int graph_reads() const;
  // Runs (without the fake's lock, so it may block) before each GetNodeRunDetails answers; a
  // non-OK result is the call's.
  void SetNodeDetailsHook(std::function<absl::Status(const std::string& state_id)> hook);

  absl::Status RegisterNodes(absl::string_view ns, absl::string_view runtime_name,
                             const std::vector<sidecar::NodeRegistration>& nodes) override;
  absl::StatusOr<std::vector<sidecar::ClaimedState>> ClaimStates(
      absl::string_view ns, const std::vector<std::string>& node_names, int batch_size) override;
  absl::StatusOr<json::StringMap> GetSecrets(absl::string_view ns,
                                             absl::string_view state_id) override;
  absl::Status SendReport(absl::string_view ns, const sidecar::Report& report) override;
  void SendReportAsync(absl::string_view ns, const sidecar::Report& report,
                       std::function<void(absl::Status)> done) override;
  void GetSecretsAsync(absl::string_view ns, absl::string_view state_id,
                       std::function<void(absl::StatusOr<json::StringMap>)> done) override;
  absl::StatusOr<json::Json> UpsertGraph(absl::string_view ns, absl::string_view graph_name,
                                         const json::Json& body) override;
  absl::StatusOr<json::Json> GetGraph(absl::string_view ns, absl::string_view graph_name) override;
  absl::StatusOr<json::Json> ListGraphs(absl::string_view ns) override;
  absl::StatusOr<std::string> TriggerRun(absl::string_view ns, absl::string_view graph_name,
                                         const json::Json& body) override;
  absl::StatusOr<json::Json> ListRuns(absl::string_view ns, int page, int size) override;
  absl::StatusOr<json::Json> GetRunGraph(absl::string_view ns, absl::string_view run_id) override;
  absl::StatusOr<json::Json> GetNodeRunDetails(absl::string_view ns, absl::string_view graph_name,
                                               absl::string_view run_id,
                                               absl::string_view state_id) override;
  absl::Status CheckHealth(absl::Duration timeout) override;
  // What CheckHealth answers (OK by default).
  void SetHealth(absl::Status health);
  // The registered nodes of `ns` (from RegisterNodes), in the contract's document shape.
  absl::StatusOr<json::Json> ListNodes(absl::string_view ns) override;
  // Records the call and answers a new state id.
  absl::StatusOr<std::string> ManualRetry(absl::string_view ns, absl::string_view state_id,
                                          absl::string_view fanout_id) override;
  // The state ids passed to ManualRetry, in order.
  std::vector<std::string> manual_retries() const;

 private:
  mutable absl::Mutex mu_;
  std::deque<std::pair<std::string, sidecar::ClaimedState>> claimable_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, json::StringMap> secrets_ ABSL_GUARDED_BY(mu_);
  std::function<absl::Status(const ClaimCall&)> claim_hook_ ABSL_GUARDED_BY(mu_);
  std::function<absl::Status(const SentReport&)> report_hook_ ABSL_GUARDED_BY(mu_);
  std::function<absl::Status(const Registration&)> register_hook_ ABSL_GUARDED_BY(mu_);
  std::function<absl::Status(const std::string&)> secrets_hook_ ABSL_GUARDED_BY(mu_);
  std::vector<ClaimCall> claim_calls_ ABSL_GUARDED_BY(mu_);
  std::vector<SentReport> reports_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> attempts_by_state_ ABSL_GUARDED_BY(mu_);
  int report_attempts_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Registration> registrations_ ABSL_GUARDED_BY(mu_);
  int secrets_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int graph_pending_reads_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, json::Json> graphs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> graph_reads_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, json::Json> run_graphs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, json::Json> node_details_ ABSL_GUARDED_BY(mu_);
  std::function<absl::Status(const std::string&)> node_details_hook_ ABSL_GUARDED_BY(mu_);
  int graph_reads_total_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<json::Json> upsert_bodies_ ABSL_GUARDED_BY(mu_);
  std::vector<json::Json> trigger_bodies_ ABSL_GUARDED_BY(mu_);
  int next_run_ ABSL_GUARDED_BY(mu_) = 1;
  absl::Status health_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> manual_retries_ ABSL_GUARDED_BY(mu_);
  // Last member: destroyed first, so that no asynchronous call outlives the state it uses.
  ThreadPool async_{4};
};

}  // namespace exosphere::testing

#endif  // EXOSPHERE_TESTS_FAKES_FAKE_STATE_MANAGER_CLIENT_H_
