#ifndef EXOSPHERE_SIDECAR_CORE_ROUTER_EFFECTS_H_
#define EXOSPHERE_SIDECAR_CORE_ROUTER_EFFECTS_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/core/registration_requester.h"
#include "sidecar/core/task_outcome.h"
#include "sidecar/core/worker_sink.h"
#include "sidecar/transport/report.h"

namespace exosphere::sidecar {

// What one call into the router decided to do outside itself. The router's parts decide under
// its lock and only append here; the router carries the effects out once the lock is released,
// so that no send, report, callback, log line or disk write happens while the lock is held.
struct RouterEffects {
  // Messages and closes for worker streams, in the order decided.
  struct StreamAction {
    WorkerSink* sink = nullptr;
    std::optional<v1::SidecarMessage> message;  // absent: close with `close_status`
    absl::Status close_status;
  };
  struct SecretsRequest {
    std::string ns;
    std::string state_id;
  };
  struct Finished {
    std::string ns;
    std::string node;  // metric label
    TaskOutcome outcome = TaskOutcome::kErrored;
    FailureReason failure = FailureReason::kNone;
    std::optional<absl::Duration> duration;  // how long its worker had it
  };
  struct Dispatched {
    std::string ns;
    std::string node;
    std::optional<absl::Duration> latency;  // from the claim reply; first dispatch only
  };

  void Send(WorkerSink* sink, v1::SidecarMessage message) {
    streams.push_back({sink, std::move(message), absl::OkStatus()});
  }
  void Close(WorkerSink* sink, absl::Status status) {
    streams.push_back({sink, std::nullopt, std::move(status)});
  }
  // Runs `line` (an EXO_LOG) after the lock is released.
  void Log(std::function<void()> line) { logs.push_back(std::move(line)); }

  // Ordered: carried out in the order the router's critical sections ran (see TaskRouter).
  std::vector<StreamAction> streams;
  std::vector<RegistrationRequest> registrations;
  std::vector<SecretsRequest> secrets;
  std::vector<std::string> capacity;  // namespaces that may have gained free slots
  // Unordered: each report concerns one state, and its metrics and logs only observe.
  std::vector<std::pair<std::string, Report>> reports;  // namespace, report
  std::vector<Dispatched> dispatched;
  std::vector<Finished> finished;
  std::vector<std::function<void()>> logs;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_ROUTER_EFFECTS_H_
