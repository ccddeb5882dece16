// devserver-bench: the raw capacity of the devserver — claims plus executed reports per second
// with N concurrent keep-alive clients claiming batches of B — and the latency of each call.
// Prints one parseable line per configuration (see bench/README.md).

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "bench/devserver_load.h"
#include "common/flags.h"
#include "common/log.h"
#include "devserver/devserver.h"

ABSL_FLAG(std::string, target, "",
          "URL of a running devserver or state manager, e.g. http://127.0.0.1:8000. Empty: start "
          "a devserver in-process on a free port.");
ABSL_FLAG(std::string, api_key, "bench-key", "API key for --target (x-api-key).");
ABSL_FLAG(std::string, clients, "1,4,16", "Comma-separated numbers of concurrent clients.");
ABSL_FLAG(int32_t, batch, 16, "batch_size of each claim (the sidecar claims 16).");
ABSL_FLAG(int64_t, states, 100000, "States preloaded before each configuration.");
ABSL_FLAG(double, duration_s, 5.0, "Seconds each configuration runs (less if the states run out).");
ABSL_FLAG(std::string, namespace_name, "bench", "Namespace for the bench graph and states.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "devserver-bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures claims + executed reports per second against a devserver.\n"
      "Usage: devserver-bench [--clients=1,4,16] [--batch=16] [--states=N] [--duration-s=S] "
      "[--target=URL --api-key=KEY]");
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(argc, normalized.data());
  exosphere::log::SetLevel(exosphere::log::Level::kWarning);

  std::vector<int> client_counts;
  for (absl::string_view item : absl::StrSplit(absl::GetFlag(FLAGS_clients), ',')) {
    int count;
    if (!absl::SimpleAtoi(item, &count) || count < 1) return Fail("bad --clients");
    client_counts.push_back(count);
  }
  exosphere::bench::LoadTarget target;
  target.namespace_name = absl::GetFlag(FLAGS_namespace_name);
  std::unique_ptr<exosphere::devserver::Devserver> server;
  std::string description;
  const std::string url = absl::GetFlag(FLAGS_target);
  if (url.empty()) {
    exosphere::devserver::DevserverOptions options;
    options.port = 0;
    options.api_key = "bench-key";
    absl::StatusOr<std::unique_ptr<exosphere::devserver::Devserver>> started =
        exosphere::devserver::Devserver::Start(options);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    server = *std::move(started);
    target.port = server->port();
    target.api_key = "bench-key";
    description = "in-process devserver " + server->base_url();
  } else {
    absl::string_view rest = url;
    if (!absl::ConsumePrefix(&rest, "http://")) return Fail("--target must start with http://");
    rest = absl::StripSuffix(rest, "/");
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(rest.substr(colon + 1), &target.port)) {
      return Fail("--target must be http://HOST:PORT");
    }
    target.host = std::string(rest.substr(0, colon));
    target.api_key = absl::GetFlag(FLAGS_api_key);
    description = "target " + url;
  }

  std::printf(
      "# devserver-bench: %s, %u hardware threads, batch=%d, states=%lld per configuration\n",
      description.c_str(), std::thread::hardware_concurrency(), absl::GetFlag(FLAGS_batch),
      static_cast<long long>(absl::GetFlag(FLAGS_states)));
  std::fflush(stdout);
  absl::Status prepared = exosphere::bench::PrepareGraph(target);
  if (!prepared.ok()) return Fail(prepared.ToString());
  for (int clients : client_counts) {
    absl::Status preloaded = exosphere::bench::PreloadStates(target, absl::GetFlag(FLAGS_states));
    if (!preloaded.ok()) return Fail(preloaded.ToString());
    exosphere::bench::LoadResult result =
        exosphere::bench::RunClaimExecuteLoad(target, clients, absl::GetFlag(FLAGS_batch),
                                              absl::Seconds(absl::GetFlag(FLAGS_duration_s)));
    std::printf("%s\n", result.Line().c_str());
    std::fflush(stdout);
  }
  return 0;
}
