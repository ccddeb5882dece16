#include "bench/fleet/fleet.h"

#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"

#include "bench/local_devserver.h"
#include "sidecar/transport/json_util.h"

namespace exosphere::bench {
namespace {

using harness::BinaryPath;
using harness::ChildProcess;

constexpr char kApiKey[] = "fleet-bench-key";
constexpr char kListeningPrefix[] = "listening on ";

}  // namespace

Fleet::Fleet(FleetOptions options) : options_(std::move(options)), ledger_(options_.pods) {}

absl::StatusOr<std::unique_ptr<Fleet>> Fleet::Start(FleetOptions options) {
  if (options.pods < 1) return absl::InvalidArgumentError("a fleet needs at least one pod");
  std::unique_ptr<Fleet> fleet(new Fleet(std::move(options)));
  absl::StatusOr<std::unique_ptr<harness::ScratchDir>> dir = harness::ScratchDir::Create();
  if (!dir.ok()) return dir.status();
  fleet->dir_ = *std::move(dir);
  absl::Status started = fleet->StartDevserver();
  if (started.ok()) started = fleet->StartProxy();
  if (started.ok()) started = fleet->StartSidecars();
  if (started.ok()) started = fleet->StartWorkers();
  if (started.ok()) started = fleet->UpsertGraph();
  if (!started.ok()) return started;
  return fleet;
}

Fleet::~Fleet() {
  // Workers first (their streams end), then the sidecars (killed and reaped by ChildProcess), so
  // that nothing talks to the proxy or the devserver while they go.
  workers_.clear();
  for (auto& sidecar : sidecars_) sidecar->Signal(SIGKILL);
  sidecars_.clear();
  rest_.reset();
  http_.reset();
  if (proxy_ != nullptr) proxy_->Stop();
  if (devserver_ != nullptr && devserver_->Running()) {
    devserver_->Signal(SIGTERM);
    (void)devserver_->Wait(absl::Seconds(5));  // the destructor kills it if it is still running
  }
}

absl::Status Fleet::StartDevserver() {
  // Each keep-alive connection holds one devserver thread; the proxy may open one per request in
  // flight, so the default 64 would make the devserver, not the fleet, the bottleneck.
  absl::StatusOr<LocalDevserver> devserver =
      StartLocalDevserver(kApiKey, {absl::StrCat("--http_threads=", 64 + 8 * options_.pods)},
                          "exosphere-fleet-bench", options_.start_timeout);
  if (!devserver.ok()) return devserver.status();
  devserver_ = std::move(devserver->process);
  devserver_port_ = devserver->port;
  http_ = std::move(devserver->http);
  rest_ = std::move(devserver->graphs);
  return absl::OkStatus();
}

absl::Status Fleet::StartProxy() {
  reliability::FaultProxyOptions options;
  options.upstream_port = devserver_port_;
  absl::StatusOr<std::unique_ptr<reliability::FaultProxy>> proxy =
      reliability::FaultProxy::Start(options);
  if (!proxy.ok()) return proxy.status();
  proxy_ = *std::move(proxy);
  return absl::OkStatus();
}

absl::Status Fleet::StartSidecars() {
  // Launched all at once, then awaited: a hundred sidecars start in parallel.
  for (int pod = 0; pod < options_.pods; ++pod) {
    std::vector<std::string> argv = {
        BinaryPath("exosphere-sidecar"),
        absl::StrCat("--listen=unix:", dir_->File(absl::StrCat("pod", pod, ".sock"))),
        absl::StrCat("--state_manager_uri=", proxy_->url()), "--health_listen=127.0.0.1:0",
        "--log_level=warn"};
    argv.insert(argv.end(), options_.sidecar_args.begin(), options_.sidecar_args.end());
    // A hundred sidecars' warnings (every refused poll while the server is down) would drown the
    // tables; they are kept by ChildProcess and echoed only on request.
    absl::StatusOr<std::unique_ptr<ChildProcess>> sidecar = LaunchWithApiKey(
        std::move(argv), absl::StrCat("pod", pod), kApiKey, options_.echo_sidecar_logs);
    if (!sidecar.ok()) return sidecar.status();
    sidecars_.push_back(*std::move(sidecar));
  }
  for (int pod = 0; pod < options_.pods; ++pod) {
    absl::StatusOr<std::string> address = sidecars_[static_cast<size_t>(pod)]->WaitForStdoutPrefix(
        kListeningPrefix, options_.start_timeout);
    if (!address.ok()) return address.status();
  }
  return absl::OkStatus();
}

absl::Status Fleet::StartWorkers() {
  for (int pod = 0; pod < options_.pods; ++pod) {
    NoopWorkerOptions worker;
    worker.ns = options_.ns;
    worker.slots = options_.slots;
    worker.node_name = kNode;
    worker.input_fields = {"t"};
    worker.worker_label = absl::StrCat("pod", pod);
    worker.start_paused = false;
    workers_.push_back(std::make_unique<NoopWorker>(
        grpc::CreateChannel(absl::StrCat("unix:", dir_->File(absl::StrCat("pod", pod, ".sock"))),
                            grpc::InsecureChannelCredentials()),
        worker, [this, pod](const sidecar::v1::Task& task) {
          auto t = task.inputs().find("t");
          ledger_.Record(pod, task.state_id(), t == task.inputs().end() ? "" : t->second);
          if (options_.task_time > absl::ZeroDuration()) absl::SleepFor(options_.task_time);
        }));
  }
  for (int pod = 0; pod < options_.pods; ++pod) {
    if (!workers_[static_cast<size_t>(pod)]->AwaitRegistered(options_.start_timeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat("the worker of pod ", pod, " was not registered in time"));
    }
  }
  return absl::OkStatus();
}

absl::Status Fleet::UpsertGraph() {
  const json::Json graph = {{"secrets", json::Json::object()},
                            {"nodes",
                             {{{"node_name", kNode},
                               {"namespace", options_.ns},
                               {"identifier", "work"},
                               {"inputs", {{"t", "0"}}},
                               {"next_nodes", json::Json::array()}}}}};
  absl::StatusOr<json::Json> upserted = rest_->UpsertGraph(options_.ns, kGraph, graph);
  if (!upserted.ok()) return upserted.status();
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<json::Json> current = rest_->GetGraph(options_.ns, kGraph);
    if (!current.ok()) return current.status();
    const std::string status = current->value("validation_status", "");
    if (status == "VALID") return absl::OkStatus();
    if (status == "INVALID") {
      return absl::FailedPreconditionError(absl::StrCat("fleet graph INVALID: ", current->dump()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("the fleet graph stayed PENDING");
}

absl::Status Fleet::TriggerRun() {
  const json::Json body = {{"inputs", {{"t", absl::StrCat(absl::ToUnixMicros(absl::Now()))}}}};
  absl::Status triggered = rest_->TriggerRun(options_.ns, kGraph, body).status();
  if (triggered.ok()) ++runs_triggered_;
  return triggered;
}

absl::StatusOr<int64_t> Fleet::TriggerAtRate(double per_second, absl::Duration duration) {
  const absl::Time start = absl::Now();
  const absl::Duration gap = absl::Seconds(1.0 / per_second);
  int64_t triggered = 0;
  for (absl::Time due = start; due < start + duration; due += gap) {
    const absl::Time now = absl::Now();
    if (due > now) absl::SleepFor(due - now);
    absl::Status status = TriggerRun();
    if (!status.ok()) return status;
    ++triggered;
  }
  return triggered;
}

harness::ProcessSample Fleet::SidecarsUsage() const {
  harness::ProcessSample total;
  for (const auto& sidecar : sidecars_) {
    const harness::ProcessSample usage = harness::SampleProcess(sidecar->pid());
    total.cpu_seconds += usage.cpu_seconds;
    total.rss_kib += usage.rss_kib;
    total.peak_rss_kib += usage.peak_rss_kib;
  }
  return total;
}

int64_t Fleet::SidecarLogLines() const {
  int64_t lines = 0;
  for (const auto& sidecar : sidecars_)
    lines += static_cast<int64_t>(sidecar->StderrLines().size());
  return lines;
}

harness::ProcessSample Fleet::DevserverUsage() const {
  return harness::SampleProcess(devserver_->pid());
}

}  // namespace exosphere::bench
