// sidecar-bench: end-to-end throughput of devserver + exosphere-sidecar + no-op C++ workers, next
// to the devserver's raw capacity measured in the same run on the same preloaded states; plus the
// dispatch latency (claim reply to the worker receiving the task), the sidecar's CPU time per
// state and its memory (RSS) idle, under load and with many slow tasks in flight. With
// --compare-bin, two sidecar builds side by side in one run. Prints one parseable line per phase
// (see bench/README.md).

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

#include "bench/devserver_load.h"
#include "bench/sidecar_under_test.h"
#include "common/flags.h"
#include "common/log.h"
#include "harness/child_process.h"

ABSL_FLAG(int64_t, states, 20000, "States preloaded for each phase.");
ABSL_FLAG(int32_t, rounds, 2,
          "Rounds of (raw devserver, sidecar A[, sidecar B]) phases, interleaved.");
ABSL_FLAG(int32_t, raw_clients, 8, "Concurrent clients of the raw devserver phase.");
ABSL_FLAG(int32_t, workers, 4, "No-op worker streams connected to the sidecar.");
ABSL_FLAG(int32_t, slots, 16, "Slots of each worker.");
ABSL_FLAG(int32_t, batch, 16, "Claim batch of both phases (the sidecar's --max-batch).");
ABSL_FLAG(int32_t, http_connections, 8, "The sidecar's --http-connections.");
ABSL_FLAG(std::string, sidecar_bin, "",
          "The exosphere-sidecar binary, labelled A (default: next to this benchmark).");
ABSL_FLAG(std::string, compare_bin, "",
          "A second exosphere-sidecar binary, labelled B: each round then runs raw, A, B, and "
          "the slow and memory phases run on both (empty: A only).");
ABSL_FLAG(int32_t, slow_in_flight, 1000,
          "Slow-workers phase after the rounds: worker slots in all, so that this many tasks can "
          "be in flight at once (0: skip).");
ABSL_FLAG(int32_t, slow_workers, 10, "Slow-workers phase: worker streams sharing the slots.");
ABSL_FLAG(int64_t, slow_task_ms, 2000,
          "Slow-workers phase: how long a worker holds each task before answering executed.");
ABSL_FLAG(int64_t, slow_states, 3000, "Slow-workers phase: states preloaded (0: skip).");
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
ABSL_FLAG(std::vector<std::string>, compare_args, {},
          "Extra flags of sidecar B only, after --sidecar-args. Without --compare-bin, B is A's "
          "binary: one build under two settings side by side (e.g. --max-unsent-reports=64).");
ABSL_FLAG(bool, pin, true,
          "On a machine with 2+ CPUs, run the devserver on CPU 0 and everything else (load "
          "clients, sidecar, workers) on CPU 1, as if the state manager had a machine of its own.");

namespace exosphere::bench {
namespace {

std::string BinaryNextToThisOne(const std::string& name) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, length > 0 ? static_cast<size_t>(length) : 0);
  return path.substr(0, path.rfind('/') + 1) + name;
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

int Fail(const std::string& message) {
  std::fprintf(stderr, "sidecar-bench: %s\n", message.c_str());
  return 1;
}

int Fail(const absl::Status& status) { return Fail(std::string(status.message())); }

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The rounds' throughput phases of one sidecar, for the summary.
struct Rounds {
  std::vector<double> states_per_s;
  std::vector<double> ratio_to_raw;
  std::vector<double> cpu_us_per_state;
  std::vector<double> dispatch_p50_ms;
  std::vector<double> dispatch_p99_ms;
  std::vector<double> rss_load_peak_kib;

  void Add(const PhaseResult& phase, double raw_states_per_s) {
    states_per_s.push_back(phase.states_per_s);
    ratio_to_raw.push_back(phase.states_per_s / raw_states_per_s);
    cpu_us_per_state.push_back(phase.cpu_us_per_state);
    dispatch_p50_ms.push_back(phase.dispatch_p50_ms);
    dispatch_p99_ms.push_back(phase.dispatch_p99_ms);
    rss_load_peak_kib.push_back(static_cast<double>(phase.rss_peak_kib));
  }
};

int Run() {
  const int64_t states = absl::GetFlag(FLAGS_states);
  const int batch = absl::GetFlag(FLAGS_batch);
  const bool pin = absl::GetFlag(FLAGS_pin) && std::thread::hardware_concurrency() >= 2;
  // Children inherit the affinity: the sidecars share CPU 1 with this process's clients and
  // workers; the devserver is started on CPU 0 through taskset.
  if (pin && !PinToCpu(1)) return Fail("cannot pin to CPU 1");
  std::vector<std::string> devserver_argv = {BinaryNextToThisOne("exosphere-devserver"), "--listen",
                                             "127.0.0.1:0", "--api-key", "bench-key"};
  if (pin) devserver_argv.insert(devserver_argv.begin(), {"/usr/bin/taskset", "-c", "0"});
  absl::StatusOr<std::unique_ptr<harness::ChildProcess>> server =
      harness::ChildProcess::Start({devserver_argv, {}, /*echo_stderr=*/true, "devserver"});
  if (!server.ok()) return Fail(server.status());
  absl::StatusOr<std::string> listening = (*server)->WaitForStdoutLine(
      [](const std::string& line) { return line.rfind("listening on http://", 0) == 0; },
      absl::Seconds(20));
  if (!listening.ok()) return Fail("the devserver did not start");
  const std::string base_url = listening->substr(std::string("listening on ").size());
  LoadTarget target;
  target.port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
  target.api_key = "bench-key";
  if (absl::Status prepared = PrepareGraph(target); !prepared.ok()) return Fail(prepared);

  // Both sidecars run side by side against the same devserver for the whole run; the one not
  // measured has its workers paused (no free slot, so it claims nothing).
  std::vector<std::pair<std::string, std::string>> binaries = {
      {"A", absl::GetFlag(FLAGS_sidecar_bin).empty() ? BinaryNextToThisOne("exosphere-sidecar")
                                                     : absl::GetFlag(FLAGS_sidecar_bin)}};
  if (!absl::GetFlag(FLAGS_compare_bin).empty()) {
    binaries.emplace_back("B", absl::GetFlag(FLAGS_compare_bin));
  } else if (!absl::GetFlag(FLAGS_compare_args).empty()) {
    binaries.emplace_back("B", binaries.front().second);
  }
  const int slow_in_flight = absl::GetFlag(FLAGS_slow_in_flight);
  const int64_t slow_states = absl::GetFlag(FLAGS_slow_states);
  const bool run_slow = slow_in_flight > 0 && slow_states > 0;
  const int slow_workers = std::max(1, absl::GetFlag(FLAGS_slow_workers));
  std::vector<std::unique_ptr<SidecarUnderTest>> sidecars;
  for (const auto& [label, binary] : binaries) {
    SidecarSetup setup;
    setup.binary = binary;
    setup.label = label;
    setup.target = target;
    setup.state_manager_url = base_url;
    setup.batch = batch;
    setup.http_connections = absl::GetFlag(FLAGS_http_connections);
    setup.max_streams =
        std::max(1000, absl::GetFlag(FLAGS_workers) + absl::GetFlag(FLAGS_memory_streams) +
                           (run_slow ? slow_workers : 0));
    setup.extra_args = absl::GetFlag(FLAGS_sidecar_args);
    if (label == "B") {
      const std::vector<std::string> compare_args = absl::GetFlag(FLAGS_compare_args);
      setup.extra_args.insert(setup.extra_args.end(), compare_args.begin(), compare_args.end());
    }
    setup.env = SidecarEnvironment(target.api_key);
    setup.workers = absl::GetFlag(FLAGS_workers);
    setup.slots = absl::GetFlag(FLAGS_slots);
    absl::StatusOr<std::unique_ptr<SidecarUnderTest>> sidecar = SidecarUnderTest::Start(setup);
    if (!sidecar.ok()) return Fail(sidecar.status());
    sidecars.push_back(*std::move(sidecar));
  }
  std::printf(
      "# sidecar-bench: %u hardware threads (%s), %lld states per phase, batch=%d, "
      "%d workers x %d slots, sidecar http_connections=%d\n",
      std::thread::hardware_concurrency(),
      pin ? "devserver on CPU 0, the rest on CPU 1" : "not pinned", static_cast<long long>(states),
      batch, absl::GetFlag(FLAGS_workers), absl::GetFlag(FLAGS_slots),
      absl::GetFlag(FLAGS_http_connections));
  for (const auto& sidecar : sidecars) {
    const std::vector<std::string> compare_args = absl::GetFlag(FLAGS_compare_args);
    const std::string own_args = sidecar->label() == "B" && !compare_args.empty()
                                     ? absl::StrCat(" args=", absl::StrJoin(compare_args, ","))
                                     : "";
    std::printf("# sidecar %s pid=%d bin=%s%s\n", sidecar->label().c_str(),
                static_cast<int>(sidecar->pid()), sidecar->binary().c_str(), own_args.c_str());
    std::printf("sidecar_idle sidecar=%s rss_started_kib=%lld rss_idle_with_workers_kib=%lld\n",
                sidecar->label().c_str(), static_cast<long long>(sidecar->rss_started_kib()),
                static_cast<long long>(sidecar->rss_idle_with_workers_kib()));
  }
  std::fflush(stdout);

  std::vector<double> raw_rates;
  std::vector<Rounds> rounds(sidecars.size());
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    // The devserver alone, driven by keep-alive HTTP clients.
    if (absl::Status preloaded = PreloadStates(target, states); !preloaded.ok()) {
      return Fail(preloaded);
    }
    const LoadResult raw =
        RunClaimExecuteLoad(target, absl::GetFlag(FLAGS_raw_clients), batch, absl::Hours(1));
    raw_rates.push_back(raw.StatesPerSecond());
    std::printf("%s\n", raw.Line().c_str());
    std::fflush(stdout);

    // The same number of states through each sidecar and its no-op workers, in turn.
    for (size_t i = 0; i < sidecars.size(); ++i) {
      absl::StatusOr<PhaseResult> phase =
          sidecars[i]->RunThroughputPhase(absl::StrCat("throughput round=", round + 1), states);
      if (!phase.ok()) return Fail(phase.status());
      rounds[i].Add(*phase, raw.StatesPerSecond());
      std::printf(
          "sidecar_throughput sidecar=%s round=%d states=%lld seconds=%.2f states_per_s=%.0f "
          "ratio_to_raw=%.2f reports_lag_ms=%.1f reports_behind=%lld dispatch_p50_ms=%.3f "
          "dispatch_p99_ms=%.3f sidecar_cpu_us_per_state=%.1f rss_load_peak_kib=%lld\n",
          sidecars[i]->label().c_str(), round + 1, static_cast<long long>(states), phase->seconds,
          phase->states_per_s, phase->states_per_s / raw.StatesPerSecond(), phase->reports_lag_ms,
          static_cast<long long>(phase->reports_behind), phase->dispatch_p50_ms,
          phase->dispatch_p99_ms, phase->cpu_us_per_state,
          static_cast<long long>(phase->rss_peak_kib));
      std::fflush(stdout);
    }
  }
  for (size_t i = 0; i < sidecars.size(); ++i) {
    std::printf(
        "summary sidecar=%s rounds=%zu raw_states_per_s=%.0f states_per_s=%.0f ratio=%.2f "
        "cpu_us_per_state=%.1f dispatch_p50_ms=%.3f dispatch_p99_ms=%.3f "
        "rss_load_peak_kib=%.0f\n",
        sidecars[i]->label().c_str(), raw_rates.size(), Median(raw_rates),
        Median(rounds[i].states_per_s), Median(rounds[i].ratio_to_raw),
        Median(rounds[i].cpu_us_per_state), Median(rounds[i].dispatch_p50_ms),
        Median(rounds[i].dispatch_p99_ms), Median(rounds[i].rss_load_peak_kib));
  }
  std::fflush(stdout);

  if (run_slow) {
    SlowPhaseOptions slow;
    slow.in_flight = slow_in_flight;
    slow.workers = slow_workers;
    slow.task_time = absl::Milliseconds(absl::GetFlag(FLAGS_slow_task_ms));
    slow.states = slow_states;
    for (auto& sidecar : sidecars) {
      absl::StatusOr<PhaseResult> phase = sidecar->RunSlowPhase(slow);
      if (!phase.ok()) return Fail(phase.status());
      std::printf(
          "sidecar_slow sidecar=%s slots=%d task_ms=%lld states=%lld seconds=%.2f "
          "states_per_s=%.0f in_flight_peak=%lld dispatch_p50_ms=%.3f dispatch_p99_ms=%.3f "
          "sidecar_cpu_us_per_state=%.1f rss_before_kib=%lld rss_peak_kib=%lld\n",
          sidecar->label().c_str(),
          slow_workers * ((slow_in_flight + slow_workers - 1) / slow_workers),
          static_cast<long long>(absl::ToInt64Milliseconds(slow.task_time)),
          static_cast<long long>(slow_states), phase->seconds, phase->states_per_s,
          static_cast<long long>(phase->in_flight_peak), phase->dispatch_p50_ms,
          phase->dispatch_p99_ms, phase->cpu_us_per_state,
          static_cast<long long>(phase->rss_before_kib),
          static_cast<long long>(phase->rss_peak_kib));
      std::fflush(stdout);
    }
  }

  for (auto& sidecar : sidecars) {
    if (absl::Status memory = sidecar->RunMemoryPhase(
            absl::GetFlag(FLAGS_memory_streams), absl::GetFlag(FLAGS_memory_states),
            absl::GetFlag(FLAGS_memory_output_bytes),
            absl::Milliseconds(absl::GetFlag(FLAGS_memory_settle_ms)));
        !memory.ok()) {
      return Fail(memory);
    }
  }
  for (auto& sidecar : sidecars) sidecar->Stop();
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
