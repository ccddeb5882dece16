#ifndef EXOSPHERE_BENCH_CHAIN_CHAIN_H_
#define EXOSPHERE_BENCH_CHAIN_CHAIN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "bench/chain/hop_ledger.h"
#include "bench/noop_worker.h"
#include "harness/child_process.h"
#include "harness/scratch_dir.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/rest_graph_api_client.h"
#include "tests/reliability/fault_proxy.h"

namespace exosphere::bench {

struct ChainOptions {
  // Nodes of the linear chain; node i runs on sidecar (i - 1) % 2: 1, 3, 5, .. on A, 2, 4, .. on B.
  int nodes = 10;
  std::string ns = "chain";
  // Flags passed to both sidecars after the bench's own (so they win).
  std::vector<std::string> sidecar_args;
  // Copy the sidecars' log lines to stderr (prefixed "[A]", "[B]").
  bool echo_sidecar_logs = false;
  absl::Duration start_timeout = absl::Seconds(60);
};

// One devserver and two sidecars on one machine, for bench/chain:
//
//   workers of nodes 1,3,5,.. --unix--> sidecar A --HTTP--> proxy A --+
//   workers of nodes 2,4,6,.. --unix--> sidecar B --HTTP--> proxy B --+--> devserver
//                                         the bench's triggers --HTTP--^ (direct)
//
// The devserver and the sidecars are child processes (reaped by ChildProcess). Each sidecar's
// own FaultProxy counts its requests (no faults), so the claims of A and B are told apart. The
// workers live in this process, one NoopWorker stream (one slot) per node, and record every
// task in the HopLedger. The graph is the chain c1 -> c2 -> ... of nodes Chain1, Chain2, ...
class Chain {
 public:
  static constexpr char kGraph[] = "chain";
  static constexpr int kSidecars = 2;

  static absl::StatusOr<std::unique_ptr<Chain>> Start(ChainOptions options);
  ~Chain();
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  HopLedger& ledger() { return ledger_; }
  // The proxy in front of sidecar `sidecar` (0: A, 1: B).
  reliability::FaultProxy& proxy(int sidecar) { return *proxies_[static_cast<size_t>(sidecar)]; }
  // Executed reports the devserver applied, through both sidecars.
  int64_t ExecutedReports() const;
  // Lines the sidecars logged so far (at --log_level=warn: warnings and errors).
  int64_t SidecarLogLines() const;

  // Opens a run in the ledger and triggers it straight at the devserver.
  absl::Status TriggerRun();

 private:
  explicit Chain(ChainOptions options);
  absl::Status StartDevserver();
  absl::Status StartSidecars();
  absl::Status StartWorkers();
  absl::Status UpsertGraph();

  const ChainOptions options_;
  HopLedger ledger_;
  std::unique_ptr<harness::ScratchDir> dir_;
  std::unique_ptr<harness::ChildProcess> devserver_;
  int devserver_port_ = 0;
  std::vector<std::unique_ptr<reliability::FaultProxy>> proxies_;
  std::vector<std::unique_ptr<harness::ChildProcess>> sidecars_;
  std::vector<std::unique_ptr<NoopWorker>> workers_;
  std::unique_ptr<sidecar::CurlHttpClient> http_;
  std::unique_ptr<sidecar::RestGraphApiClient> rest_;
};

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_CHAIN_CHAIN_H_
