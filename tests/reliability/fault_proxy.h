#ifndef EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_H_
#define EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "tests/reliability/endpoint_kind.h"
#include "tests/reliability/fault_proxy_stats.h"
#include "tests/reliability/fault_rule.h"
#include "tests/reliability/http_wire.h"
#include "tests/reliability/scoped_fd.h"
#include "tests/reliability/upstream_pool.h"

namespace exosphere::reliability {

struct FaultProxyOptions {
  // The server requests are forwarded to; loopback only ("127.x.y.z" or "localhost").
  std::string upstream_host = "127.0.0.1";
  int upstream_port = 0;
  // The port the proxy listens on at 127.0.0.1; 0 picks a free one.
  int listen_port = 0;
  absl::Duration upstream_connect_timeout = absl::Seconds(3);
  // How long the upstream may take to answer one request before the client gets a 502.
  absl::Duration upstream_response_timeout = absl::Seconds(60);
  // Idle upstream connections are reused only this long (the devserver closes them after 5 s).
  absl::Duration upstream_idle_timeout = absl::Seconds(2);
  // How long a client may take to accept a response before its connection is closed.
  absl::Duration client_write_timeout = absl::Seconds(10);
  // Seeds the draws of probabilities and delay ranges; 0 seeds from std::random_device.
  uint64_t seed = 0;
  HttpReader::Limits limits = {};
  // At most this many requests are served at once (0: no limit); the others wait their turn in
  // arrival order. A request holds its place through its before_forward delays and the
  // forwarding, so with a delay rule the proxy behaves as a server with this many workers and
  // that service time: a state manager of bounded capacity, for load tests. SetMaxInFlight
  // changes it while the proxy runs.
  int max_in_flight = 0;
};

// A fault-injecting HTTP/1.1 proxy on 127.0.0.1 between a client (the sidecar) and a server (the
// devserver). It parses every request and response, forwards requests over keep-alive upstream
// connections and, per request, applies the first fault rule that fires (delays add up before
// it), before forwarding or after the upstream answered. It counts requests, faults and, per
// state id, the reports the upstream applied. It can also go "down": refuse connections and drop
// the open ones, then come back on the same port.
//
// Thread-safe. Owns a listening socket, an accept thread and one thread per client connection;
// Stop (or the destructor) closes every connection and joins every thread.
class FaultProxy {
 public:
  // Binds, starts the accept thread and returns the running proxy. kInvalidArgument for options
  // that are not usable (a non-loopback upstream, no upstream port); kUnavailable when the port
  // is taken.
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(FaultProxyOptions options);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:PORT" and "http://127.0.0.1:PORT".
  std::string address() const;
  std::string url() const;

  // Replaces every rule (and their injection counts). kInvalidArgument (nothing changes) when a
  // rule is invalid (see ValidateFaultRule) or two rules share a name; unnamed rules are named
  // after their kind, with "-2", "-3", ... for repeats.
  absl::Status SetRules(std::vector<FaultRule> rules) ABSL_LOCKS_EXCLUDED(rules_mu_);
  // Appends one rule; errors as SetRules.
  absl::Status AddRule(FaultRule rule) ABSL_LOCKS_EXCLUDED(rules_mu_);
  // Switches a rule on or off; kNotFound for an unknown name.
  absl::Status SetRuleEnabled(absl::string_view name, bool enabled) ABSL_LOCKS_EXCLUDED(rules_mu_);
  absl::Status RemoveRule(absl::string_view name) ABSL_LOCKS_EXCLUDED(rules_mu_);
  void ClearRules() ABSL_LOCKS_EXCLUDED(rules_mu_);
  std::vector<FaultRule> Rules() const ABSL_LOCKS_EXCLUDED(rules_mu_);

  // Down: stops listening (connections are refused) and closes every open client connection,
  // keeping the port reserved. Up: listens on the same port again. Returns once the change is in
  // effect. kFailedPrecondition after Stop; kInternal when the socket refuses the change.
  absl::Status SetDown(bool down) ABSL_LOCKS_EXCLUDED(mu_);
  bool IsDown() const ABSL_LOCKS_EXCLUDED(mu_);

  // See FaultProxyOptions::max_in_flight; requests already in flight are not interrupted.
  void SetMaxInFlight(int max_in_flight) ABSL_LOCKS_EXCLUDED(admission_mu_);

  // A snapshot of the counters.
  FaultProxyStats Stats() const ABSL_LOCKS_EXCLUDED(stats_mu_);
  // Requests received of one endpoint kind (all methods): Stats().Requests(endpoint) without
  // copying the per-state maps, cheap enough to sample often.
  int64_t RequestCount(EndpointKind endpoint) const ABSL_LOCKS_EXCLUDED(stats_mu_);
  // Requests received in all.
  int64_t TotalRequests() const ABSL_LOCKS_EXCLUDED(stats_mu_);
  // Blocks until `predicate` holds on the counters (it is evaluated under the counters' lock, on
  // the caller's thread and whenever they change; it must not call the proxy) or `timeout`
  // passes; returns whether it holds.
  bool AwaitStats(const std::function<bool(const FaultProxyStats&)>& predicate,
                  absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(stats_mu_);

  // Closes the listener and every connection and joins every thread. Blocks; idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum class Ending { kKeepOpen, kClose, kReset };

  struct ActiveRule {
    FaultRule rule;
    int64_t injected = 0;
  };
  // The faults chosen for one request in one phase: the sum of the delays that fired, then at
  // most one other fault.
  struct FaultPlan {
    absl::Duration delay = absl::ZeroDuration();
    std::optional<FaultRule> terminal;
  };
  struct ClientConnection {
    int fd = -1;  // -1 once closed
    bool done = false;
    std::thread thread;
  };

  FaultProxy(FaultProxyOptions options, sockaddr_in upstream, ScopedFd listener, int port,
             ScopedFd stop_fd, ScopedFd acceptor_wake_fd);

  void AcceptLoop() ABSL_LOCKS_EXCLUDED(mu_);
  void ServeConnection(uint64_t id, int fd);
  Ending HandleExchange(int fd, const HttpRequest& request);
  // Waits for a place (FIFO) when max_in_flight is set; false when the proxy stops meanwhile.
  // Every request is counted, so that a limit set at run time holds for those in flight.
  bool AdmitInFlight() ABSL_LOCKS_EXCLUDED(admission_mu_);
  void LeaveInFlight() ABSL_LOCKS_EXCLUDED(admission_mu_);
  Ending ApplyFault(int fd, const FaultRule& rule, const HttpResponse* upstream_response,
                    bool close_after);
  absl::StatusOr<HttpResponse> Forward(const HttpRequest& request);
  // Waits `delay`; false when the client hung up or the proxy is stopping meanwhile.
  bool Pause(int fd, absl::Duration delay);
  // Holds a blackholed connection until the client closes it or the proxy stops.
  void Hold(int fd);
  absl::Status Send(int fd, absl::string_view data);
  void CloseClient(uint64_t id, bool reset) ABSL_LOCKS_EXCLUDED(mu_);
  // Joins the threads of connections that ended; called with mu_ held, joins after release.
  std::vector<std::thread> TakeFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FaultPlan PlanFaults(FaultPhase phase, const HttpRequest& request, EndpointKind endpoint)
      ABSL_LOCKS_EXCLUDED(rules_mu_);
  absl::Status ValidateAndNameLocked(std::vector<ActiveRule>& rules)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(rules_mu_);

  void RecordRequest(const HttpRequest& request, EndpointKind endpoint)
      ABSL_LOCKS_EXCLUDED(stats_mu_);
  void RecordUpstream(const Endpoint& endpoint, int status) ABSL_LOCKS_EXCLUDED(stats_mu_);
  // Adds the deltas to the claim records of the state ids of a 2xx enqueue response.
  void RecordClaims(const std::vector<std::string>& state_ids, int claimed, int delivered)
      ABSL_LOCKS_EXCLUDED(stats_mu_);
  void RecordFault(const FaultRule& rule) ABSL_LOCKS_EXCLUDED(stats_mu_);
  void RecordUpstreamFailure() ABSL_LOCKS_EXCLUDED(stats_mu_);
  void RecordConnection(int64_t open_delta, bool accepted) ABSL_LOCKS_EXCLUDED(stats_mu_);

  const FaultProxyOptions options_;
  const int port_;
  // Written once by Stop and never drained: every wait of every thread watches it.
  const ScopedFd stop_fd_;
  // Wakes the accept thread when the proxy goes down.
  const ScopedFd acceptor_wake_fd_;
  UpstreamPool upstream_;

  // The listening socket's descriptor, for the accept thread (which is joined before Stop closes
  // it); changes of its state go through `listener_` under mu_.
  const int listener_fd_;

  mutable absl::Mutex mu_;
  ScopedFd listener_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_connection_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, ClientConnection> connections_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex rules_mu_;
  std::vector<ActiveRule> rules_ ABSL_GUARDED_BY(rules_mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(rules_mu_);

  mutable absl::Mutex stats_mu_;
  FaultProxyStats stats_ ABSL_GUARDED_BY(stats_mu_);
  int64_t total_requests_ ABSL_GUARDED_BY(stats_mu_) = 0;

  // Admission for max_in_flight: tickets are served in the order they were drawn.
  absl::Mutex admission_mu_;
  int max_in_flight_ ABSL_GUARDED_BY(admission_mu_) = 0;
  uint64_t next_ticket_ ABSL_GUARDED_BY(admission_mu_) = 0;
  uint64_t now_serving_ ABSL_GUARDED_BY(admission_mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(admission_mu_) = 0;
  bool admission_closed_ ABSL_GUARDED_BY(admission_mu_) = false;

  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread acceptor_;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_H_
