#include "tests/reliability/fault_proxy.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "sidecar/transport/json_util.h"
#include "tests/reliability/socket_io.h"
#include <sys/eventfd.h>
#include <sys/socket.h>

namespace exosphere::reliability {
namespace {

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr char kMalformedBody[] = "<html><body>fault proxy: this body is not JSON</body></html>";

absl::StatusOr<ScopedFd> MakeEventFd() {
  ScopedFd fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd.valid()) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return fd;
}

void Signal(int event_fd) {
  const uint64_t one = 1;
  // The counter cannot overflow with our few writes; a failed write leaves it readable anyway.
  (void)!write(event_fd, &one, sizeof(one));
}

void Drain(int event_fd) {
  uint64_t value;
  (void)!read(event_fd, &value, sizeof(value));
}

std::string ErrorBody(absl::string_view detail) {
  return json::Dump(json::Json{{"detail", std::string(detail)}});
}

// The state ids an enqueue response claims ({"states": [{"state_id": ...}, ...]}); none when the
// body is not of that shape.
std::vector<std::string> ClaimedStateIds(const HttpResponse& response) {
  std::vector<std::string> ids;
  absl::StatusOr<json::Json> body = json::Parse(response.body, "enqueue response");
  if (!body.ok() || !body->is_object()) return ids;
  auto states = body->find("states");
  if (states == body->end() || !states->is_array()) return ids;
  for (const json::Json& state : *states) {
    if (!state.is_object()) continue;
    auto id = state.find("state_id");
    if (id != state.end() && id->is_string()) ids.push_back(id->get<std::string>());
  }
  return ids;
}

int StatusForRequestError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kResourceExhausted:
      return 413;
    case absl::StatusCode::kUnimplemented:
      return 501;
    default:
      return 0;  // the connection itself failed: nothing can be answered
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(FaultProxyOptions options) {
  absl::StatusOr<sockaddr_in> upstream =
      LoopbackAddress(options.upstream_host, options.upstream_port);
  if (!upstream.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fault proxy upstream: ", upstream.status().message()));
  }
  absl::StatusOr<ScopedFd> listener = ListenLoopback(options.listen_port);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<int> port = LocalPort(listener->get());
  if (!port.ok()) return port.status();
  absl::StatusOr<ScopedFd> stop_fd = MakeEventFd();
  if (!stop_fd.ok()) return stop_fd.status();
  absl::StatusOr<ScopedFd> wake_fd = MakeEventFd();
  if (!wake_fd.ok()) return wake_fd.status();
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(std::move(options), *upstream,
                                                   *std::move(listener), *port, *std::move(stop_fd),
                                                   *std::move(wake_fd)));
  proxy->acceptor_ = std::thread([raw = proxy.get()] { raw->AcceptLoop(); });
  return proxy;
}

FaultProxy::FaultProxy(FaultProxyOptions options, sockaddr_in upstream, ScopedFd listener, int port,
                       ScopedFd stop_fd, ScopedFd acceptor_wake_fd)
    : options_(std::move(options)),
      port_(port),
      stop_fd_(std::move(stop_fd)),
      acceptor_wake_fd_(std::move(acceptor_wake_fd)),
      upstream_(upstream, options_.upstream_connect_timeout, options_.upstream_idle_timeout,
                stop_fd_.get()),
      listener_fd_(listener.get()),
      listener_(std::move(listener)),
      random_(options_.seed != 0 ? options_.seed : std::random_device{}()),
      max_in_flight_(options_.max_in_flight) {}

FaultProxy::~FaultProxy() { Stop(); }

std::string FaultProxy::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string FaultProxy::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

// --- Rules ---------------------------------------------------------------------------------

absl::Status FaultProxy::ValidateAndNameLocked(std::vector<ActiveRule>& rules) {
  std::map<std::string, int> seen;
  for (ActiveRule& active : rules) {
    FaultRule& rule = active.rule;
    if (rule.name.empty()) {
      const std::string base = FaultKindName(rule.kind);
      rule.name = base;
      for (int n = 2; seen.count(rule.name) > 0; ++n) rule.name = absl::StrCat(base, "-", n);
    }
    if (!seen.emplace(rule.name, 0).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault rule name '", rule.name, "' is used twice"));
    }
    absl::Status valid = ValidateFaultRule(rule);
    if (!valid.ok()) return valid;
  }
  return absl::OkStatus();
}

absl::Status FaultProxy::SetRules(std::vector<FaultRule> rules) {
  std::vector<ActiveRule> active;
  active.reserve(rules.size());
  for (FaultRule& rule : rules) active.push_back({std::move(rule), 0});
  absl::MutexLock lock(&rules_mu_);
  absl::Status valid = ValidateAndNameLocked(active);
  if (!valid.ok()) return valid;
  rules_ = std::move(active);
  return absl::OkStatus();
}

absl::Status FaultProxy::AddRule(FaultRule rule) {
  absl::MutexLock lock(&rules_mu_);
  std::vector<ActiveRule> next = rules_;
  next.push_back({std::move(rule), 0});
  absl::Status valid = ValidateAndNameLocked(next);
  if (!valid.ok()) return valid;
  rules_ = std::move(next);
  return absl::OkStatus();
}

absl::Status FaultProxy::SetRuleEnabled(absl::string_view name, bool enabled) {
  absl::MutexLock lock(&rules_mu_);
  for (ActiveRule& active : rules_) {
    if (active.rule.name == name) {
      active.rule.enabled = enabled;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("no fault rule named '", name, "'"));
}

absl::Status FaultProxy::RemoveRule(absl::string_view name) {
  absl::MutexLock lock(&rules_mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->rule.name == name) {
      rules_.erase(it);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("no fault rule named '", name, "'"));
}

void FaultProxy::ClearRules() {
  absl::MutexLock lock(&rules_mu_);
  rules_.clear();
}

std::vector<FaultRule> FaultProxy::Rules() const {
  absl::MutexLock lock(&rules_mu_);
  std::vector<FaultRule> rules;
  for (const ActiveRule& active : rules_) rules.push_back(active.rule);
  return rules;
}

FaultProxy::FaultPlan FaultProxy::PlanFaults(FaultPhase phase, const HttpRequest& request,
                                             EndpointKind endpoint) {
  FaultPlan plan;
  std::vector<FaultRule> fired;
  {
    absl::MutexLock lock(&rules_mu_);
    for (ActiveRule& active : rules_) {
      const FaultRule& rule = active.rule;
      if (!rule.enabled || rule.phase != phase) continue;
      if (rule.max_injections > 0 && active.injected >= rule.max_injections) continue;
      if (!rule.Matches(request.method, request.target, endpoint)) continue;
      if (rule.probability < 1.0 &&
          std::uniform_real_distribution<double>(0.0, 1.0)(random_) >= rule.probability) {
        continue;
      }
      ++active.injected;
      fired.push_back(rule);
      if (rule.kind != FaultKind::kDelay) {
        plan.terminal = rule;
        break;
      }
      absl::Duration delay = rule.delay;
      if (rule.max_delay > rule.delay) {
        const int64_t low = absl::ToInt64Microseconds(rule.delay);
        const int64_t high = absl::ToInt64Microseconds(rule.max_delay);
        delay = absl::Microseconds(std::uniform_int_distribution<int64_t>(low, high)(random_));
      }
      plan.delay += delay;
    }
  }
  for (const FaultRule& rule : fired) RecordFault(rule);
  return plan;
}

// --- Down and stop -------------------------------------------------------------------------

absl::Status FaultProxy::SetDown(bool down) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::FailedPreconditionError("fault proxy is stopped");
  if (down == down_) return absl::OkStatus();
  if (down) {
    absl::Status stopped = StopListening(listener_.get());
    if (!stopped.ok()) return stopped;
    down_ = true;
    // A server that goes down takes its open connections with it. The connection threads
    // notice on their next read or write; each closes its own descriptor.
    for (auto& [id, connection] : connections_) {
      if (connection.fd >= 0) shutdown(connection.fd, SHUT_RDWR);
    }
    Signal(acceptor_wake_fd_.get());
    return absl::OkStatus();
  }
  absl::Status listening = Listen(listener_.get());
  if (!listening.ok()) return listening;
  down_ = false;
  return absl::OkStatus();
}

bool FaultProxy::IsDown() const {
  absl::MutexLock lock(&mu_);
  return down_;
}

void FaultProxy::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  {
    absl::MutexLock lock(&admission_mu_);
    admission_closed_ = true;
  }
  Signal(stop_fd_.get());
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, connection] : connections_) {
      if (connection.fd >= 0) shutdown(connection.fd, SHUT_RDWR);
      threads.push_back(std::move(connection.thread));
    }
  }
  for (std::thread& thread : threads) thread.join();
  {
    absl::MutexLock lock(&mu_);
    connections_.clear();
    listener_.Reset();
  }
  upstream_.CloseIdle();
}

// --- Connections ---------------------------------------------------------------------------

void FaultProxy::AcceptLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !down_; };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
    }
    pollfd entries[3] = {{stop_fd_.get(), POLLIN, 0},
                         {acceptor_wake_fd_.get(), POLLIN, 0},
                         {listener_fd_, POLLIN, 0}};
    if (poll(entries, 3, -1) < 0 && errno != EINTR) return;
    if (entries[0].revents != 0) return;
    if (entries[1].revents != 0) {
      Drain(acceptor_wake_fd_.get());
      continue;
    }
    if (entries[2].revents == 0) continue;
    const int fd = accept4(listener_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: back off briefly instead of spinning on the pending connection.
        WaitFor(-1, 0, stop_fd_.get(), absl::Now() + absl::Milliseconds(10));
      }
      continue;  // EAGAIN, ECONNABORTED, or the listener went down meanwhile
    }
    std::vector<std::thread> finished;
    {
      absl::MutexLock lock(&mu_);
      finished = TakeFinishedLocked();
      if (stopping_ || down_) {
        close(fd);
      } else {
        const uint64_t id = next_connection_id_++;
        ClientConnection& connection = connections_[id];
        connection.fd = fd;
        RecordConnection(+1, /*accepted=*/true);
        connection.thread = std::thread([this, id, fd] { ServeConnection(id, fd); });
      }
    }
    for (std::thread& thread : finished) thread.join();
  }
}

std::vector<std::thread> FaultProxy::TakeFinishedLocked() {
  std::vector<std::thread> finished;
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->second.done) {
      finished.push_back(std::move(it->second.thread));
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
  return finished;
}

void FaultProxy::CloseClient(uint64_t id, bool reset) {
  absl::MutexLock lock(&mu_);
  ClientConnection& connection = connections_[id];
  if (connection.fd >= 0) {
    if (reset) SetResetOnClose(connection.fd);
    close(connection.fd);
    connection.fd = -1;
  }
  connection.done = true;
}

absl::Status FaultProxy::Send(int fd, absl::string_view data) {
  return SendAll(fd, data, stop_fd_.get(), absl::Now() + options_.client_write_timeout);
}

void FaultProxy::ServeConnection(uint64_t id, int fd) {
  HttpReader reader(fd, stop_fd_.get(), options_.limits);
  const auto send_continue = [this, fd] { return Send(fd, kContinue); };
  Ending ending = Ending::kClose;
  while (true) {
    absl::StatusOr<HttpRequest> request = reader.ReadRequest(absl::InfiniteFuture(), send_continue);
    if (!request.ok()) {
      if (const int status = StatusForRequestError(request.status()); status != 0) {
        // Best effort: the connection is closed right after either way.
        (void)Send(fd, SerializeResponse(
                           MakeResponse(status, ErrorBody(absl::StrCat(
                                                    "fault proxy: ", request.status().message()))),
                           /*close=*/true));
      }
      break;
    }
    ending = HandleExchange(fd, *request);
    if (ending != Ending::kKeepOpen) break;
  }
  RecordConnection(-1, /*accepted=*/false);
  CloseClient(id, ending == Ending::kReset);
}

FaultProxy::Ending FaultProxy::HandleExchange(int fd, const HttpRequest& request) {
  const Endpoint endpoint = ClassifyEndpoint(request.target);
  RecordRequest(request, endpoint.kind);
  const bool close_after = request.WantsClose();

  // The place under max_in_flight is held through the delays and the forwarding (the "service"),
  // not through a terminal fault, which may hold the connection for good (blackhole).
  if (!AdmitInFlight()) return Ending::kClose;
  const FaultPlan before = PlanFaults(FaultPhase::kBeforeForward, request, endpoint.kind);
  const bool paused = before.delay <= absl::ZeroDuration() || Pause(fd, before.delay);
  absl::StatusOr<HttpResponse> response = absl::CancelledError("not forwarded");
  if (paused && !before.terminal.has_value()) response = Forward(request);
  LeaveInFlight();
  if (!paused) return Ending::kClose;
  if (before.terminal.has_value()) return ApplyFault(fd, *before.terminal, nullptr, close_after);

  if (!response.ok()) {
    if (response.status().code() == absl::StatusCode::kCancelled) return Ending::kClose;
    RecordUpstreamFailure();
    const HttpResponse bad_gateway = MakeResponse(
        502, ErrorBody(absl::StrCat("fault proxy: upstream: ", response.status().message())));
    if (!Send(fd, SerializeResponse(bad_gateway, close_after)).ok()) return Ending::kClose;
    return close_after ? Ending::kClose : Ending::kKeepOpen;
  }
  RecordUpstream(endpoint, response->status);
  std::vector<std::string> claimed;
  if (endpoint.kind == EndpointKind::kEnqueue && response->status >= 200 &&
      response->status <= 299) {
    claimed = ClaimedStateIds(*response);
    RecordClaims(claimed, /*claimed=*/1, /*delivered=*/0);
  }

  const FaultPlan after = PlanFaults(FaultPhase::kAfterForward, request, endpoint.kind);
  if (after.delay > absl::ZeroDuration() && !Pause(fd, after.delay)) return Ending::kClose;
  if (after.terminal.has_value()) return ApplyFault(fd, *after.terminal, &*response, close_after);
  // Counted as delivered before the write, so that no one who saw the reply arrive can read the
  // counters from before; taken back if the write fails.
  RecordClaims(claimed, 0, 1);
  if (!Send(fd, SerializeResponse(*response, close_after)).ok()) {
    RecordClaims(claimed, 0, -1);
    return Ending::kClose;
  }
  return close_after ? Ending::kClose : Ending::kKeepOpen;
}

void FaultProxy::SetMaxInFlight(int max_in_flight) {
  absl::MutexLock lock(&admission_mu_);
  max_in_flight_ = max_in_flight;
}

bool FaultProxy::AdmitInFlight() {
  absl::MutexLock lock(&admission_mu_);
  const uint64_t ticket = next_ticket_++;
  auto my_turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(admission_mu_) {
    return admission_closed_ ||
           (ticket == now_serving_ && (max_in_flight_ <= 0 || in_flight_ < max_in_flight_));
  };
  admission_mu_.Await(absl::Condition(&my_turn));
  ++now_serving_;
  if (admission_closed_) return false;
  ++in_flight_;
  return true;
}

void FaultProxy::LeaveInFlight() {
  absl::MutexLock lock(&admission_mu_);
  --in_flight_;
}

FaultProxy::Ending FaultProxy::ApplyFault(int fd, const FaultRule& rule,
                                          const HttpResponse* upstream_response, bool close_after) {
  const Ending after_answer = close_after ? Ending::kClose : Ending::kKeepOpen;
  switch (rule.kind) {
    case FaultKind::kDrop:
      return Ending::kClose;
    case FaultKind::kReset:
      return Ending::kReset;
    case FaultKind::kStatus: {
      HttpResponse response =
          MakeResponse(rule.status, ErrorBody(absl::StrCat("fault proxy: injected ", rule.status,
                                                           " (rule ", rule.name, ")")));
      response.headers.emplace_back("X-Fault-Proxy-Rule", rule.name);
      if (!Send(fd, SerializeResponse(response, close_after)).ok()) return Ending::kClose;
      return after_answer;
    }
    case FaultKind::kMalformed: {
      HttpResponse response = MakeResponse(200, kMalformedBody);
      response.headers.emplace_back("X-Fault-Proxy-Rule", rule.name);
      if (!Send(fd, SerializeResponse(response, close_after)).ok()) return Ending::kClose;
      return after_answer;
    }
    case FaultKind::kTruncate: {
      // Validation guarantees a response here (truncation happens after forwarding). A body too
      // short to halve is declared one byte longer than it is instead.
      const std::string& body = upstream_response->body;
      const size_t declared = body.size() < 2 ? body.size() + 1 : body.size();
      const size_t sent = body.size() < 2 ? body.size() : body.size() / 2;
      (void)Send(fd, SerializeResponseHead(*upstream_response, declared, /*close=*/false) +
                         body.substr(0, sent));
      return Ending::kClose;
    }
    case FaultKind::kBlackhole:
      Hold(fd);
      return Ending::kClose;
    case FaultKind::kDelay:
      break;  // delays never end an exchange; PlanFaults adds them up instead
  }
  return after_answer;
}

bool FaultProxy::Pause(int fd, absl::Duration delay) {
  // POLLRDHUP: the client closed its side, so whatever the delay leads to would be lost.
  return WaitFor(fd, POLLRDHUP, stop_fd_.get(), absl::Now() + delay) == WaitResult::kTimedOut;
}

void FaultProxy::Hold(int fd) {
  char scratch[4096];
  while (WaitFor(fd, POLLIN, stop_fd_.get(), absl::InfiniteFuture()) == WaitResult::kReady) {
    const ssize_t n = recv(fd, scratch, sizeof(scratch), 0);
    if (n == 0) return;
    if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return;
  }
}

absl::StatusOr<HttpResponse> FaultProxy::Forward(const HttpRequest& request) {
  const std::string wire = SerializeRequest(request);
  const bool head_request = request.method == "HEAD";
  absl::Status last = absl::UnavailableError("no upstream attempt");
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<UpstreamPool::Lease> lease = upstream_.Acquire(/*fresh=*/attempt > 0);
    if (!lease.ok()) return lease.status();
    const absl::Time deadline = absl::Now() + options_.upstream_response_timeout;
    HttpReader reader(lease->fd.get(), stop_fd_.get(), options_.limits);
    absl::Status sent = SendAll(lease->fd.get(), wire, stop_fd_.get(), deadline);
    absl::StatusOr<HttpResponse> response =
        sent.ok() ? reader.ReadResponse(deadline, head_request) : sent;
    if (response.ok()) {
      if (response->reusable && !reader.has_buffered()) upstream_.Release(std::move(lease->fd));
      return response;
    }
    last = response.status();
    // A reused connection that failed before any byte came back was most likely closed by the
    // server while it sat idle, before it read the request: send it once more on a new one.
    // Anything else may have reached the server and is not repeated.
    if (!lease->reused || reader.received_any() ||
        response.status().code() != absl::StatusCode::kUnavailable) {
      break;
    }
  }
  return last;
}

// --- Counters ------------------------------------------------------------------------------

FaultProxyStats FaultProxy::Stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

bool FaultProxy::AwaitStats(const std::function<bool(const FaultProxyStats&)>& predicate,
                            absl::Duration timeout) const {
  absl::MutexLock lock(&stats_mu_);
  auto ready = [this, &predicate]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(stats_mu_) { return predicate(stats_); };
  return stats_mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
}

void FaultProxy::RecordRequest(const HttpRequest& request, EndpointKind endpoint) {
  absl::MutexLock lock(&stats_mu_);
  ++stats_.requests[{request.method, endpoint}];
  ++total_requests_;
}

int64_t FaultProxy::RequestCount(EndpointKind endpoint) const {
  absl::MutexLock lock(&stats_mu_);
  return stats_.Requests(endpoint);
}

int64_t FaultProxy::TotalRequests() const {
  absl::MutexLock lock(&stats_mu_);
  return total_requests_;
}

void FaultProxy::RecordUpstream(const Endpoint& endpoint, int status) {
  absl::MutexLock lock(&stats_mu_);
  ++stats_.upstream_statuses[status];
  if (status < 200 || status > 299 || !endpoint.state_id.has_value()) return;
  switch (endpoint.kind) {
    case EndpointKind::kExecuted:
      ++stats_.applied_reports[*endpoint.state_id].executed;
      break;
    case EndpointKind::kErrored:
      ++stats_.applied_reports[*endpoint.state_id].errored;
      break;
    case EndpointKind::kPrune:
      ++stats_.applied_reports[*endpoint.state_id].prune;
      break;
    case EndpointKind::kReEnqueueAfter:
      ++stats_.applied_reports[*endpoint.state_id].re_enqueue_after;
      break;
    default:
      break;
  }
}

void FaultProxy::RecordClaims(const std::vector<std::string>& state_ids, int claimed,
                              int delivered) {
  if (state_ids.empty()) return;
  absl::MutexLock lock(&stats_mu_);
  for (const std::string& id : state_ids) {
    ClaimRecord& record = stats_.claims[id];
    record.claimed += claimed;
    record.delivered += delivered;
  }
}

void FaultProxy::RecordFault(const FaultRule& rule) {
  absl::MutexLock lock(&stats_mu_);
  ++stats_.faults_by_kind[rule.kind];
  ++stats_.faults_by_rule[rule.name];
}

void FaultProxy::RecordUpstreamFailure() {
  absl::MutexLock lock(&stats_mu_);
  ++stats_.upstream_failures;
}

void FaultProxy::RecordConnection(int64_t open_delta, bool accepted) {
  absl::MutexLock lock(&stats_mu_);
  stats_.connections_open += open_delta;
  if (accepted) ++stats_.connections_accepted;
}

}  // namespace exosphere::reliability
