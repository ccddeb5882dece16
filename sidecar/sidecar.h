#ifndef EXOSPHERE_SIDECAR_SIDECAR_H_
#define EXOSPHERE_SIDECAR_SIDECAR_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include <grpcpp/grpcpp.h>

#include "common/clock.h"
#include "common/scheduler.h"
#include "common/thread_pool.h"
#include "sidecar/config.h"
#include "sidecar/core/task_router.h"
#include "sidecar/core/work_signals.h"
#include "sidecar/metrics/sidecar_metrics.h"
#include "sidecar/operations/http_secrets_fetcher.h"
#include "sidecar/operations/journal.h"
#include "sidecar/operations/poller_set.h"
#include "sidecar/operations/registrar.h"
#include "sidecar/operations/reporter.h"
#include "sidecar/services/graphs_service.h"
#include "sidecar/services/health_server.h"
#include "sidecar/services/node_host_service.h"
#include "sidecar/transport/api_key_source.h"
#include "sidecar/transport/graph_api_client.h"
#include "sidecar/transport/http_client.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

// Seams for tests: a fake state manager (one object may implement both clients) and a fake
// clock. Not owned; must outlive the Sidecar.
struct SidecarDependencies {
  StatesClient* states = nullptr;       // default: REST over libcurl
  GraphApiClient* graph_api = nullptr;  // default: REST over libcurl
  Clock* clock = nullptr;               // default: RealClock
};

// The whole sidecar process minus flag parsing: builds every component from the config, serves
// NodeHost and Graphs over gRPC, and shuts down gracefully. Thread-safe.
class Sidecar {
 public:
  // Starts serving. Errors: kInvalidArgument for a config that cannot work, kUnavailable when
  // the listen address cannot be bound, others from reading the API key file.
  static absl::StatusOr<std::unique_ptr<Sidecar>> Start(SidecarConfig config,
                                                        SidecarDependencies dependencies = {});
  // Shuts down (gracefully, if Shutdown was not called).
  ~Sidecar();
  Sidecar(const Sidecar&) = delete;
  Sidecar& operator=(const Sidecar&) = delete;

  // Where workers connect: "unix:/path" or "host:port" with the real port.
  const std::string& address() const { return address_; }
  // Where /livez, /readyz and /metrics are served ("host:port"), or empty.
  std::string health_address() const { return health_ == nullptr ? "" : health_->address(); }
  // A channel to this sidecar's services that does not go through a socket.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // The graceful stop: claim nothing more, tell workers to drain, wait up to the drain timeout
  // for tasks in flight, hand back the rest, deliver every report (bounded wait), stop serving.
  // Blocks; idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(shutdown_mu_);
  // The impatient stop (a second signal): hands back every task in flight at once and waits
  // briefly for those reports. Blocks for at most `report_wait`.
  void HandBackNow(absl::Duration report_wait) ABSL_LOCKS_EXCLUDED(shutdown_mu_);

  // The probes and metrics behind the health endpoints.
  ProbeResult Liveness() const;
  ProbeResult Readiness() ABSL_LOCKS_EXCLUDED(readiness_mu_);
  std::string RenderMetrics() const;

  RouterStats RouterStatistics() const { return router_->Stats(); }
  ReporterStats ReporterStatistics() const { return reporter_->Stats(); }
  // Empty when the journal is off.
  std::optional<JournalStats> JournalStatistics() const {
    if (journal_ == nullptr) return std::nullopt;
    return journal_->Stats();
  }
  std::map<std::string, PollerStats> PollerStatistics() const { return pollers_->Stats(); }

 private:
  explicit Sidecar(SidecarConfig config);
  absl::Status Build(SidecarDependencies dependencies);
  // Sends the reports a previous run left undelivered and hands back the states it had claimed
  // but not finished.
  void RecoverFromJournal();
  // Proves every few seconds that the scheduler runs and the router's lock can be taken.
  void Heartbeat();

  const SidecarConfig config_;
  std::string address_;

  Clock* clock_ = nullptr;
  std::unique_ptr<ApiKeySource> api_key_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<StatesClient> owned_states_;
  std::unique_ptr<GraphApiClient> owned_graph_api_;
  StatesClient* states_ = nullptr;
  GraphApiClient* graph_api_ = nullptr;
  std::unique_ptr<Journal> journal_;
  // Before the router and the pollers, which both use it.
  WorkSignals work_signals_;
  std::unique_ptr<Scheduler> scheduler_;
  // Apart so that slow Graphs API calls (run details of a large run) never delay the
  // registration a connecting worker waits for.
  std::unique_ptr<ThreadPool> registration_pool_;
  std::unique_ptr<ThreadPool> graphs_pool_;
  std::unique_ptr<Reporter> reporter_;
  std::unique_ptr<HttpSecretsFetcher> secrets_;
  std::unique_ptr<Registrar> registrar_;
  std::unique_ptr<TaskRouter> router_;
  std::unique_ptr<PollerSet> pollers_;
  std::unique_ptr<NodeHostService> node_host_;
  std::unique_ptr<GraphsService> graphs_;
  std::unique_ptr<grpc::Server> server_;
  SidecarMetrics metrics_;
  std::unique_ptr<HealthServer> health_;
  std::atomic<int64_t> last_heartbeat_ms_{0};

  absl::Mutex readiness_mu_;
  absl::Time last_health_check_ ABSL_GUARDED_BY(readiness_mu_) = absl::InfinitePast();
  absl::Status last_health_ ABSL_GUARDED_BY(readiness_mu_);

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SIDECAR_H_
