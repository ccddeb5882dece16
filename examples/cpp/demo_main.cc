// exosphere-demo: through the sidecar's Graphs service, upserts the demo graph
// (examples/cpp/demo_graph.h), triggers a run, waits for it and prints every final state with
// its outputs. Needs a sidecar and the example worker (exosphere-example-worker) serving the same
// namespace. Exits 0 when the run succeeded.
//
//   exosphere-demo [--sidecar=unix:/tmp/exosphere-sidecar.sock] [--namespace=demo]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "examples/cpp/demo_graph.h"
#include "examples/cpp/states_table.h"
#include "exosphere/client/state_manager.h"

ABSL_FLAG(std::string, sidecar, "",
          "Sidecar address (unix:/path or host:port). Default: EXOSPHERE_SIDECAR_ADDRESS, else "
          "unix:/tmp/exosphere-sidecar.sock.");
ABSL_FLAG(std::string, namespace, "demo", "Namespace of the graph (the worker's namespace).");
ABSL_FLAG(std::string, graph, "cpp-demo", "Name of the graph to create.");
ABSL_FLAG(std::string, text, "Exosphere runs background AI workflows",
          "Input text of the run (one fan-out branch per word).");
ABSL_FLAG(std::string, suffix, "!", "Store value `suffix` appended to every shouted word.");
ABSL_FLAG(int, wait_for_worker_s, 30,
          "How long to keep retrying the upsert while the worker's nodes are not registered.");
ABSL_FLAG(int, run_timeout_s, 60, "How long to wait for the run to finish.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "exosphere-demo: %s\n", message.c_str());
  return 1;
}

// Where the client looks for the sidecar, for error messages.
std::string SidecarAddressForHint() {
  if (!absl::GetFlag(FLAGS_sidecar).empty()) return absl::GetFlag(FLAGS_sidecar);
  const char* address = std::getenv("EXOSPHERE_SIDECAR_ADDRESS");
  return address != nullptr && address[0] != '\0' ? address : "unix:/tmp/exosphere-sidecar.sock";
}

std::string SigningKey() {
  const char* key = std::getenv("EXOSPHERE_DEMO_SIGNING_KEY");
  return key != nullptr && key[0] != '\0' ? key : "demo-signing-key";
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs the demo graph on the example C++ worker and prints the run's states.\n"
      "Usage: exosphere-demo [--sidecar=ADDRESS] [--namespace=NS] [--text=TEXT]");
  absl::ParseCommandLine(argc, argv);

  exosphere::client::StateManagerOptions options;
  options.sidecar_address = absl::GetFlag(FLAGS_sidecar);
  exosphere::client::StateManager state_manager(absl::GetFlag(FLAGS_namespace), options);
  const std::string graph_name = absl::GetFlag(FLAGS_graph);

  // Verification fails with "Node ... does not exist" until the worker's nodes are registered;
  // a worker started at the same time as this program may need a moment.
  const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_for_worker_s));
  absl::StatusOr<exosphere::client::Graph> graph;
  while (true) {
    graph = state_manager.UpsertGraph(graph_name, exosphere::examples::DemoGraphNodes(),
                                      {{"signing_key", SigningKey()}}, std::nullopt,
                                      exosphere::examples::DemoStoreConfig());
    const bool worker_missing =
        !graph.ok() && absl::StrContains(graph.status().message(), "does not exist");
    if (!worker_missing || absl::Now() >= give_up) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  if (!graph.ok()) {
    std::string hint;
    if (graph.status().code() == absl::StatusCode::kUnavailable) {
      hint = absl::StrCat(" (is exosphere-sidecar running at ", SidecarAddressForHint(), "?)");
    } else if (absl::StrContains(graph.status().message(), "does not exist")) {
      hint = " (is exosphere-example-worker running in the same namespace?)";
    }
    return Fail(absl::StrCat("could not create graph \"", graph_name,
                             "\": ", graph.status().message(), hint));
  }
  std::printf("Graph \"%s\" is %s (%zu nodes)\n", graph_name.c_str(),
              exosphere::client::ToString(graph->validation_status), graph->nodes.size());

  absl::StatusOr<std::string> run_id = state_manager.Trigger(
      graph_name, {{"text", absl::GetFlag(FLAGS_text)}}, {{"suffix", absl::GetFlag(FLAGS_suffix)}});
  if (!run_id.ok()) return Fail(std::string(run_id.status().message()));
  std::printf("Triggered run %s\n", run_id->c_str());
  std::fflush(stdout);

  absl::StatusOr<exosphere::client::RunStates> states =
      state_manager.WaitForRun(*run_id, absl::Seconds(absl::GetFlag(FLAGS_run_timeout_s)));
  if (!states.ok()) return Fail(std::string(states.status().message()));
  std::printf("\n%s\nRun %s: %s (%zu states)\n",
              exosphere::examples::FormatStatesTable(*states).c_str(), run_id->c_str(),
              exosphere::client::ToString(states->status), states->states.size());
  if (states->status != exosphere::client::RunStatus::kSuccess) {
    return Fail(
        absl::StrCat("run ", *run_id, " ended ", exosphere::client::ToString(states->status)));
  }
  return 0;
}
