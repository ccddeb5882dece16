#ifndef EXOSPHERE_CLI_ERROR_REPORT_H_
#define EXOSPHERE_CLI_ERROR_REPORT_H_

#include <string>

#include "absl/status/status.h"

#include "cli/exit_code.h"

namespace exosphere::cli {

// Marks `status` as the user's mistake found before anything was sent (exit code 2).
absl::Status UsageError(absl::Status status);

// The line exospherectl prints for a failed command, and its exit code.
struct ErrorReport {
  std::string message;
  ExitCode exit_code;
};

// Turns a command's error into what the user reads: transport failures name the URI and the
// cause (exit 4), a refused key says which settings hold it (exit 1), and every occurrence of
// `api_key` is masked in case a server echoed it.
ErrorReport ReportError(const absl::Status& status, const std::string& uri,
                        const std::string& api_key);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_ERROR_REPORT_H_
