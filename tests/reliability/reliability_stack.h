#ifndef EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_STACK_H_
#define EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_STACK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "harness/child_process.h"
#include "harness/prometheus_samples.h"
#include "harness/scratch_dir.h"
#include "sidecar/transport/json_util.h"
#include "tests/reliability/devserver_rest.h"
#include "tests/reliability/fault_proxy.h"

namespace exosphere::reliability {

struct ReliabilityStackOptions {
  // Namespace of the workers and graphs.
  std::string ns = "reliability";
  // Workers started (and awaited `ready`) by Start.
  int workers = 1;
  int worker_slots = 4;
  // Extra flags of every worker (exosphere-reliability-worker --help), after the harness's own.
  std::vector<std::string> worker_flags;
  // Extra flags of the sidecar, after the harness's own (so they win), e.g.
  // "--journal-dir={dir}/journal", "--drain-timeout-ms=2000". "{dir}" is replaced by the stack's
  // scratch directory, which lives as long as the stack (across sidecar restarts).
  std::vector<std::string> sidecar_flags;
  // Start the devserver with --db={dir}/devserver.db instead of in memory.
  bool devserver_db = false;
  // Seed of the proxy's draws (0: random).
  uint64_t proxy_seed = 0;
  // How long each process may take to come up.
  absl::Duration start_timeout = absl::Seconds(30);
  // Log level of the sidecar, devserver and workers (their stderr goes to the test's stderr).
  std::string log_level = "warn";
};

// What the state manager says about every run of the namespace, plus the proxy's duplicates.
struct StateFacts {
  // Every run had pending_count 0 before the wait ended.
  bool settled = false;
  int64_t runs = 0;
  int64_t runs_pending = 0;
  int64_t total_states = 0;
  std::map<std::string, int64_t> states_by_status;
  // States left CREATED, QUEUED or EXECUTED (ids), and how many of each.
  std::vector<std::string> stuck_states;
  int64_t left_created = 0;
  int64_t left_queued = 0;
  int64_t left_executed = 0;
  // States the state manager applied more than one executed report for (from the proxy).
  std::vector<std::string> duplicate_executed;
  // Of the stuck states, those claimed in an enqueue reply that never reached the sidecar whole
  // (a fault after forwarding, or a sidecar killed while the reply was in flight): the state
  // manager's protocol strands them whatever the sidecar does. The others are the sidecar's.
  std::vector<std::string> stuck_by_undelivered_claim;
  absl::Duration waited = absl::ZeroDuration();

  int64_t Count(const std::string& status) const;
  // settled, nothing stuck and no duplicate executed report.
  bool Clean() const;
  // One line: runs, states by status, stuck and duplicate counts, time waited.
  std::string Summary() const;
};

// A whole reliability stack of real processes on loopback: exosphere-devserver, a FaultProxy (in
// this process) in front of it, exosphere-sidecar pointed at the proxy and listening on a unix
// socket in a scratch directory, and exosphere-reliability-worker processes. Tests inject faults
// through proxy(), kill and restart the sidecar and the workers, drive graphs over plain HTTP to
// the devserver, and verify the outcome. Every process is killed and reaped on destruction (and
// killed if the test process dies). Not thread-safe, except proxy() and rest().
class ReliabilityStack {
 public:
  static constexpr char kApiKey[] = "reliability-api-key";

  // Starts everything and waits for each process's readiness line (`listening on`, `ready`).
  static absl::StatusOr<std::unique_ptr<ReliabilityStack>> Start(ReliabilityStackOptions options);
  ~ReliabilityStack();
  ReliabilityStack(const ReliabilityStack&) = delete;
  ReliabilityStack& operator=(const ReliabilityStack&) = delete;

  FaultProxy& proxy() { return *proxy_; }
  DevserverRest& rest() { return *rest_; }
  const std::string& ns() const { return options_.ns; }
  // The scratch directory ("{dir}" in sidecar flags).
  const std::string& dir() const { return dir_->path(); }
  // "http://127.0.0.1:PORT" of the devserver itself (not the proxy).
  const std::string& devserver_url() const { return devserver_url_; }
  // "unix:/.../s.sock".
  const std::string& sidecar_address() const { return sidecar_address_; }
  // "http://127.0.0.1:PORT" of the current sidecar's /livez, /readyz and /metrics.
  const std::string& sidecar_health_url() const { return sidecar_health_url_; }
  // The current sidecar's /metrics. kUnavailable when it cannot be fetched.
  absl::StatusOr<harness::PrometheusSamples> SidecarMetrics();

  exosphere::harness::ChildProcess& devserver() { return *devserver_; }
  // The current sidecar process (after a restart, the new one).
  exosphere::harness::ChildProcess& sidecar() { return *sidecar_; }
  bool SidecarRunning();

  // SIGKILL to the sidecar; returns once it is reaped.
  absl::Status KillSidecar();
  // SIGTERM to the sidecar (it drains); returns its wait status once it exited, or
  // kDeadlineExceeded (it keeps running; KillSidecar ends it).
  absl::StatusOr<int> StopSidecar(absl::Duration timeout);
  // Starts a sidecar again with the same flags and socket; kFailedPrecondition while one runs.
  absl::Status RestartSidecar();

  size_t worker_count() const { return workers_.size(); }
  exosphere::harness::ChildProcess& worker(size_t index) { return *workers_.at(index); }
  // Starts one more worker with the common flags plus `extra_flags`, waits for `ready` and
  // returns its index.
  absl::StatusOr<size_t> StartWorker(const std::vector<std::string>& extra_flags = {});
  // Starts `count` workers at once and then waits until every one is ready (faster than one
  // StartWorker after another); returns their indexes.
  absl::StatusOr<std::vector<size_t>> StartWorkers(
      int count, const std::vector<std::string>& extra_flags = {});
  // SIGKILL to a worker; returns once it is reaped. kOutOfRange for an unknown index.
  absl::Status KillWorker(size_t index);
  // Waits until worker `index` prints that it started a task of `node`; returns the state id.
  // Only tasks started after `skip` earlier matching lines count (so that a test can wait for
  // the next one).
  absl::StatusOr<std::string> AwaitWorkerTask(size_t index, const std::string& node,
                                              absl::Duration timeout, size_t skip = 0);

  // Upserts a graph over plain HTTP and waits until it is VALID.
  absl::Status UpsertGraph(const std::string& name, const json::Json& body,
                           absl::Duration timeout = absl::Seconds(20));
  // Triggers one run; returns its id.
  absl::StatusOr<std::string> TriggerRun(const std::string& graph,
                                         const json::StringMap& inputs = {});
  // Triggers `count` runs with the same inputs; returns their ids.
  absl::StatusOr<std::vector<std::string>> TriggerRuns(const std::string& graph, int count,
                                                       const json::StringMap& inputs = {});

  // Waits (bounded by `timeout`, polling the runs list) until every run of the namespace has
  // pending_count 0, then collects the facts of every state, settled or not. Errors only when
  // the devserver cannot be asked.
  absl::StatusOr<StateFacts> AwaitRunsSettled(absl::Duration timeout);

 private:
  explicit ReliabilityStack(ReliabilityStackOptions options) : options_(std::move(options)) {}

  absl::Status StartDevserver();
  absl::Status StartProxy();
  absl::StatusOr<StateFacts> CollectFacts(bool settled, int64_t runs_pending);
  // Starts a worker process without waiting for it; returns its index.
  absl::StatusOr<size_t> LaunchWorker(const std::vector<std::string>& extra_flags);
  absl::Status AwaitWorkerReady(size_t index);

  const ReliabilityStackOptions options_;
  // Declared first so that it is removed after every process that uses it is gone.
  std::unique_ptr<exosphere::harness::ScratchDir> dir_;
  std::unique_ptr<exosphere::harness::ChildProcess> devserver_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<DevserverRest> rest_;
  std::unique_ptr<exosphere::harness::ChildProcess> sidecar_;
  std::vector<std::unique_ptr<exosphere::harness::ChildProcess>> workers_;
  std::vector<std::string> sidecar_argv_;
  std::string devserver_url_;
  std::string sidecar_address_;
  std::string sidecar_health_url_;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_RELIABILITY_STACK_H_
