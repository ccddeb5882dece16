#include "tests/cli/cli_runner.h"

#include <optional>
#include <sstream>

#include "cli/app.h"

namespace exosphere::cli::testing {

absl::Time SkippingClock::Now() const {
  absl::MutexLock lock(&time_mu_);
  return now_;
}

bool SkippingClock::AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                      absl::Time deadline) const {
  if (condition.Eval()) return true;
  {
    absl::MutexLock lock(&time_mu_);
    if (deadline > now_ && deadline != absl::InfiniteFuture()) now_ = deadline;
  }
  return condition.Eval();
}

CliResult RunCliWith(sidecar::HttpClient& http, const std::vector<std::string>& args,
                     const CliRunOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  Terminal terminal{out, err, options.is_terminal, options.width};
  SkippingClock clock;
  const std::map<std::string, std::string> env = options.env;
  AppEnvironment environment{terminal,
                             [env](const std::string& name) -> std::optional<std::string> {
                               auto it = env.find(name);
                               if (it == env.end()) return std::nullopt;
                               return it->second;
                             },
                             clock, &http};
  CliResult result;
  result.exit_code = RunCli(args, environment);
  result.out = out.str();
  result.err = err.str();
  return result;
}

}  // namespace exosphere::cli::testing
