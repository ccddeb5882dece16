#ifndef EXOSPHERE_TESTS_CLI_CLI_RUNNER_H_
#define EXOSPHERE_TESTS_CLI_CLI_RUNNER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include "sidecar/transport/http_client.h"

namespace exosphere::cli::testing {

// A clock whose sleeps return at once, moving time to their deadline, so that polling loops run
// without real waiting. Thread-safe.
class SkippingClock final : public Clock {
 public:
  absl::Time Now() const override;
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) const override;

 private:
  mutable absl::Mutex time_mu_;
  mutable absl::Time now_ ABSL_GUARDED_BY(time_mu_) = absl::FromUnixSeconds(1'700'000'000);
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct CliRunOptions {
  bool is_terminal = false;
  int width = 0;
  // The environment the command sees; by default a complete connection.
  std::map<std::string, std::string> env = {{"EXOSPHERE_STATE_MANAGER_URI", "http://sm.test:8000"},
                                            {"EXOSPHERE_API_KEY", "unit-test-key"},
                                            {"EXOSPHERE_NAMESPACE", "demo"}};
};

// Runs exospherectl's RunCli over `http` (a fake) with a SkippingClock and captured streams.
CliResult RunCliWith(sidecar::HttpClient& http, const std::vector<std::string>& args,
                     const CliRunOptions& options = {});

}  // namespace exosphere::cli::testing

#endif  // EXOSPHERE_TESTS_CLI_CLI_RUNNER_H_
