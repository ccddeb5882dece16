#ifndef EXOSPHERE_SIDECAR_SIDECAR_METRICS_H_
#define EXOSPHERE_SIDECAR_SIDECAR_METRICS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sidecar/component_stats.h"
#include "sidecar/prometheus.h"

namespace exosphere::sidecar {

// The sidecar's metrics (names and labels are documented in the README's "Metrics" section).
// Components record events as they happen; gauges are read from the components' statistics when
// the metrics are rendered. Labels: namespace, node (only nodes served by a worker; "other" for
// names the server sent that nobody serves), endpoint and status class: never ids. Thread-safe.
class SidecarMetrics {
 public:
  enum class Outcome { kExecuted, kErrored, kPruned, kRequeued, kHandedBack };

  SidecarMetrics();

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
  std::string Render(const Snapshot& snapshot) const;

  uint64_t Finished(absl::string_view ns, absl::string_view node, Outcome outcome) const;

 private:
  prometheus::CounterFamily dispatched_;
  prometheus::CounterFamily finished_;
  prometheus::CounterFamily failed_;
  prometheus::CounterFamily requests_;
  prometheus::HistogramFamily dispatch_latency_;
  prometheus::HistogramFamily task_duration_;
  prometheus::HistogramFamily request_duration_;
};

absl::string_view OutcomeName(SidecarMetrics::Outcome outcome);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SIDECAR_METRICS_H_
