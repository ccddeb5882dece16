#include "tests/client/cpp/e2e_stack.h"

#include <signal.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace exosphere::client::testing {
namespace {

using ::exosphere::testing::BinaryPath;
using ::exosphere::testing::ChildProcess;
using ::exosphere::testing::ScratchDir;

constexpr absl::Duration kStartTimeout = absl::Seconds(20);
constexpr char kApiKey[] = "e2e-api-key";

// The address after "listening on " in the first line a binary prints.
absl::StatusOr<std::string> ListeningAddress(ChildProcess& process, const std::string& name) {
  absl::StatusOr<std::string> line = process.WaitForStdoutLine(
      [](const std::string& text) { return absl::StartsWith(text, "listening on "); },
      kStartTimeout);
  if (!line.ok()) {
    return absl::Status(
        line.status().code(),
        absl::StrCat(name, " did not report its address: ", line.status().message()));
  }
  return line->substr(std::string("listening on ").size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<E2eStack>> E2eStack::Start(Mode mode) {
  std::unique_ptr<E2eStack> stack(new E2eStack());
  absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create();
  if (!dir.ok()) return dir.status();
  stack->dir_ = *std::move(dir);
  const std::string socket = stack->dir_->File("sidecar.sock");

  std::vector<std::string> sidecar_argv = {
      BinaryPath("exosphere-sidecar"), absl::StrCat("--listen=unix:", socket),
      "--poll_interval_ms=50", "--drain_timeout_ms=2000", "--log_level=warn"};
  if (mode == Mode::kSeparateDevserver) {
    ChildProcess::Options devserver;
    devserver.argv = {BinaryPath("exosphere-devserver"), "--listen=127.0.0.1:0",
                      absl::StrCat("--api_key=", kApiKey), "--log_level=warn"};
    devserver.label = "devserver";
    absl::StatusOr<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(devserver);
    if (!started.ok()) return started.status();
    stack->devserver_ = *std::move(started);
    absl::StatusOr<std::string> uri = ListeningAddress(*stack->devserver_, "exosphere-devserver");
    if (!uri.ok()) return uri.status();
    sidecar_argv.push_back(absl::StrCat("--state_manager_uri=", *uri));
  } else {
    sidecar_argv.push_back("--dev");
  }

  stack->sidecar_argv_ = std::move(sidecar_argv);
  absl::Status sidecar_started = stack->StartSidecar();
  if (!sidecar_started.ok()) return sidecar_started;
  return stack;
}

absl::Status E2eStack::StartSidecar() {
  ChildProcess::Options sidecar;
  sidecar.argv = sidecar_argv_;
  sidecar.env["EXOSPHERE_API_KEY"] = kApiKey;
  sidecar.label = "sidecar";
  absl::StatusOr<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(sidecar);
  if (!started.ok()) return started.status();
  sidecar_ = *std::move(started);
  absl::StatusOr<std::string> address = ListeningAddress(*sidecar_, "exosphere-sidecar");
  if (!address.ok()) return address.status();
  sidecar_address_ = *address;
  return absl::OkStatus();
}

absl::StatusOr<int> E2eStack::StopSidecar(absl::Duration timeout) {
  sidecar_->Signal(SIGTERM);
  return sidecar_->Wait(timeout);
}

E2eStack::~E2eStack() {
  // A graceful stop first, so that the processes flush and exit on their own; ChildProcess kills
  // and reaps whatever is still running.
  for (auto* process : {sidecar_.get(), devserver_.get()}) {
    if (process == nullptr || !process->Running()) continue;
    process->Signal(SIGTERM);
    (void)process->Wait(absl::Seconds(5));
  }
}

}  // namespace exosphere::client::testing
