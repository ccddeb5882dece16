// exosphere-reliability-worker: serves the reliability test nodes (node_names.h) through the
// sidecar, so that tests can crash, hang, slow down and kill workers at will. Prints `ready` on
// stdout once the sidecar registered the nodes, and with --print-tasks `task NODE STATE_ID` as each
// task starts. Stops on SIGINT or SIGTERM; tests usually SIGKILL it. With --streams=N one process
// hosts N independent runtimes (N worker streams to the sidecar), so that a test can put hundreds
// of streams on one sidecar without hundreds of processes.
//
//   exosphere-reliability-worker --sidecar=unix:/path/s.sock --namespace=NS --slots=4
//       [--streams=1] [--nodes=noop,sleep,poison,hang,fanout] [--deadline-ms=N] [--marker-dir=DIR]
//       [--hang-ignores-cancel] [--sleep-ignores-cancel] [--print-tasks]
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "common/flags.h"
#include "common/stop_signals.h"
#include "exosphere/client/runtime.h"
#include "tests/reliability/reliability_nodes.h"

ABSL_FLAG(std::string, sidecar, "",
          "Sidecar address (unix:/path or host:port). Default: EXOSPHERE_SIDECAR_ADDRESS, else "
          "unix:/tmp/exosphere-sidecar.sock.");
ABSL_FLAG(std::string, namespace, "reliability", "Namespace of the nodes.");
ABSL_FLAG(std::string, runtime_name, "reliability-worker", "Runtime name of the nodes.");
ABSL_FLAG(int32_t, slots, 4, "Tasks run at once (per stream).");
ABSL_FLAG(int32_t, streams, 1,
          "Worker streams (independent runtimes, each with --slots slots) this process opens.");
ABSL_FLAG(std::string, nodes, "",
          "Comma-separated nodes to serve: noop, sleep, poison, hang, fanout (default: all).");
ABSL_FLAG(int64_t, deadline_ms, 0, "Execution deadline every node declares (0: none).");
ABSL_FLAG(std::string, marker_dir, "",
          "Directory for rel-poison's abort_once markers (empty: abort_once aborts always).");
ABSL_FLAG(bool, hang_ignores_cancel, false,
          "rel-hang blocks until the process dies instead of returning once cancelled.");
ABSL_FLAG(bool, sleep_ignores_cancel, false,
          "rel-sleep sleeps its full time even when cancelled (its result arrives late).");
ABSL_FLAG(bool, print_tasks, false, "Print `task NODE STATE_ID` on stdout as each task starts.");
ABSL_FLAG(int64_t, initial_backoff_ms, 100, "First delay before reconnecting to the sidecar.");
ABSL_FLAG(int64_t, max_backoff_ms, 1000, "Longest delay between reconnection attempts.");
ABSL_FLAG(int64_t, register_timeout_ms, 60'000,
          "Exit with an error when the nodes are not registered in time (0: wait forever).");
ABSL_FLAG(int64_t, stop_grace_ms, 5'000,
          "On SIGINT/SIGTERM: how long tasks in flight may take before they are cancelled.");

namespace exosphere::reliability {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "exosphere-reliability-worker: %s\n", message.c_str());
  return 1;
}

int Run(int argc, char** argv) {
  // Blocked before any thread starts, so that only the signal thread below receives them.
  BlockStopSignals();

  absl::SetProgramUsageMessage(
      "Serves the reliability test nodes through the Exosphere sidecar.\n"
      "Usage: exosphere-reliability-worker --sidecar=ADDRESS --namespace=NS --slots=N [flags]");
  std::vector<std::string> storage;
  std::vector<char*> normalized = NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(normalized.size()) - 1, normalized.data());

  ReliabilityNodeOptions node_options;
  if (const std::string nodes = absl::GetFlag(FLAGS_nodes); !nodes.empty()) {
    node_options.nodes = absl::StrSplit(nodes, ',', absl::SkipEmpty());
  }
  node_options.deadline = absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  node_options.marker_dir = absl::GetFlag(FLAGS_marker_dir);
  node_options.hang_ignores_cancel = absl::GetFlag(FLAGS_hang_ignores_cancel);
  node_options.sleep_ignores_cancel = absl::GetFlag(FLAGS_sleep_ignores_cancel);
  node_options.print_tasks = absl::GetFlag(FLAGS_print_tasks);
  const int streams = absl::GetFlag(FLAGS_streams);
  if (streams < 1) return Fail("--streams must be at least 1");

  client::RuntimeOptions options;
  options.sidecar_address = absl::GetFlag(FLAGS_sidecar);
  options.workers = absl::GetFlag(FLAGS_slots);
  options.initial_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_initial_backoff_ms));
  options.max_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_max_backoff_ms));
  std::vector<std::unique_ptr<client::Runtime>> runtimes;
  for (int i = 0; i < streams; ++i) {
    absl::StatusOr<std::vector<std::shared_ptr<client::BaseNode>>> nodes =
        MakeReliabilityNodes(node_options);
    if (!nodes.ok()) return Fail(std::string(nodes.status().message()));
    absl::StatusOr<std::unique_ptr<client::Runtime>> created =
        client::Runtime::Create(absl::GetFlag(FLAGS_namespace), absl::GetFlag(FLAGS_runtime_name),
                                *std::move(nodes), options);
    if (!created.ok()) return Fail(std::string(created.status().message()));
    if (absl::Status started = (*created)->Start(); !started.ok()) {
      return Fail(std::string(started.message()));
    }
    runtimes.push_back(*std::move(created));
  }

  const absl::Duration grace = absl::Milliseconds(absl::GetFlag(FLAGS_stop_grace_ms));
  std::thread signal_thread([&runtimes, grace] {
    WaitForStopSignal();
    for (const std::unique_ptr<client::Runtime>& runtime : runtimes) runtime->Stop(grace);
  });

  const int64_t timeout_ms = absl::GetFlag(FLAGS_register_timeout_ms);
  const absl::Time register_deadline =
      timeout_ms > 0 ? absl::Now() + absl::Milliseconds(timeout_ms) : absl::InfiniteFuture();
  absl::Status result = absl::OkStatus();
  for (const std::unique_ptr<client::Runtime>& runtime : runtimes) {
    result = runtime->WaitUntilRegistered(register_deadline - absl::Now());
    if (!result.ok()) break;
  }
  if (result.ok()) {
    std::printf("ready\n");
    std::fflush(stdout);
    for (const std::unique_ptr<client::Runtime>& runtime : runtimes) {
      absl::Status stopped = runtime->Wait();
      if (result.ok()) result = stopped;
    }
  }
  // Wakes the signal thread (a no-op Stop when a signal already stopped the runtimes).
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  if (!result.ok()) {
    return Fail(
        absl::StrCat("stopped: ", absl::StatusCodeToString(result.code()), ": ", result.message()));
  }
  return 0;
}

}  // namespace
}  // namespace exosphere::reliability

int main(int argc, char** argv) { return exosphere::reliability::Run(argc, argv); }
