#ifndef EXOSPHERE_BENCH_DEVSERVER_LOAD_H_
#define EXOSPHERE_BENCH_DEVSERVER_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

// The devserver capacity load: N runtimes, each on its own keep-alive HTTP connection, loop
// {claim a batch of B states; report each one executed}. Reusable so that the sidecar benchmark
// can run the same preload against the same server in the same run. Thread-safe functions; each
// call owns its connections.
namespace exosphere::bench {

struct LoadTarget {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string api_key;
  std::string namespace_name = "bench";
  // The single node the load claims; its graph has no next nodes, so executed ends the run.
  std::string node_name = "BenchNode";
};

// Registers the bench node and upserts a two-node graph (seed -> node) once, waiting for VALID.
absl::Status PrepareGraph(const LoadTarget& target);

// Creates `count` CREATED states of the bench node (through fan-outs of at most 50 000 outputs
// per executed report) and waits until they are all claimable.
absl::Status PreloadStates(const LoadTarget& target, int64_t count);

struct LoadResult {
  int clients = 0;
  int batch = 0;
  absl::Duration elapsed;
  int64_t claimed = 0;     // states returned by enqueue
  int64_t executed = 0;    // executed reports answered 200
  int64_t errors = 0;      // failed or non-200 calls
  bool exhausted = false;  // the preloaded pool ran dry before the duration ended
  // Per-call latencies in milliseconds, sorted.
  std::vector<double> enqueue_ms;
  std::vector<double> executed_ms;

  // States claimed and reported executed per second.
  double StatesPerSecond() const;
  // HTTP calls (enqueue + executed) per second.
  double CallsPerSecond() const;
  // One parseable line: "devserver_capacity clients=4 batch=16 ... enqueue_p99_ms=...".
  std::string Line() const;
};

// Runs `clients` threads of claim-batch/report-executed for `duration` (or until the pool is
// empty) and measures them.
LoadResult RunClaimExecuteLoad(const LoadTarget& target, int clients, int batch,
                               absl::Duration duration);

// The q-quantile (0..1) of sorted values; 0 for an empty list.
double Percentile(const std::vector<double>& sorted, double q);

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_DEVSERVER_LOAD_H_
