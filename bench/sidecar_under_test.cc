#include "bench/sidecar_under_test.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"

#include "harness/process_sample.h"
#include "harness/prometheus_samples.h"

namespace exosphere::bench {
namespace {

using harness::ProcessSample;
using harness::SampleProcess;

// Reports the sidecar has settled (delivered, or found already applied) and the ones the server
// rejected, from its /metrics.
struct SettledReports {
  int64_t settled = 0;
  int64_t rejected = 0;
};

absl::StatusOr<harness::PrometheusSamples> ReadMetrics(httplib::Client& health) {
  httplib::Result response = health.Get("/metrics");
  if (!response || response->status != 200) {
    return absl::UnavailableError("the sidecar's /metrics did not answer");
  }
  return harness::PrometheusSamples::Parse(response->body);
}

absl::StatusOr<SettledReports> ReadSettledReports(httplib::Client& health) {
  absl::StatusOr<harness::PrometheusSamples> samples = ReadMetrics(health);
  if (!samples.ok()) return samples.status();
  constexpr absl::string_view kReports = "exosphere_sidecar_reports_total";
  SettledReports reports;
  reports.settled = static_cast<int64_t>(samples->Sum(kReports, {"result=\"delivered\""}) +
                                         samples->Sum(kReports, {"result=\"already_applied\""}));
  reports.rejected = static_cast<int64_t>(samples->Sum(kReports, {"result=\"rejected\""}));
  return reports;
}

absl::StatusOr<double> ReadMetric(httplib::Client& health, absl::string_view name) {
  absl::StatusOr<harness::PrometheusSamples> samples = ReadMetrics(health);
  if (!samples.ok()) return samples.status();
  return samples->Sum(name, {});
}

// Polls `done` every 20 ms for up to `timeout`; false if it never held.
template <typename Predicate>
bool AwaitTrue(Predicate done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

absl::Status AwaitAllRegistered(std::vector<std::unique_ptr<NoopWorker>>& workers,
                                absl::Duration timeout) {
  for (auto& worker : workers) {
    if (!worker->AwaitRegistered(timeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat("a worker was not registered in ", absl::FormatDuration(timeout)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SidecarUnderTest>> SidecarUnderTest::Start(SidecarSetup setup) {
  absl::StatusOr<std::unique_ptr<harness::ScratchDir>> dir = harness::ScratchDir::Create();
  if (!dir.ok()) return dir.status();
  std::string socket = absl::StrCat("unix:", (*dir)->File("sidecar.sock"));
  std::vector<std::string> argv = {setup.binary,
                                   "--state-manager-uri",
                                   setup.state_manager_url,
                                   "--listen",
                                   socket,
                                   "--max-batch",
                                   absl::StrCat(setup.batch),
                                   "--http-connections",
                                   absl::StrCat(setup.http_connections),
                                   "--max-streams",
                                   absl::StrCat(setup.max_streams),
                                   "--health-listen",
                                   "127.0.0.1:0",
                                   "--log-level",
                                   "warn"};
  argv.insert(argv.end(), setup.extra_args.begin(), setup.extra_args.end());
  absl::StatusOr<std::unique_ptr<harness::ChildProcess>> process = harness::ChildProcess::Start(
      {argv, setup.env, /*echo_stderr=*/true, absl::StrCat("sidecar ", setup.label)});
  if (!process.ok()) return process.status();
  if (!(*process)
           ->WaitForStdoutLine(
               [](const std::string& line) { return line.rfind("listening on", 0) == 0; },
               absl::Seconds(20))
           .ok()) {
    return absl::UnavailableError(absl::StrCat("sidecar ", setup.label, " did not start"));
  }
  absl::StatusOr<std::string> health_line = (*process)->WaitForStdoutLine(
      [](const std::string& line) { return line.rfind("health on http://", 0) == 0; },
      absl::Seconds(20));
  if (!health_line.ok()) {
    return absl::UnavailableError(
        absl::StrCat("sidecar ", setup.label, " did not print its health address"));
  }
  std::unique_ptr<SidecarUnderTest> sidecar(new SidecarUnderTest(
      std::move(setup), *std::move(dir), *std::move(process), std::move(socket),
      health_line->substr(std::string("health on ").size())));
  sidecar->rss_started_kib_ = SampleProcess(sidecar->pid()).rss_kib;
  for (int i = 0; i < sidecar->setup_.workers; ++i) {
    sidecar->workers_.push_back(std::make_unique<NoopWorker>(
        grpc::CreateChannel(sidecar->socket_, grpc::InsecureChannelCredentials()),
        sidecar->WorkerOptions(sidecar->setup_.slots)));
  }
  if (absl::Status registered = AwaitAllRegistered(sidecar->workers_, absl::Seconds(20));
      !registered.ok()) {
    return registered;
  }
  sidecar->rss_idle_with_workers_kib_ = SampleProcess(sidecar->pid()).rss_kib;
  return sidecar;
}

SidecarUnderTest::SidecarUnderTest(SidecarSetup setup, std::unique_ptr<harness::ScratchDir> dir,
                                   std::unique_ptr<harness::ChildProcess> process,
                                   std::string socket, const std::string& health_url)
    : setup_(std::move(setup)),
      dir_(std::move(dir)),
      process_(std::move(process)),
      socket_(std::move(socket)),
      health_(health_url) {}

SidecarUnderTest::~SidecarUnderTest() = default;

NoopWorkerOptions SidecarUnderTest::WorkerOptions(int slots) const {
  NoopWorkerOptions options;
  options.ns = setup_.target.namespace_name;
  options.slots = slots;
  options.node_name = setup_.target.node_name;
  options.worker_label = "sidecar-bench";
  return options;
}

void SidecarUnderTest::Stop() {
  workers_.clear();
  process_->Signal(SIGTERM);
  // A sidecar that does not exit in time is killed by the ChildProcess destructor.
  (void)process_->Wait(absl::Seconds(30));
}

absl::StatusOr<PhaseResult> SidecarUnderTest::RunThroughputPhase(const std::string& phase,
                                                                 int64_t states) {
  absl::StatusOr<PhaseResult> result = MeasurePhase(phase, workers_, states);
  // Paused again for the next preload, whatever happened.
  for (auto& worker : workers_) worker->Pause();
  return result;
}

absl::StatusOr<PhaseResult> SidecarUnderTest::RunSlowPhase(const SlowPhaseOptions& options) {
  const int slots = (options.in_flight + options.workers - 1) / options.workers;
  std::vector<std::unique_ptr<NoopWorker>> slow;
  for (int i = 0; i < options.workers; ++i) {
    NoopWorkerOptions worker_options = WorkerOptions(slots);
    worker_options.answer_delay = options.task_time;
    slow.push_back(std::make_unique<NoopWorker>(
        grpc::CreateChannel(socket_, grpc::InsecureChannelCredentials()),
        std::move(worker_options)));
  }
  if (absl::Status registered = AwaitAllRegistered(slow, absl::Seconds(20)); !registered.ok()) {
    return registered;
  }
  absl::StatusOr<PhaseResult> result = MeasurePhase("slow", slow, options.states);
  // Every task was answered, so closing the streams hands nothing back.
  for (auto& worker : slow) worker->Pause();
  return result;
}

absl::StatusOr<PhaseResult> SidecarUnderTest::MeasurePhase(
    const std::string& phase, std::vector<std::unique_ptr<NoopWorker>>& workers, int64_t states) {
  if (absl::Status preloaded = PreloadStates(setup_.target, states); !preloaded.ok()) {
    return preloaded;
  }
  // The load starts right after this line, so a profiler can be attached on it
  // (bench/README.md, "How the profiles were taken").
  std::printf("# phase %s sidecar=%s pid=%d load starts\n", phase.c_str(), label().c_str(),
              static_cast<int>(pid()));
  std::fflush(stdout);
  for (auto& worker : workers) worker->Reset();
  absl::StatusOr<SettledReports> reports_before = ReadSettledReports(health_);
  if (!reports_before.ok()) return reports_before.status();
  const ProcessSample before = SampleProcess(pid());
  PhaseResult result;
  result.states = states;
  result.rss_before_kib = before.rss_kib;
  const absl::Time start = absl::Now();
  for (auto& worker : workers) worker->Start();
  while (true) {
    int64_t answered = 0;
    int64_t in_flight = 0;
    for (auto& worker : workers) {
      answered += worker->answered();
      in_flight += worker->in_flight();
    }
    result.rss_peak_kib = std::max(result.rss_peak_kib, SampleProcess(pid()).rss_kib);
    result.in_flight_peak = std::max(result.in_flight_peak, in_flight);
    if (answered >= states) break;
    absl::SleepFor(absl::Milliseconds(5));  // sampling interval of the benchmark itself
  }
  absl::Time last_answer = start;
  std::vector<double> latencies;
  for (auto& worker : workers) {
    last_answer = std::max(last_answer, worker->last_answer());
    const std::vector<double> own = worker->latencies_ms();
    latencies.insert(latencies.end(), own.begin(), own.end());
  }
  // A state is done when the server has its report, not when the worker answered: the
  // sidecar may still be sending reports, so the phase ends when all of them are settled.
  // Polled only now, so that reading /metrics costs the sidecar nothing during the load.
  absl::Time end;
  for (bool first = true;; first = false) {
    absl::StatusOr<SettledReports> reports = ReadSettledReports(health_);
    if (!reports.ok()) return reports.status();
    if (first) result.reports_behind = states - (reports->settled - reports_before->settled);
    if (reports->rejected > reports_before->rejected) {
      return absl::FailedPreconditionError(
          absl::StrCat("the state manager rejected reports of sidecar ", label(), "; see its log"));
    }
    if (reports->settled - reports_before->settled >= states) {
      end = absl::Now();
      break;
    }
    if (absl::Now() - last_answer > absl::Minutes(1)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "sidecar ", label(), " had not settled every report a minute after the last answer"));
    }
    result.rss_peak_kib = std::max(result.rss_peak_kib, SampleProcess(pid()).rss_kib);
    absl::SleepFor(absl::Milliseconds(1));
  }
  const ProcessSample after = SampleProcess(pid());
  std::sort(latencies.begin(), latencies.end());
  result.seconds = absl::ToDoubleSeconds(end - start);
  result.states_per_s = static_cast<double>(states) / result.seconds;
  result.reports_lag_ms = absl::ToDoubleMilliseconds(end - last_answer);
  result.dispatch_p50_ms = Percentile(latencies, 0.5);
  result.dispatch_p99_ms = Percentile(latencies, 0.99);
  result.cpu_us_per_state =
      (after.cpu_seconds - before.cpu_seconds) * 1e6 / static_cast<double>(states);
  return result;
}

absl::Status SidecarUnderTest::RunMemoryPhase(int streams, int64_t states, int64_t output_bytes,
                                              absl::Duration settle) {
  if (streams > 0) {
    absl::StatusOr<double> baseline = ReadMetric(health_, "exosphere_sidecar_worker_streams");
    if (!baseline.ok()) return baseline.status();
    const ProcessSample before = SampleProcess(pid());
    int64_t peak = before.rss_kib;
    {
      // All the streams share one HTTP/2 connection: gRPC gives channels with the same target
      // and arguments one connection, as it does to every NoopWorker of this benchmark (the
      // shipped clients open one each, GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL).
      const std::shared_ptr<grpc::Channel> channel =
          grpc::CreateChannel(socket_, grpc::InsecureChannelCredentials());
      std::vector<std::unique_ptr<NoopWorker>> burst;
      for (int i = 0; i < streams; ++i) {
        burst.push_back(std::make_unique<NoopWorker>(channel, WorkerOptions(1)));
      }
      if (absl::Status registered = AwaitAllRegistered(burst, absl::Seconds(60));
          !registered.ok()) {
        return registered;
      }
      peak = std::max(peak, SampleProcess(pid()).rss_kib);
    }
    // The burst's streams are closed; wait until the sidecar has let go of all of them.
    if (!AwaitTrue(
            [&] {
              absl::StatusOr<double> now = ReadMetric(health_, "exosphere_sidecar_worker_streams");
              return now.ok() && *now <= *baseline;
            },
            absl::Seconds(60))) {
      return absl::DeadlineExceededError("the sidecar kept the burst's streams for 60 s");
    }
    std::printf("# sidecar %s pid %d idle after the streams burst\n", label().c_str(),
                static_cast<int>(pid()));
    std::fflush(stdout);
    absl::SleepFor(settle);
    std::printf(
        "sidecar_memory sidecar=%s phase=streams count=%d rss_before_kib=%lld "
        "rss_peak_kib=%lld rss_after_kib=%lld\n",
        label().c_str(), streams, static_cast<long long>(before.rss_kib),
        static_cast<long long>(peak), static_cast<long long>(SampleProcess(pid()).rss_kib));
    std::fflush(stdout);
  }

  if (states > 0 && output_bytes > 0) {
    if (absl::Status preloaded = PreloadStates(setup_.target, states); !preloaded.ok()) {
      return preloaded;
    }
    absl::StatusOr<SettledReports> reports_before = ReadSettledReports(health_);
    if (!reports_before.ok()) return reports_before.status();
    const ProcessSample before = SampleProcess(pid());
    int64_t peak = before.rss_kib;
    for (auto& worker : workers_) {
      worker->SetOutputBytes(output_bytes);
      worker->Start();
    }
    bool settled = false;
    const absl::Time deadline = absl::Now() + absl::Minutes(2);
    while (!settled && absl::Now() < deadline) {
      peak = std::max(peak, SampleProcess(pid()).rss_kib);
      absl::StatusOr<SettledReports> reports = ReadSettledReports(health_);
      if (!reports.ok()) return reports.status();
      if (reports->rejected > reports_before->rejected) {
        return absl::FailedPreconditionError(
            "the state manager rejected large reports; see the sidecar's log");
      }
      settled = reports->settled - reports_before->settled >= states;
      absl::SleepFor(absl::Milliseconds(5));
    }
    for (auto& worker : workers_) {
      worker->Pause();
      worker->SetOutputBytes(0);
    }
    if (!settled) return absl::DeadlineExceededError("large reports not settled in 2 minutes");
    absl::SleepFor(settle);
    std::printf(
        "sidecar_memory sidecar=%s phase=large_outputs states=%lld output_bytes=%lld "
        "rss_before_kib=%lld rss_peak_kib=%lld rss_after_kib=%lld\n",
        label().c_str(), static_cast<long long>(states), static_cast<long long>(output_bytes),
        static_cast<long long>(before.rss_kib), static_cast<long long>(peak),
        static_cast<long long>(SampleProcess(pid()).rss_kib));
    std::fflush(stdout);
  }
  return absl::OkStatus();
}

}  // namespace exosphere::bench
