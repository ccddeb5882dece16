#include "tests/reliability/reliability_stack.h"

#include <httplib.h>
#include <signal.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

#include "tests/reliability/node_names.h"
#include <sys/stat.h>

namespace exosphere::reliability {
namespace {

using ::exosphere::harness::BinaryPath;
using ::exosphere::harness::ChildProcess;
using ::exosphere::harness::ScratchDir;
using json::Json;

constexpr char kListeningPrefix[] = "listening on ";
constexpr char kHealthPrefix[] = "health on ";
// The state manager offers no notification of a run's progress; poll it at this interval.
constexpr absl::Duration kRunsPollInterval = absl::Milliseconds(50);
constexpr absl::Duration kReapTimeout = absl::Seconds(10);

absl::StatusOr<std::unique_ptr<ChildProcess>> StartProcess(
    std::vector<std::string> argv, std::string label,
    std::map<std::string, std::optional<std::string>> env = {}) {
  ChildProcess::Options options;
  options.argv = std::move(argv);
  options.label = std::move(label);
  options.env = std::move(env);
  return ChildProcess::Start(std::move(options));
}

// The text after "listening on " in the first such stdout line.
absl::StatusOr<std::string> ListeningAddress(ChildProcess& process, const std::string& name,
                                             absl::Duration timeout) {
  absl::StatusOr<std::string> line = process.WaitForStdoutLine(
      [](const std::string& text) { return absl::StartsWith(text, kListeningPrefix); }, timeout);
  if (!line.ok()) {
    return absl::Status(
        line.status().code(),
        absl::StrCat(name, " did not report its address: ", line.status().message()));
  }
  return line->substr(sizeof(kListeningPrefix) - 1);
}

absl::Status Reap(ChildProcess& process, const std::string& name) {
  absl::StatusOr<int> status = process.Wait(kReapTimeout);
  if (!status.ok()) {
    return absl::Status(status.status().code(),
                        absl::StrCat(name, " did not exit: ", status.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t StateFacts::Count(const std::string& status) const {
  auto it = states_by_status.find(status);
  return it == states_by_status.end() ? 0 : it->second;
}

bool StateFacts::Clean() const {
  return settled && stuck_states.empty() && duplicate_executed.empty();
}

std::string StateFacts::Summary() const {
  std::vector<std::string> statuses;
  for (const auto& [status, count] : states_by_status) {
    statuses.push_back(absl::StrCat(status, "=", count));
  }
  return absl::StrCat(
      "runs=", runs, " settled=", settled ? "yes" : "no", " runs_pending=", runs_pending,
      " states=", total_states, " [", absl::StrJoin(statuses, " "), "] stuck=", stuck_states.size(),
      " (created=", left_created, " queued=", left_queued, " executed=", left_executed,
      " by_undelivered_claim=", stuck_by_undelivered_claim.size(),
      ") duplicate_executed=", duplicate_executed.size(),
      " waited=", absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(1))));
}

absl::StatusOr<std::unique_ptr<ReliabilityStack>> ReliabilityStack::Start(
    ReliabilityStackOptions options) {
  std::unique_ptr<ReliabilityStack> stack(new ReliabilityStack(std::move(options)));
  absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create();
  if (!dir.ok()) return dir.status();
  stack->dir_ = *std::move(dir);
  if (mkdir(stack->dir_->File("markers").c_str(), 0700) != 0) {
    return absl::InternalError("cannot create the markers directory");
  }
  absl::Status started = stack->StartDevserver();
  if (started.ok()) started = stack->StartProxy();
  if (!started.ok()) return started;

  const ReliabilityStackOptions& opts = stack->options_;
  stack->sidecar_argv_ = {BinaryPath("exosphere-sidecar"),
                          absl::StrCat("--listen=unix:", stack->dir_->File("s.sock")),
                          absl::StrCat("--state_manager_uri=", stack->proxy_->url()),
                          absl::StrCat("--log_level=", opts.log_level),
                          "--poll_interval_ms=50",
                          "--health_listen=127.0.0.1:0"};
  for (const std::string& flag : opts.sidecar_flags) {
    stack->sidecar_argv_.push_back(absl::StrReplaceAll(flag, {{"{dir}", stack->dir_->path()}}));
  }
  started = stack->RestartSidecar();
  if (!started.ok()) return started;
  for (int i = 0; i < opts.workers; ++i) {
    absl::StatusOr<size_t> worker = stack->StartWorker();
    if (!worker.ok()) return worker.status();
  }
  return stack;
}

ReliabilityStack::~ReliabilityStack() {
  // Workers and sidecar first (ChildProcess kills and reaps them), so that nothing talks to the
  // proxy or the devserver while they go; then the proxy; the devserver last, gracefully.
  workers_.clear();
  sidecar_.reset();
  rest_.reset();
  if (proxy_ != nullptr) proxy_->Stop();
  if (devserver_ != nullptr && devserver_->Running()) {
    devserver_->Signal(SIGTERM);
    (void)devserver_->Wait(absl::Seconds(5));  // the destructor kills it if it is still running
  }
}

absl::Status ReliabilityStack::StartDevserver() {
  std::vector<std::string> argv = {BinaryPath("exosphere-devserver"), "--listen=127.0.0.1:0",
                                   absl::StrCat("--api_key=", kApiKey),
                                   absl::StrCat("--log_level=", options_.log_level)};
  if (options_.devserver_db) argv.push_back(absl::StrCat("--db=", dir_->File("devserver.db")));
  absl::StatusOr<std::unique_ptr<ChildProcess>> devserver = StartProcess(argv, "devserver");
  if (!devserver.ok()) return devserver.status();
  devserver_ = *std::move(devserver);
  absl::StatusOr<std::string> url =
      ListeningAddress(*devserver_, "exosphere-devserver", options_.start_timeout);
  if (!url.ok()) return url.status();
  devserver_url_ = *url;
  return absl::OkStatus();
}

absl::Status ReliabilityStack::StartProxy() {
  // "http://127.0.0.1:PORT"
  const size_t colon = devserver_url_.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(devserver_url_.substr(colon + 1), &port)) {
    return absl::InternalError(absl::StrCat("devserver address '", devserver_url_, "'"));
  }
  FaultProxyOptions options;
  options.upstream_port = port;
  options.seed = options_.proxy_seed;
  absl::StatusOr<std::unique_ptr<FaultProxy>> proxy = FaultProxy::Start(options);
  if (!proxy.ok()) return proxy.status();
  proxy_ = *std::move(proxy);
  rest_ = std::make_unique<DevserverRest>("127.0.0.1", port, kApiKey, options_.ns);
  return absl::OkStatus();
}

bool ReliabilityStack::SidecarRunning() { return sidecar_ != nullptr && sidecar_->Running(); }

absl::Status ReliabilityStack::KillSidecar() {
  if (sidecar_ == nullptr) return absl::FailedPreconditionError("no sidecar was started");
  sidecar_->Signal(SIGKILL);
  return Reap(*sidecar_, "exosphere-sidecar");
}

absl::StatusOr<int> ReliabilityStack::StopSidecar(absl::Duration timeout) {
  if (sidecar_ == nullptr) return absl::FailedPreconditionError("no sidecar was started");
  sidecar_->Signal(SIGTERM);
  return sidecar_->Wait(timeout);
}

absl::Status ReliabilityStack::RestartSidecar() {
  if (SidecarRunning()) return absl::FailedPreconditionError("the sidecar is still running");
  absl::StatusOr<std::unique_ptr<ChildProcess>> sidecar =
      StartProcess(sidecar_argv_, "sidecar", {{"EXOSPHERE_API_KEY", std::string(kApiKey)}});
  if (!sidecar.ok()) return sidecar.status();
  sidecar_ = *std::move(sidecar);
  absl::StatusOr<std::string> address =
      ListeningAddress(*sidecar_, "exosphere-sidecar", options_.start_timeout);
  if (!address.ok()) return address.status();
  sidecar_address_ = *address;
  // Printed right after the listening line.
  absl::StatusOr<std::string> health = sidecar_->WaitForStdoutLine(
      [](const std::string& text) { return absl::StartsWith(text, kHealthPrefix); },
      options_.start_timeout);
  if (!health.ok()) {
    return absl::Status(health.status().code(),
                        absl::StrCat("exosphere-sidecar did not report its health address: ",
                                     health.status().message()));
  }
  sidecar_health_url_ = health->substr(sizeof(kHealthPrefix) - 1);
  return absl::OkStatus();
}

absl::StatusOr<harness::PrometheusSamples> ReliabilityStack::SidecarMetrics() {
  httplib::Client client(sidecar_health_url_);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Result result = client.Get("/metrics");
  if (!result || result->status != 200) {
    return absl::UnavailableError(absl::StrCat(
        "GET ", sidecar_health_url_, "/metrics: ",
        result ? absl::StrCat("HTTP ", result->status) : httplib::to_string(result.error())));
  }
  return harness::PrometheusSamples::Parse(result->body);
}

absl::StatusOr<size_t> ReliabilityStack::StartWorker(const std::vector<std::string>& extra_flags) {
  absl::StatusOr<size_t> index = LaunchWorker(extra_flags);
  if (!index.ok()) return index.status();
  absl::Status ready = AwaitWorkerReady(*index);
  if (!ready.ok()) return ready;
  return *index;
}

absl::StatusOr<std::vector<size_t>> ReliabilityStack::StartWorkers(
    int count, const std::vector<std::string>& extra_flags) {
  std::vector<size_t> indexes;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<size_t> index = LaunchWorker(extra_flags);
    if (!index.ok()) return index.status();
    indexes.push_back(*index);
  }
  for (size_t index : indexes) {
    absl::Status ready = AwaitWorkerReady(index);
    if (!ready.ok()) return ready;
  }
  return indexes;
}

absl::StatusOr<size_t> ReliabilityStack::LaunchWorker(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {BinaryPath("exosphere-reliability-worker"),
                                   absl::StrCat("--sidecar=", sidecar_address_),
                                   absl::StrCat("--namespace=", options_.ns),
                                   absl::StrCat("--slots=", options_.worker_slots),
                                   absl::StrCat("--marker_dir=", dir_->File("markers")),
                                   "--print_tasks",
                                   "--max_backoff_ms=500"};
  argv.insert(argv.end(), options_.worker_flags.begin(), options_.worker_flags.end());
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  const size_t index = workers_.size();
  absl::StatusOr<std::unique_ptr<ChildProcess>> worker = StartProcess(
      argv, absl::StrCat("worker-", index), {{"EXOSPHERE_LOG_LEVEL", options_.log_level}});
  if (!worker.ok()) return worker.status();
  workers_.push_back(*std::move(worker));
  return index;
}

absl::Status ReliabilityStack::AwaitWorkerReady(size_t index) {
  absl::StatusOr<std::string> ready = workers_.at(index)->WaitForStdoutLine(
      [](const std::string& line) { return line == "ready"; }, options_.start_timeout);
  if (!ready.ok()) {
    return absl::Status(ready.status().code(),
                        absl::StrCat("worker ", index, " not ready: ", ready.status().message()));
  }
  return absl::OkStatus();
}

absl::Status ReliabilityStack::KillWorker(size_t index) {
  if (index >= workers_.size()) {
    return absl::OutOfRangeError(absl::StrCat("no worker ", index));
  }
  workers_[index]->Signal(SIGKILL);
  return Reap(*workers_[index], absl::StrCat("worker ", index));
}

absl::StatusOr<std::string> ReliabilityStack::AwaitWorkerTask(size_t index, const std::string& node,
                                                              absl::Duration timeout, size_t skip) {
  if (index >= workers_.size()) {
    return absl::OutOfRangeError(absl::StrCat("no worker ", index));
  }
  const std::string prefix = absl::StrCat("task ", node, " ");
  size_t seen = 0;
  absl::StatusOr<std::string> line = workers_[index]->WaitForStdoutLine(
      [&](const std::string& text) { return absl::StartsWith(text, prefix) && seen++ >= skip; },
      timeout);
  if (!line.ok()) return line.status();
  return line->substr(prefix.size());
}

absl::Status ReliabilityStack::UpsertGraph(const std::string& name, const Json& body,
                                           absl::Duration timeout) {
  return rest_->UpsertGraph(name, body, timeout);
}

absl::StatusOr<std::string> ReliabilityStack::TriggerRun(const std::string& graph,
                                                         const json::StringMap& inputs) {
  return rest_->Trigger(graph, inputs);
}

absl::StatusOr<std::vector<std::string>> ReliabilityStack::TriggerRuns(
    const std::string& graph, int count, const json::StringMap& inputs) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::string> id = rest_->Trigger(graph, inputs);
    if (!id.ok()) return id.status();
    ids.push_back(*std::move(id));
  }
  return ids;
}

absl::StatusOr<StateFacts> ReliabilityStack::AwaitRunsSettled(absl::Duration timeout) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + timeout;
  bool settled = false;
  int64_t pending = 0;
  while (true) {
    absl::StatusOr<std::vector<Json>> runs = rest_->ListRuns();
    if (!runs.ok()) return runs.status();
    pending = 0;
    for (const Json& run : *runs) {
      absl::StatusOr<int64_t> count = json::GetInt(run, "pending_count", "run");
      if (!count.ok()) return count.status();
      if (*count > 0) ++pending;
    }
    if (pending == 0) {
      settled = true;
      break;
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(kRunsPollInterval);
  }
  absl::StatusOr<StateFacts> facts = CollectFacts(settled, pending);
  if (facts.ok()) facts->waited = absl::Now() - start;
  return facts;
}

absl::StatusOr<StateFacts> ReliabilityStack::CollectFacts(bool settled, int64_t runs_pending) {
  StateFacts facts;
  facts.settled = settled;
  facts.runs_pending = runs_pending;
  absl::StatusOr<std::vector<Json>> runs = rest_->ListRuns();
  if (!runs.ok()) return runs.status();
  facts.runs = static_cast<int64_t>(runs->size());
  for (const Json& run : *runs) {
    absl::StatusOr<std::string> run_id = json::GetString(run, "run_id", "run");
    if (!run_id.ok()) return run_id.status();
    absl::StatusOr<std::vector<Json>> states = rest_->RunStates(*run_id);
    if (!states.ok()) return states.status();
    for (const Json& state : *states) {
      absl::StatusOr<std::string> id = json::GetString(state, "id", "state");
      if (!id.ok()) return id.status();
      absl::StatusOr<std::string> status = json::GetString(state, "status", "state");
      if (!status.ok()) return status.status();
      ++facts.total_states;
      ++facts.states_by_status[*status];
      int64_t* left = *status == "CREATED"    ? &facts.left_created
                      : *status == "QUEUED"   ? &facts.left_queued
                      : *status == "EXECUTED" ? &facts.left_executed
                                              : nullptr;
      if (left != nullptr) {
        ++*left;
        facts.stuck_states.push_back(*id);
      }
    }
  }
  const FaultProxyStats stats = proxy_->Stats();
  facts.duplicate_executed = stats.StatesWithDuplicateExecuted();
  for (const std::string& id : facts.stuck_states) {
    auto claim = stats.claims.find(id);
    if (claim != stats.claims.end() && claim->second.delivered < claim->second.claimed) {
      facts.stuck_by_undelivered_claim.push_back(id);
    }
  }
  return facts;
}

}  // namespace exosphere::reliability
