// exosphere-example-worker: serves the example nodes (examples/cpp/example_nodes.h) through the
// sidecar until SIGINT or SIGTERM. Prints "worker registered" once the sidecar has registered
// its nodes with the state manager, so that scripts can wait for it.
//
//   exosphere-example-worker [--sidecar=unix:/tmp/exosphere-sidecar.sock] [--namespace=demo]
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "examples/cpp/example_nodes.h"
#include "exosphere/client/runtime.h"

ABSL_FLAG(std::string, sidecar, "",
          "Sidecar address (unix:/path or host:port). Default: EXOSPHERE_SIDECAR_ADDRESS, else "
          "unix:/tmp/exosphere-sidecar.sock.");
ABSL_FLAG(std::string, namespace, "demo", "Namespace of the nodes.");
ABSL_FLAG(std::string, runtime_name, "cpp-example-worker", "Runtime name of the nodes.");
ABSL_FLAG(int, workers, 4, "Tasks run at once.");
ABSL_FLAG(int, register_timeout_s, 60,
          "Exit with an error when the nodes are not registered within this many seconds "
          "(0: wait forever).");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "exosphere-example-worker: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves the example C++ nodes through the Exosphere sidecar.\n"
      "Usage: exosphere-example-worker [--sidecar=ADDRESS] [--namespace=NS]");
  absl::ParseCommandLine(argc, argv);

  // Blocked before any thread starts, so that every thread inherits the mask and only the
  // signal thread below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  exosphere::client::RuntimeOptions options;
  options.sidecar_address = absl::GetFlag(FLAGS_sidecar);
  options.workers = absl::GetFlag(FLAGS_workers);
  absl::StatusOr<std::unique_ptr<exosphere::client::Runtime>> created =
      exosphere::client::Runtime::Create(absl::GetFlag(FLAGS_namespace),
                                         absl::GetFlag(FLAGS_runtime_name),
                                         exosphere::examples::ExampleNodes(), options);
  if (!created.ok()) return Fail(std::string(created.status().message()));
  exosphere::client::Runtime& runtime = **created;
  if (absl::Status started = runtime.Start(); !started.ok()) {
    return Fail(std::string(started.message()));
  }

  std::thread signal_thread([&runtime, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    runtime.Stop();
  });

  const int timeout_s = absl::GetFlag(FLAGS_register_timeout_s);
  absl::Status registered = runtime.WaitUntilRegistered(timeout_s > 0 ? absl::Seconds(timeout_s)
                                                                      : absl::InfiniteDuration());
  absl::Status result = registered;
  if (registered.ok()) {
    std::printf("worker registered\n");
    std::fflush(stdout);
    result = runtime.Wait();
  }
  // Wakes the signal thread (a no-op Stop when a signal already stopped the runtime).
  // The thread is blocked in sigwait for exactly this signal, so it wakes up; nothing is killed.
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  if (!result.ok()) {
    return Fail(
        absl::StrCat("stopped: ", absl::StatusCodeToString(result.code()), ": ", result.message()));
  }
  return 0;
}
