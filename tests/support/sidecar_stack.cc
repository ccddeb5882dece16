#include "tests/support/sidecar_stack.h"

#include <signal.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace exosphere::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr char kListeningPrefix[] = "listening on ";

// The address after "listening on " in the first line a binary prints.
absl::StatusOr<std::string> ListeningAddress(harness::ChildProcess& process,
                                             const std::string& name) {
  absl::StatusOr<std::string> line = process.WaitForStdoutLine(
      [](const std::string& text) { return absl::StartsWith(text, kListeningPrefix); },
      kStartTimeout);
  if (!line.ok()) {
    return absl::Status(
        line.status().code(),
        absl::StrCat(name, " did not report its address: ", line.status().message()));
  }
  return line->substr(std::string(kListeningPrefix).size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<SidecarStack>> SidecarStack::Start(Options options) {
  std::unique_ptr<SidecarStack> stack(new SidecarStack());
  absl::StatusOr<std::unique_ptr<harness::ScratchDir>> dir = harness::ScratchDir::Create();
  if (!dir.ok()) return dir.status();
  stack->dir_ = *std::move(dir);

  std::vector<std::string> sidecar_argv = {
      harness::BinaryPath("exosphere-sidecar"),
      absl::StrCat("--listen=unix:", stack->dir_->File("sidecar.sock")), "--poll-interval-ms=50"};
  if (options.mode == Mode::kSeparateDevserver) {
    harness::ChildProcess::Options devserver;
    devserver.argv = {harness::BinaryPath("exosphere-devserver"), "--listen=127.0.0.1:0",
                      absl::StrCat("--api-key=", options.api_key)};
    devserver.argv.insert(devserver.argv.end(), options.devserver_flags.begin(),
                          options.devserver_flags.end());
    devserver.label = "devserver";
    absl::StatusOr<std::unique_ptr<harness::ChildProcess>> started =
        harness::ChildProcess::Start(devserver);
    if (!started.ok()) return started.status();
    stack->devserver_ = *std::move(started);
    absl::StatusOr<std::string> url = ListeningAddress(*stack->devserver_, "exosphere-devserver");
    if (!url.ok()) return url.status();
    sidecar_argv.push_back(absl::StrCat("--state-manager-uri=", *url));
  } else {
    sidecar_argv.push_back("--dev");
  }
  sidecar_argv.insert(sidecar_argv.end(), options.sidecar_flags.begin(),
                      options.sidecar_flags.end());

  stack->sidecar_argv_ = std::move(sidecar_argv);
  absl::Status sidecar_started =
      stack->StartSidecar(options.sidecar_api_key.value_or(options.api_key));
  if (!sidecar_started.ok()) return sidecar_started;
  return stack;
}

absl::Status SidecarStack::StartSidecar() { return StartSidecar(sidecar_api_key_); }

absl::Status SidecarStack::StartSidecar(const std::string& api_key) {
  sidecar_api_key_ = api_key;
  sidecar_.reset();
  harness::ChildProcess::Options sidecar;
  sidecar.argv = sidecar_argv_;
  sidecar.env["EXOSPHERE_API_KEY"] = api_key;
  sidecar.label = "sidecar";
  absl::StatusOr<std::unique_ptr<harness::ChildProcess>> started =
      harness::ChildProcess::Start(sidecar);
  if (!started.ok()) return started.status();
  sidecar_ = *std::move(started);
  absl::StatusOr<std::string> address = ListeningAddress(*sidecar_, "exosphere-sidecar");
  if (!address.ok()) return address.status();
  sidecar_address_ = *address;
  return absl::OkStatus();
}

SidecarStack::~SidecarStack() {
  // A graceful stop first, so that the processes flush and exit on their own; harness::ChildProcess
  // kills and reaps whatever is still running.
  for (harness::ChildProcess* process : {sidecar_.get(), devserver_.get()}) {
    if (process == nullptr || !process->Running()) continue;
    process->Signal(SIGTERM);
    (void)process->Wait(absl::Seconds(5));
  }
}

}  // namespace exosphere::testing
