#ifndef EXOSPHERE_SIDECAR_METRICS_SIDECAR_METRICS_H_
#define EXOSPHERE_SIDECAR_METRICS_SIDECAR_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "sidecar/core/component_stats.h"
#include "sidecar/core/task_outcome.h"

namespace exosphere::sidecar {

// The sidecar's metrics (names and labels are documented in the README's "Metrics" section), kept
// in a prometheus-cpp registry and rendered in the Prometheus text format. Components record
// events as they happen; gauges and the components' own counters are read from a Snapshot of
// their statistics when the metrics are rendered. Labels: namespace, node (only nodes served by a
// worker; "other" for names the server sent that nobody serves), endpoint and status class: never
// ids. Thread-safe: the registry and its families lock internally, the cache of series handles
// has a lock of its own, and Render keeps no state.
class SidecarMetrics {
 public:
  using Outcome = TaskOutcome;

  SidecarMetrics();
  SidecarMetrics(const SidecarMetrics&) = delete;
  SidecarMetrics& operator=(const SidecarMetrics&) = delete;

  // A task was sent to a worker; `latency` from the claim reply (first dispatch only).
  void TaskDispatched(absl::string_view ns, absl::string_view node,
                      std::optional<absl::Duration> latency);
  // A claimed state left the router with a report; `duration` is how long its worker had it.
  void TaskFinished(absl::string_view ns, absl::string_view node, Outcome outcome,
                    std::optional<absl::Duration> duration);
  // Why the sidecar itself reported a state errored: invalid_result, invalid_inputs,
  // deadline_exceeded, worker_lost, secrets, malformed_state.
  void TaskFailed(absl::string_view ns, absl::string_view node, absl::string_view reason);
  // One HTTP exchange with the state manager; `http_status` 0 when there was no response.
  void StateManagerRequest(absl::string_view endpoint, int http_status, absl::Duration latency);

  // Everything read from the components at render time.
  struct Snapshot {
    RouterStats router;
    ReporterStats reporter;
    std::map<std::string, PollerStats> pollers;
    std::optional<JournalStats> journal;
    int worker_streams = 0;
    bool draining = false;
  };
  // The text exposition (format 0.0.4) of the recorded metrics and of `snapshot`: families sorted
  // by name and the series of each by labels, so that equal inputs give equal pages. A family
  // with no series is left out.
  std::string Render(const Snapshot& snapshot) const;

  // How many states of `node` left the router with `outcome`; 0 before the first one.
  uint64_t Finished(absl::string_view ns, absl::string_view node, Outcome outcome) const;

 private:
  // Handles of the series written for every state, looked up once per label set: Family::Add
  // builds a label map, hashes it and locks its family on each call, which cost about 5 % of the
  // sidecar's CPU under load. A handle is set on the series' first event only, so that no series
  // shows up before it has one; series are never removed, so handles stay valid.
  struct NodeSeries {
    prometheus::Counter* dispatched = nullptr;
    prometheus::Histogram* task_duration = nullptr;
    std::array<prometheus::Counter*, kTaskOutcomeCount> finished = {};
  };
  struct NamespaceSeries {
    prometheus::Histogram* dispatch_latency = nullptr;
    absl::flat_hash_map<std::string, NodeSeries> nodes;
  };
  struct EndpointSeries {
    prometheus::Histogram* duration = nullptr;
    // By status class: [0] no response, [n] nxx.
    std::array<prometheus::Counter*, 10> requests = {};
  };

  NamespaceSeries& NamespaceSeriesLocked(absl::string_view ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(series_mu_);
  NodeSeries& NodeSeriesLocked(NamespaceSeries& in_namespace, absl::string_view node)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(series_mu_);

  // Declared first: the families below live in it.
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& dispatched_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& dispatch_latency_;
  prometheus::Family<prometheus::Histogram>& task_duration_;
  prometheus::Family<prometheus::Histogram>& request_duration_;

  absl::Mutex series_mu_;
  absl::flat_hash_map<std::string, NamespaceSeries> namespaces_ ABSL_GUARDED_BY(series_mu_);
  absl::flat_hash_map<std::string, EndpointSeries> endpoints_ ABSL_GUARDED_BY(series_mu_);
};

// Bucket bounds in seconds from 100 us to 60 s, roughly x2.5 apart: the bounds of every latency
// histogram above.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_METRICS_SIDECAR_METRICS_H_
