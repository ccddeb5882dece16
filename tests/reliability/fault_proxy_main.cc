// exosphere-fault-proxy: the fault-injecting HTTP/1.1 proxy of the reliability tests as a
// process, for manual and long runs. Forwards 127.0.0.1:PORT to a loopback upstream and is
// controlled over HTTP on a second port (see tests/reliability/fault_proxy_control.h).
//
//   exosphere-fault-proxy --upstream=127.0.0.1:8000 [--listen-port=0] [--control-port=0]
//                         [--rules-file=rules.json] [--seed=N]
//
// Prints `listening on 127.0.0.1:PORT` then `control on 127.0.0.1:PORT`; stops on SIGINT or
// SIGTERM (exit 0).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/flags.h"
#include "common/stop_signals.h"
#include "tests/reliability/fault_proxy.h"
#include "tests/reliability/fault_proxy_control.h"
#include "tests/reliability/fault_proxy_json.h"

ABSL_FLAG(std::string, upstream, "", "The loopback server to forward to, HOST:PORT (required).");
ABSL_FLAG(int32_t, listen_port, 0, "Port of the proxy on 127.0.0.1 (0: a free port).");
ABSL_FLAG(int32_t, control_port, 0, "Port of the control API on 127.0.0.1 (0: a free port).");
ABSL_FLAG(std::string, rules_file, "", "A JSON rule set applied at start.");
ABSL_FLAG(uint64_t, seed, 0, "Seed of the random draws (0: random).");
ABSL_FLAG(int64_t, upstream_timeout_ms, 60'000,
          "How long the upstream may take to answer before the client gets a 502.");

namespace exosphere::reliability {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "exosphere-fault-proxy: %s\n", message.c_str());
  return 2;
}

int Run(int argc, char** argv) {
  BlockStopSignals();

  absl::SetProgramUsageMessage(
      "A fault-injecting HTTP/1.1 proxy for reliability tests (loopback only).\n"
      "Usage: exosphere-fault-proxy --upstream=127.0.0.1:PORT [--listen-port=N] "
      "[--control-port=N] [--rules-file=FILE] [--seed=N]");
  std::vector<std::string> storage;
  std::vector<char*> normalized = NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(normalized.size()) - 1, normalized.data());

  const std::string upstream = absl::GetFlag(FLAGS_upstream);
  const size_t colon = upstream.rfind(':');
  FaultProxyOptions options;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(upstream.substr(colon + 1), &options.upstream_port)) {
    return Fail("--upstream must be HOST:PORT");
  }
  options.upstream_host = upstream.substr(0, colon);
  options.listen_port = absl::GetFlag(FLAGS_listen_port);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.upstream_response_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_upstream_timeout_ms));

  absl::StatusOr<std::unique_ptr<FaultProxy>> proxy = FaultProxy::Start(options);
  if (!proxy.ok()) return Fail(std::string(proxy.status().message()));
  if (const std::string file = absl::GetFlag(FLAGS_rules_file); !file.empty()) {
    std::ifstream in(file);
    if (!in) return Fail(absl::StrCat("cannot read --rules-file ", file));
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultRules(text.str());
    absl::Status applied = rules.ok() ? (*proxy)->SetRules(*std::move(rules)) : rules.status();
    if (!applied.ok()) return Fail(std::string(applied.message()));
  }
  absl::StatusOr<std::unique_ptr<FaultProxyControl>> control =
      FaultProxyControl::Start(**proxy, absl::GetFlag(FLAGS_control_port));
  if (!control.ok()) return Fail(std::string(control.status().message()));

  std::printf("listening on %s\n", (*proxy)->address().c_str());
  std::printf("control on 127.0.0.1:%d\n", (*control)->port());
  std::fflush(stdout);

  WaitForStopSignal();
  (*control)->Stop();
  (*proxy)->Stop();
  return 0;
}

}  // namespace
}  // namespace exosphere::reliability

int main(int argc, char** argv) { return exosphere::reliability::Run(argc, argv); }
