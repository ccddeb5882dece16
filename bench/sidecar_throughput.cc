// sidecar-bench: end-to-end throughput of devserver + exosphere-sidecar + no-op C++ workers, next
// to the devserver's raw capacity measured in the same run on the same preloaded states; plus the
// dispatch latency (claim reply to the worker receiving the task), the sidecar's CPU time per
// state and its memory (RSS) idle and under load. Prints one parseable line per phase
// (see bench/README.md).

#include <httplib.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"

#include "bench/devserver_load.h"
#include "bench/noop_worker.h"
#include "common/flags.h"
#include "common/log.h"
#include "exosphere/sidecar/v1/node_host.grpc.pb.h"
#include "harness/child_process.h"
#include "harness/process_sample.h"
#include "harness/prometheus_samples.h"
#include "harness/scratch_dir.h"

ABSL_FLAG(int64_t, states, 20000, "States preloaded for each phase.");
ABSL_FLAG(int32_t, rounds, 2, "Rounds of (raw devserver, sidecar) phases, interleaved.");
ABSL_FLAG(int32_t, raw_clients, 8, "Concurrent clients of the raw devserver phase.");
ABSL_FLAG(int32_t, workers, 4, "No-op worker streams connected to the sidecar.");
ABSL_FLAG(int32_t, slots, 16, "Slots of each worker.");
ABSL_FLAG(int32_t, batch, 16, "Claim batch of both phases (the sidecar's --max-batch).");
ABSL_FLAG(int32_t, http_connections, 8, "The sidecar's --http-connections.");
ABSL_FLAG(std::string, sidecar_bin, "",
          "The exosphere-sidecar binary (default: next to this benchmark).");
ABSL_FLAG(int32_t, memory_streams, 1000,
          "Memory phase after the rounds: open this many more worker streams at once, close them, "
          "and sample the sidecar's RSS before, with them, and after (0: skip).");
ABSL_FLAG(int64_t, memory_states, 40,
          "Memory phase: states whose result carries one --memory-output-bytes output (0: skip).");
ABSL_FLAG(int64_t, memory_output_bytes, 3 << 20, "Size of each large output of the memory phase.");
ABSL_FLAG(int64_t, memory_settle_ms, 3000,
          "Memory phase: how long the sidecar is left idle before each 'after' sample (its "
          "periodic work runs meanwhile, as in a pod between bursts).");
ABSL_FLAG(std::vector<std::string>, sidecar_env, {},
          "Extra NAME=VALUE environment entries of the sidecar, comma-separated (e.g. "
          "GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072 to compare allocator settings).");
ABSL_FLAG(std::vector<std::string>, sidecar_args, {},
          "Extra flags of the sidecar, comma-separated (e.g. --malloc-trim-interval-ms=0).");
ABSL_FLAG(bool, pin, true,
          "On a machine with 2+ CPUs, run the devserver on CPU 0 and everything else (load "
          "clients, sidecar, workers) on CPU 1, as if the state manager had a machine of its own.");

namespace exosphere::bench {
namespace {

namespace v1 = sidecar::v1;
using harness::ProcessSample;
using harness::SampleProcess;

NoopWorkerOptions WorkerOptions(const LoadTarget& target, int slots) {
  NoopWorkerOptions options;
  options.ns = target.namespace_name;
  options.slots = slots;
  options.node_name = target.node_name;
  options.worker_label = "sidecar-bench";
  return options;
}

std::string BinaryNextToThisOne(const std::string& name) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, length > 0 ? static_cast<size_t>(length) : 0);
  return path.substr(0, path.rfind('/') + 1) + name;
}

std::string SidecarBinary() {
  std::string flag = absl::GetFlag(FLAGS_sidecar_bin);
  return flag.empty() ? BinaryNextToThisOne("exosphere-sidecar") : flag;
}

std::map<std::string, std::optional<std::string>> SidecarEnvironment(const std::string& api_key) {
  std::map<std::string, std::optional<std::string>> environment = {{"EXOSPHERE_API_KEY", api_key}};
  for (const std::string& entry : absl::GetFlag(FLAGS_sidecar_env)) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos) continue;
    environment[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return environment;
}

bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

// Reports the sidecar has settled (delivered, or found already applied) and the ones the server
// rejected, from its /metrics.
struct SettledReports {
  int64_t settled = 0;
  int64_t rejected = 0;
};

absl::StatusOr<SettledReports> ReadSettledReports(httplib::Client& health) {
  httplib::Result response = health.Get("/metrics");
  if (!response || response->status != 200) {
    return absl::UnavailableError("the sidecar's /metrics did not answer");
  }
  absl::StatusOr<harness::PrometheusSamples> samples =
      harness::PrometheusSamples::Parse(response->body);
  if (!samples.ok()) return samples.status();
  constexpr absl::string_view kReports = "exosphere_sidecar_reports_total";
  SettledReports reports;
  reports.settled = static_cast<int64_t>(samples->Sum(kReports, {"result=\"delivered\""}) +
                                         samples->Sum(kReports, {"result=\"already_applied\""}));
  reports.rejected = static_cast<int64_t>(samples->Sum(kReports, {"result=\"rejected\""}));
  return reports;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "sidecar-bench: %s\n", message.c_str());
  return 1;
}

absl::StatusOr<double> ReadMetric(httplib::Client& health, absl::string_view name) {
  httplib::Result response = health.Get("/metrics");
  if (!response || response->status != 200) {
    return absl::UnavailableError("the sidecar's /metrics did not answer");
  }
  absl::StatusOr<harness::PrometheusSamples> samples =
      harness::PrometheusSamples::Parse(response->body);
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

// The memory phase: RSS before, at the peak of and after (1) a burst of short-lived worker
// streams and (2) results with large outputs, each returning to an idle sidecar. Prints
// `sidecar_memory` lines; an error ends the benchmark.
absl::Status RunMemoryPhase(const std::string& socket, const LoadTarget& target,
                            httplib::Client& health, pid_t pid,
                            std::vector<std::unique_ptr<NoopWorker>>& workers) {
  const absl::Duration settle = absl::Milliseconds(absl::GetFlag(FLAGS_memory_settle_ms));
  const int streams = absl::GetFlag(FLAGS_memory_streams);
  if (streams > 0) {
    absl::StatusOr<double> baseline = ReadMetric(health, "exosphere_sidecar_worker_streams");
    if (!baseline.ok()) return baseline.status();
    const ProcessSample before = SampleProcess(pid);
    int64_t peak = before.rss_kib;
    {
      std::vector<std::shared_ptr<grpc::Channel>> channels;
      std::vector<std::unique_ptr<NoopWorker>> burst;
      for (int i = 0; i < streams; ++i) {
        // 100 streams per HTTP/2 connection, as many workers' processes would open.
        if (i % 100 == 0) {
          channels.push_back(grpc::CreateChannel(socket, grpc::InsecureChannelCredentials()));
        }
        burst.push_back(std::make_unique<NoopWorker>(channels.back(), WorkerOptions(target, 1)));
      }
      for (auto& worker : burst) {
        if (!worker->AwaitRegistered(absl::Seconds(60))) {
          return absl::DeadlineExceededError("a burst worker was not registered in 60 s");
        }
      }
      peak = std::max(peak, SampleProcess(pid).rss_kib);
    }
    // The burst's streams are closed; wait until the sidecar has let go of all of them.
    if (!AwaitTrue(
            [&] {
              absl::StatusOr<double> now = ReadMetric(health, "exosphere_sidecar_worker_streams");
              return now.ok() && *now <= *baseline;
            },
            absl::Seconds(60))) {
      return absl::DeadlineExceededError("the sidecar kept the burst's streams for 60 s");
    }
    std::printf("# sidecar pid %d idle after the streams burst\n", static_cast<int>(pid));
    std::fflush(stdout);
    absl::SleepFor(settle);
    std::printf(
        "sidecar_memory phase=streams count=%d rss_before_kib=%lld rss_peak_kib=%lld "
        "rss_after_kib=%lld\n",
        streams, static_cast<long long>(before.rss_kib), static_cast<long long>(peak),
        static_cast<long long>(SampleProcess(pid).rss_kib));
    std::fflush(stdout);
  }

  const int64_t states = absl::GetFlag(FLAGS_memory_states);
  const int64_t bytes = absl::GetFlag(FLAGS_memory_output_bytes);
  if (states > 0 && bytes > 0) {
    if (absl::Status preloaded = PreloadStates(target, states); !preloaded.ok()) return preloaded;
    absl::StatusOr<SettledReports> reports_before = ReadSettledReports(health);
    if (!reports_before.ok()) return reports_before.status();
    const ProcessSample before = SampleProcess(pid);
    int64_t peak = before.rss_kib;
    for (auto& worker : workers) {
      worker->SetOutputBytes(bytes);
      worker->Start();
    }
    bool settled = false;
    const absl::Time deadline = absl::Now() + absl::Minutes(2);
    while (!settled && absl::Now() < deadline) {
      peak = std::max(peak, SampleProcess(pid).rss_kib);
      absl::StatusOr<SettledReports> reports = ReadSettledReports(health);
      if (!reports.ok()) return reports.status();
      if (reports->rejected > reports_before->rejected) {
        return absl::FailedPreconditionError(
            "the state manager rejected large reports; see the sidecar's log");
      }
      settled = reports->settled - reports_before->settled >= states;
      absl::SleepFor(absl::Milliseconds(5));
    }
    for (auto& worker : workers) {
      worker->Pause();
      worker->SetOutputBytes(0);
    }
    if (!settled) return absl::DeadlineExceededError("large reports not settled in 2 minutes");
    absl::SleepFor(settle);
    std::printf(
        "sidecar_memory phase=large_outputs states=%lld output_bytes=%lld rss_before_kib=%lld "
        "rss_peak_kib=%lld rss_after_kib=%lld\n",
        static_cast<long long>(states), static_cast<long long>(bytes),
        static_cast<long long>(before.rss_kib), static_cast<long long>(peak),
        static_cast<long long>(SampleProcess(pid).rss_kib));
    std::fflush(stdout);
  }
  return absl::OkStatus();
}

int Run() {
  const int64_t states = absl::GetFlag(FLAGS_states);
  const int batch = absl::GetFlag(FLAGS_batch);
  const bool pin = absl::GetFlag(FLAGS_pin) && std::thread::hardware_concurrency() >= 2;
  // Children inherit the affinity: the sidecar shares CPU 1 with this process's clients and
  // workers; the devserver is started on CPU 0 through taskset.
  if (pin && !PinToCpu(1)) return Fail("cannot pin to CPU 1");
  std::vector<std::string> devserver_argv = {BinaryNextToThisOne("exosphere-devserver"), "--listen",
                                             "127.0.0.1:0", "--api-key", "bench-key"};
  if (pin) devserver_argv.insert(devserver_argv.begin(), {"/usr/bin/taskset", "-c", "0"});
  absl::StatusOr<std::unique_ptr<harness::ChildProcess>> server =
      harness::ChildProcess::Start({devserver_argv, {}, /*echo_stderr=*/true, "devserver"});
  if (!server.ok()) return Fail(std::string(server.status().message()));
  absl::StatusOr<std::string> listening = (*server)->WaitForStdoutLine(
      [](const std::string& line) { return line.rfind("listening on http://", 0) == 0; },
      absl::Seconds(20));
  if (!listening.ok()) return Fail("the devserver did not start");
  const std::string base_url = listening->substr(std::string("listening on ").size());
  LoadTarget target;
  target.port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
  target.api_key = "bench-key";
  if (absl::Status prepared = PrepareGraph(target); !prepared.ok()) {
    return Fail(std::string(prepared.message()));
  }

  // Removed with the socket when Run returns, whichever way.
  absl::StatusOr<std::unique_ptr<harness::ScratchDir>> dir = harness::ScratchDir::Create();
  if (!dir.ok()) return Fail(std::string(dir.status().message()));
  const std::string socket = absl::StrCat("unix:", (*dir)->File("sidecar.sock"));
  std::vector<std::string> sidecar_argv = {
      SidecarBinary(),
      "--state-manager-uri",
      base_url,
      "--listen",
      socket,
      "--max-batch",
      absl::StrCat(batch),
      "--http-connections",
      absl::StrCat(absl::GetFlag(FLAGS_http_connections)),
      "--max-streams",
      absl::StrCat(
          std::max(1000, absl::GetFlag(FLAGS_workers) + absl::GetFlag(FLAGS_memory_streams))),
      "--health-listen",
      "127.0.0.1:0",
      "--log-level",
      "warn"};
  for (const std::string& arg : absl::GetFlag(FLAGS_sidecar_args)) sidecar_argv.push_back(arg);
  absl::StatusOr<std::unique_ptr<harness::ChildProcess>> sidecar =
      harness::ChildProcess::Start({sidecar_argv, SidecarEnvironment(target.api_key),
                                    /*echo_stderr=*/true, "sidecar"});
  if (!sidecar.ok()) return Fail(std::string(sidecar.status().message()));
  if (!(*sidecar)
           ->WaitForStdoutLine(
               [](const std::string& line) { return line.rfind("listening on", 0) == 0; },
               absl::Seconds(20))
           .ok()) {
    return Fail("the sidecar did not start");
  }
  absl::StatusOr<std::string> health_line = (*sidecar)->WaitForStdoutLine(
      [](const std::string& line) { return line.rfind("health on http://", 0) == 0; },
      absl::Seconds(20));
  if (!health_line.ok()) return Fail("the sidecar did not print its health address");
  httplib::Client health(health_line->substr(std::string("health on ").size()));
  const pid_t pid = (*sidecar)->pid();
  const ProcessSample started = SampleProcess(pid);

  std::vector<std::unique_ptr<NoopWorker>> workers;
  for (int i = 0; i < absl::GetFlag(FLAGS_workers); ++i) {
    workers.push_back(std::make_unique<NoopWorker>(
        grpc::CreateChannel(socket, grpc::InsecureChannelCredentials()),
        WorkerOptions(target, absl::GetFlag(FLAGS_slots))));
  }
  for (auto& worker : workers) {
    if (!worker->AwaitRegistered(absl::Seconds(20))) return Fail("a worker was not registered");
  }
  const ProcessSample idle = SampleProcess(pid);
  std::printf(
      "# sidecar-bench: %u hardware threads (%s), %lld states per phase, batch=%d, "
      "%zu workers x %d slots, sidecar http_connections=%d\n",
      std::thread::hardware_concurrency(),
      pin ? "devserver on CPU 0, the rest on CPU 1" : "not pinned", static_cast<long long>(states),
      batch, workers.size(), absl::GetFlag(FLAGS_slots), absl::GetFlag(FLAGS_http_connections));
  std::printf("sidecar_idle rss_started_kib=%lld rss_idle_with_workers_kib=%lld\n",
              static_cast<long long>(started.rss_kib), static_cast<long long>(idle.rss_kib));
  std::fflush(stdout);

  std::vector<double> raw_rates;
  std::vector<double> sidecar_rates;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    // The devserver alone, driven by keep-alive HTTP clients.
    if (absl::Status preloaded = PreloadStates(target, states); !preloaded.ok()) {
      return Fail(std::string(preloaded.message()));
    }
    const LoadResult raw =
        RunClaimExecuteLoad(target, absl::GetFlag(FLAGS_raw_clients), batch, absl::Hours(1));
    raw_rates.push_back(raw.StatesPerSecond());
    std::printf("%s\n", raw.Line().c_str());
    std::fflush(stdout);

    // The same number of states through the sidecar and the no-op workers.
    if (absl::Status preloaded = PreloadStates(target, states); !preloaded.ok()) {
      return Fail(std::string(preloaded.message()));
    }
    for (auto& worker : workers) worker->Reset();
    absl::StatusOr<SettledReports> reports_before = ReadSettledReports(health);
    if (!reports_before.ok()) return Fail(std::string(reports_before.status().message()));
    const ProcessSample before = SampleProcess(pid);
    const absl::Time start = absl::Now();
    for (auto& worker : workers) worker->Start();
    int64_t peak_rss = 0;
    while (true) {
      int64_t answered = 0;
      for (auto& worker : workers) answered += worker->answered();
      peak_rss = std::max(peak_rss, SampleProcess(pid).rss_kib);
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
    while (true) {
      absl::StatusOr<SettledReports> reports = ReadSettledReports(health);
      if (!reports.ok()) return Fail(std::string(reports.status().message()));
      if (reports->rejected > reports_before->rejected) {
        return Fail("the state manager rejected reports; see the sidecar's log");
      }
      if (reports->settled - reports_before->settled >= states) {
        end = absl::Now();
        break;
      }
      if (absl::Now() - last_answer > absl::Minutes(1)) {
        return Fail("the sidecar had not settled every report a minute after the last answer");
      }
      peak_rss = std::max(peak_rss, SampleProcess(pid).rss_kib);
      absl::SleepFor(absl::Milliseconds(1));
    }
    const ProcessSample after = SampleProcess(pid);
    std::sort(latencies.begin(), latencies.end());
    const double seconds = absl::ToDoubleSeconds(end - start);
    const double rate = static_cast<double>(states) / seconds;
    sidecar_rates.push_back(rate);
    std::printf(
        "sidecar_throughput states=%lld seconds=%.2f states_per_s=%.0f ratio_to_raw=%.2f "
        "reports_lag_ms=%.1f dispatch_p50_ms=%.3f dispatch_p99_ms=%.3f "
        "sidecar_cpu_us_per_state=%.1f rss_load_peak_kib=%lld\n",
        static_cast<long long>(states), seconds, rate, rate / raw.StatesPerSecond(),
        absl::ToDoubleMilliseconds(end - last_answer), Percentile(latencies, 0.5),
        Percentile(latencies, 0.99),
        (after.cpu_seconds - before.cpu_seconds) * 1e6 / static_cast<double>(states),
        static_cast<long long>(peak_rss));
    std::fflush(stdout);
    // Pause the workers again for the next preload.
    for (auto& worker : workers) worker->Pause();
  }
  std::sort(raw_rates.begin(), raw_rates.end());
  std::sort(sidecar_rates.begin(), sidecar_rates.end());
  const double raw_median = raw_rates[raw_rates.size() / 2];
  const double sidecar_median = sidecar_rates[sidecar_rates.size() / 2];
  std::printf("summary raw_states_per_s=%.0f sidecar_states_per_s=%.0f ratio=%.2f\n", raw_median,
              sidecar_median, sidecar_median / raw_median);
  std::fflush(stdout);
  if (absl::Status memory = RunMemoryPhase(socket, target, health, pid, workers); !memory.ok()) {
    return Fail(std::string(memory.message()));
  }
  workers.clear();
  (*sidecar)->Signal(SIGTERM);
  (void)(*sidecar)->Wait(absl::Seconds(30));
  return 0;
}

}  // namespace
}  // namespace exosphere::bench

int main(int argc, char** argv) {
  exosphere::ConfigureFlagsUsage("sidecar-bench");
  absl::SetProgramUsageMessage(
      "End-to-end throughput and dispatch latency of the sidecar next to the devserver's raw "
      "capacity.\nUsage: sidecar-bench [--states=N] [--workers=W --slots=S] [--rounds=R]");
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(normalized.size()) - 1, normalized.data());
  exosphere::log::SetLevel(exosphere::log::Level::kWarning);
  return exosphere::bench::Run();
}
