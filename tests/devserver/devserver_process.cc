#include "tests/devserver/devserver_process.h"

#include <signal.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace exosphere::devserver::testing {

absl::StatusOr<std::unique_ptr<DevserverProcess>> DevserverProcess::Start(
    const std::vector<std::string>& extra_args) {
  exosphere::harness::ChildProcess::Options options;
  options.argv = {exosphere::harness::BinaryPath("exosphere-devserver"),
                  "--listen",
                  "127.0.0.1:0",
                  "--api-key",
                  kApiKey,
                  "--log-level",
                  "warn"};
  options.argv.insert(options.argv.end(), extra_args.begin(), extra_args.end());
  options.env = {{"STATE_MANAGER_SECRET", std::nullopt},
                 {"EXOSPHERE_API_KEY", std::nullopt},
                 {"SECRETS_ENCRYPTION_KEY", std::nullopt},
                 {"CORS_ORIGINS", std::nullopt}};
  options.label = "devserver";
  absl::StatusOr<std::unique_ptr<exosphere::harness::ChildProcess>> process =
      exosphere::harness::ChildProcess::Start(std::move(options));
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> line =
      (*process)->WaitForStdoutLine([](const std::string&) { return true; }, absl::Seconds(30));
  if (!line.ok()) return line.status();
  constexpr absl::string_view kPrefix = "listening on http://127.0.0.1:";
  int port = 0;
  if (!absl::StartsWith(*line, kPrefix) ||
      !absl::SimpleAtoi(absl::string_view(*line).substr(kPrefix.size()), &port) || port <= 0) {
    return absl::InternalError(absl::StrCat("unexpected first stdout line: '", *line, "'"));
  }
  return std::unique_ptr<DevserverProcess>(new DevserverProcess(*std::move(process), port));
}

absl::StatusOr<int> DevserverProcess::Stop() {
  process_->Signal(SIGTERM);
  return process_->Wait(absl::Seconds(30));
}

}  // namespace exosphere::devserver::testing
