#include "bench/chain/chain.h"

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

constexpr char kApiKey[] = "chain-bench-key";
constexpr char kListeningPrefix[] = "listening on ";

std::string SidecarName(int sidecar) { return sidecar == 0 ? "A" : "B"; }
std::string NodeName(int node) { return absl::StrCat("Chain", node); }
std::string Identifier(int node) { return absl::StrCat("c", node); }

}  // namespace

Chain::Chain(ChainOptions options) : options_(std::move(options)), ledger_(options_.nodes) {}

absl::StatusOr<std::unique_ptr<Chain>> Chain::Start(ChainOptions options) {
  if (options.nodes < 2) return absl::InvalidArgumentError("a chain needs at least two nodes");
  std::unique_ptr<Chain> chain(new Chain(std::move(options)));
  absl::StatusOr<std::unique_ptr<harness::ScratchDir>> dir = harness::ScratchDir::Create();
  if (!dir.ok()) return dir.status();
  chain->dir_ = *std::move(dir);
  absl::Status started = chain->StartDevserver();
  if (started.ok()) started = chain->StartSidecars();
  if (started.ok()) started = chain->StartWorkers();
  if (started.ok()) started = chain->UpsertGraph();
  if (!started.ok()) return started;
  return chain;
}

Chain::~Chain() {
  // Workers first (their streams end), then the sidecars (killed and reaped by ChildProcess), so
  // that nothing talks to the proxies or the devserver while they go.
  workers_.clear();
  for (auto& sidecar : sidecars_) sidecar->Signal(SIGKILL);
  sidecars_.clear();
  rest_.reset();
  http_.reset();
  for (auto& proxy : proxies_) proxy->Stop();
  if (devserver_ != nullptr && devserver_->Running()) {
    devserver_->Signal(SIGTERM);
    (void)devserver_->Wait(absl::Seconds(5));  // the destructor kills it if it is still running
  }
}

absl::Status Chain::StartDevserver() {
  absl::StatusOr<LocalDevserver> devserver =
      StartLocalDevserver(kApiKey, {}, "exosphere-chain-bench", options_.start_timeout);
  if (!devserver.ok()) return devserver.status();
  devserver_ = std::move(devserver->process);
  devserver_port_ = devserver->port;
  http_ = std::move(devserver->http);
  rest_ = std::move(devserver->graphs);
  return absl::OkStatus();
}

absl::Status Chain::StartSidecars() {
  for (int sidecar = 0; sidecar < kSidecars; ++sidecar) {
    reliability::FaultProxyOptions proxy_options;
    proxy_options.upstream_port = devserver_port_;
    absl::StatusOr<std::unique_ptr<reliability::FaultProxy>> proxy =
        reliability::FaultProxy::Start(proxy_options);
    if (!proxy.ok()) return proxy.status();
    proxies_.push_back(*std::move(proxy));
    std::vector<std::string> argv = {
        BinaryPath("exosphere-sidecar"),
        absl::StrCat("--listen=unix:", dir_->File(absl::StrCat(SidecarName(sidecar), ".sock"))),
        absl::StrCat("--state_manager_uri=", proxies_.back()->url()), "--log_level=warn"};
    argv.insert(argv.end(), options_.sidecar_args.begin(), options_.sidecar_args.end());
    absl::StatusOr<std::unique_ptr<ChildProcess>> child = LaunchWithApiKey(
        std::move(argv), SidecarName(sidecar), kApiKey, options_.echo_sidecar_logs);
    if (!child.ok()) return child.status();
    sidecars_.push_back(*std::move(child));
  }
  for (int sidecar = 0; sidecar < kSidecars; ++sidecar) {
    absl::StatusOr<std::string> address =
        sidecars_[static_cast<size_t>(sidecar)]->WaitForStdoutPrefix(kListeningPrefix,
                                                                     options_.start_timeout);
    if (!address.ok()) return address.status();
  }
  return absl::OkStatus();
}

absl::Status Chain::StartWorkers() {
  for (int node = 1; node <= options_.nodes; ++node) {
    const int sidecar = (node - 1) % kSidecars;
    NoopWorkerOptions worker;
    worker.ns = options_.ns;
    worker.slots = 1;
    worker.node_name = NodeName(node);
    worker.input_fields = {"r"};
    worker.worker_label = NodeName(node);
    worker.start_paused = false;
    workers_.push_back(std::make_unique<NoopWorker>(
        grpc::CreateChannel(
            absl::StrCat("unix:", dir_->File(absl::StrCat(SidecarName(sidecar), ".sock"))),
            grpc::InsecureChannelCredentials()),
        worker, [this, node](const sidecar::v1::Task& task) {
          const absl::Time received = absl::Now();
          // The worker answers as soon as this returns: its answer time is taken here.
          ledger_.Record(node, task.state_id(), absl::FromUnixMicros(task.claimed_at_unix_micros()),
                         received, absl::Now());
        }));
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (!workers_[i]->AwaitRegistered(options_.start_timeout)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the worker of ", NodeName(static_cast<int>(i) + 1), " was not registered in time"));
    }
  }
  return absl::OkStatus();
}

absl::Status Chain::UpsertGraph() {
  json::Json nodes = json::Json::array();
  for (int node = 1; node <= options_.nodes; ++node) {
    json::Json next = json::Json::array();
    if (node < options_.nodes) next.push_back(Identifier(node + 1));
    nodes.push_back({{"node_name", NodeName(node)},
                     {"namespace", options_.ns},
                     {"identifier", Identifier(node)},
                     {"inputs", {{"r", "0"}}},
                     {"next_nodes", next}});
  }
  const json::Json graph = {{"secrets", json::Json::object()}, {"nodes", nodes}};
  absl::StatusOr<json::Json> upserted = rest_->UpsertGraph(options_.ns, kGraph, graph);
  if (!upserted.ok()) return upserted.status();
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<json::Json> current = rest_->GetGraph(options_.ns, kGraph);
    if (!current.ok()) return current.status();
    const std::string status = current->value("validation_status", "");
    if (status == "VALID") return absl::OkStatus();
    if (status == "INVALID") {
      return absl::FailedPreconditionError(absl::StrCat("chain graph INVALID: ", current->dump()));
    }
    // The devserver validates in the background and has no way to wait for it (contract 2.2).
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("the chain graph stayed PENDING");
}

absl::Status Chain::TriggerRun() {
  ledger_.OpenRun(absl::Now());
  const json::Json body = {{"inputs", {{"r", "0"}}}};
  return rest_->TriggerRun(options_.ns, kGraph, body).status();
}

int64_t Chain::ExecutedReports() const {
  int64_t executed = 0;
  for (const auto& proxy : proxies_) {
    for (const auto& [state_id, applied] : proxy->Stats().applied_reports) {
      executed += applied.executed;
    }
  }
  return executed;
}

int64_t Chain::SidecarLogLines() const {
  int64_t lines = 0;
  for (const auto& sidecar : sidecars_) {
    lines += static_cast<int64_t>(sidecar->StderrLines().size());
  }
  return lines;
}

}  // namespace exosphere::bench
