#include "cli/error_report.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace exosphere::cli {
namespace {

constexpr char kUsagePayload[] = "type.exosphere.dev/exosphere.cli.Usage";

}  // namespace

absl::Status UsageError(absl::Status status) {
  status.SetPayload(kUsagePayload, absl::Cord());
  return status;
}

ErrorReport ReportError(const absl::Status& status, const std::string& uri,
                        const std::string& api_key) {
  std::string message(status.message());
  if (!api_key.empty()) message = absl::StrReplaceAll(message, {{api_key, "***"}});
  if (status.GetPayload(kUsagePayload).has_value()) return {message, ExitCode::kUsage};
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (absl::StrContains(message, ": HTTP 5")) {
        return {absl::StrCat("the state manager at ", uri, " failed: ", message),
                ExitCode::kUnreachable};
      }
      return {absl::StrCat("cannot reach the state manager at ", uri, ": ", message),
              ExitCode::kUnreachable};
    case absl::StatusCode::kDeadlineExceeded:
      return {absl::StrCat("the state manager at ", uri, " did not answer in time: ", message),
              ExitCode::kUnreachable};
    case absl::StatusCode::kUnauthenticated:
      return {absl::StrCat(message,
                           "; check EXOSPHERE_API_KEY, EXOSPHERE_API_KEY_FILE or --api-key-file"),
              ExitCode::kFailed};
    default:
      return {message, ExitCode::kFailed};
  }
}

}  // namespace exosphere::cli
