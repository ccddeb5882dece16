#ifndef EXOSPHERE_BENCH_SIDECAR_UNDER_TEST_H_
#define EXOSPHERE_BENCH_SIDECAR_UNDER_TEST_H_

#include <httplib.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "bench/devserver_load.h"
#include "bench/noop_worker.h"
#include "harness/child_process.h"
#include "harness/scratch_dir.h"
#include <sys/types.h>

namespace exosphere::bench {

// How to start one sidecar of sidecar-bench and its no-op workers.
struct SidecarSetup {
  std::string binary;
  std::string label;  // "A", "B": names the sidecar in every printed line
  LoadTarget target;
  std::string state_manager_url;
  int batch = 16;
  int http_connections = 8;
  int max_streams = 1000;
  std::vector<std::string> extra_args;
  std::map<std::string, std::optional<std::string>> env;
  int workers = 4;
  int slots = 16;
};

// One phase of claim, dispatch, execute and report, measured on the sidecar.
struct PhaseResult {
  int64_t states = 0;
  double seconds = 0;
  double states_per_s = 0;
  double reports_lag_ms = 0;  // the workers' last answer to the last report settled
  // Reports not yet settled when the workers had answered every task (the backlog that
  // --max-unsent-reports bounds).
  int64_t reports_behind = 0;
  double dispatch_p50_ms = 0;
  double dispatch_p99_ms = 0;
  double cpu_us_per_state = 0;
  int64_t rss_before_kib = 0;
  int64_t rss_peak_kib = 0;
  int64_t in_flight_peak = 0;  // tasks held by the workers at once, sampled every 5 ms
};

// The slow-workers phase: `workers` streams of in_flight / workers slots (rounded up), each
// holding every task `task_time` before answering it.
struct SlowPhaseOptions {
  int in_flight = 1000;
  int workers = 10;
  absl::Duration task_time = absl::Seconds(2);
  int64_t states = 3000;
};

// An exosphere-sidecar child process on a unix socket of its own, with --workers no-op workers
// connected and paused, and the phases sidecar-bench runs on it. The devserver is the caller's.
// Not thread-safe: one phase at a time. Owns the process (killed when destroyed), the socket's
// directory and the workers.
class SidecarUnderTest {
 public:
  // Starts the process and waits until every worker is registered. kUnavailable or
  // kDeadlineExceeded when the sidecar does not start or a worker is not registered in 20 s.
  static absl::StatusOr<std::unique_ptr<SidecarUnderTest>> Start(SidecarSetup setup);
  ~SidecarUnderTest();
  SidecarUnderTest(const SidecarUnderTest&) = delete;
  SidecarUnderTest& operator=(const SidecarUnderTest&) = delete;

  const std::string& label() const { return setup_.label; }
  const std::string& binary() const { return setup_.binary; }
  pid_t pid() const { return process_->pid(); }
  int64_t rss_started_kib() const { return rss_started_kib_; }
  int64_t rss_idle_with_workers_kib() const { return rss_idle_with_workers_kib_; }

  // Preloads `states` states and lets the workers take them until the sidecar has settled every
  // report; prints "# phase `phase` sidecar=LABEL pid=PID load starts" when the load starts.
  // Errors: preload failures, reports rejected by the server, reports not settled a minute after
  // the workers' last answer.
  absl::StatusOr<PhaseResult> RunThroughputPhase(const std::string& phase, int64_t states);

  // The same with slow workers connected for the phase only (the fast ones stay paused).
  absl::StatusOr<PhaseResult> RunSlowPhase(const SlowPhaseOptions& options);

  // The memory phase: RSS before, at the peak of and after (1) a burst of `streams` short-lived
  // worker streams and (2) `states` results with one output of `output_bytes`, each returning to
  // an idle sidecar for `settle`. Prints `sidecar_memory` lines.
  absl::Status RunMemoryPhase(int streams, int64_t states, int64_t output_bytes,
                              absl::Duration settle);

  // Sends SIGTERM after closing the workers, and waits up to 30 s.
  void Stop();

 private:
  SidecarUnderTest(SidecarSetup setup, std::unique_ptr<harness::ScratchDir> dir,
                   std::unique_ptr<harness::ChildProcess> process, std::string socket,
                   const std::string& health_url);

  NoopWorkerOptions WorkerOptions(int slots) const;
  // Starts `workers` (already registered and paused), waits for `states` answers and then for
  // the sidecar to settle their reports, and measures.
  absl::StatusOr<PhaseResult> MeasurePhase(const std::string& phase,
                                           std::vector<std::unique_ptr<NoopWorker>>& workers,
                                           int64_t states);

  const SidecarSetup setup_;
  const std::unique_ptr<harness::ScratchDir> dir_;  // holds the socket
  const std::unique_ptr<harness::ChildProcess> process_;
  const std::string socket_;
  httplib::Client health_;
  std::vector<std::unique_ptr<NoopWorker>> workers_;
  int64_t rss_started_kib_ = 0;
  int64_t rss_idle_with_workers_kib_ = 0;
};

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_SIDECAR_UNDER_TEST_H_
