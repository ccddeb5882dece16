#ifndef EXOSPHERE_BENCH_FLEET_FLEET_H_
#define EXOSPHERE_BENCH_FLEET_FLEET_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "bench/fleet/task_ledger.h"
#include "bench/noop_worker.h"
#include "harness/child_process.h"
#include "harness/process_sample.h"
#include "harness/scratch_dir.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/rest_graph_api_client.h"
#include "tests/reliability/fault_proxy.h"
#include <sys/types.h>

namespace exosphere::bench {

struct FleetOptions {
  int pods = 1;
  // Slots of the one worker stream each pod's sidecar serves.
  int slots = 16;
  // How long each task takes. The worker answers on its stream's reader thread, so a pod runs
  // its tasks one after another: with a task time, use slots = 1 (a pod is then busy or free).
  absl::Duration task_time = absl::ZeroDuration();
  std::string ns = "fleet";
  // Flags passed to every sidecar after the fleet's own (so they win).
  std::vector<std::string> sidecar_args;
  // Copy the sidecars' log lines to stderr (prefixed "[podN]"), for debugging a run.
  bool echo_sidecar_logs = false;
  absl::Duration start_timeout = absl::Seconds(60);
};

// One state manager and N pods on loopback, for bench/fleet:
//
//   N x (NoopWorker stream --unix socket--> exosphere-sidecar) --HTTP--> FaultProxy --> devserver
//                                                       the bench's triggers --HTTP--^ (direct)
//
// The devserver and the sidecars are child processes (reaped by ChildProcess); the proxy, which
// counts every request of the fleet and can add latency, cap the server's concurrency or go
// down, and the workers (one gRPC stream per pod) live in the bench process. The graph is one
// node, FleetNode, whose input "t" carries the trigger time into the TaskLedger.
class Fleet {
 public:
  static constexpr char kGraph[] = "fleet";
  static constexpr char kNode[] = "FleetNode";

  static absl::StatusOr<std::unique_ptr<Fleet>> Start(FleetOptions options);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  int pods() const { return options_.pods; }
  reliability::FaultProxy& proxy() { return *proxy_; }
  TaskLedger& ledger() { return ledger_; }

  // Triggers one run of the fleet graph, straight at the devserver (not through the proxy),
  // stamping it with the current time.
  absl::Status TriggerRun();
  // Triggers runs at `per_second` for `duration` on an open-loop schedule (a late trigger does
  // not delay the next ones' due times); returns how many were triggered.
  absl::StatusOr<int64_t> TriggerAtRate(double per_second, absl::Duration duration);
  // Runs triggered so far, by any thread.
  int64_t runs_triggered() const { return runs_triggered_.load(); }

  // CPU and RSS summed over the sidecars, and of the devserver.
  harness::ProcessSample SidecarsUsage() const;
  harness::ProcessSample DevserverUsage() const;
  // Lines the sidecars logged so far; they run at --log_level=warn, so each is a warning or an
  // error (a failed poll or report, a refused request).
  int64_t SidecarLogLines() const;

 private:
  explicit Fleet(FleetOptions options);
  absl::Status StartDevserver();
  absl::Status StartProxy();
  absl::Status StartSidecars();
  absl::Status StartWorkers();
  absl::Status UpsertGraph();

  const FleetOptions options_;
  TaskLedger ledger_;
  std::atomic<int64_t> runs_triggered_{0};
  std::unique_ptr<harness::ScratchDir> dir_;
  std::unique_ptr<harness::ChildProcess> devserver_;
  int devserver_port_ = 0;
  std::unique_ptr<reliability::FaultProxy> proxy_;
  std::vector<std::unique_ptr<harness::ChildProcess>> sidecars_;
  std::vector<std::unique_ptr<NoopWorker>> workers_;
  std::unique_ptr<sidecar::CurlHttpClient> http_;
  std::unique_ptr<sidecar::RestGraphApiClient> rest_;
};

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_FLEET_FLEET_H_
