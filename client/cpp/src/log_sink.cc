#include "exosphere/client/log_sink.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace exosphere::client {
namespace {

LogSeverity ThresholdFromEnvironment() {
  const char* level = std::getenv("EXOSPHERE_LOG_LEVEL");
  if (level == nullptr) return LogSeverity::kInfo;
  const std::string name = absl::AsciiStrToLower(level);
  if (name == "debug") return LogSeverity::kDebug;
  if (name == "warn" || name == "warning") return LogSeverity::kWarning;
  if (name == "error") return LogSeverity::kError;
  return LogSeverity::kInfo;
}

const char* SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return "DEBUG";
    case LogSeverity::kInfo:
      return "INFO";
    case LogSeverity::kWarning:
      return "WARN";
    case LogSeverity::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

LogSink DefaultLogSink() {
  const char* disabled = std::getenv("EXOSPHERE_DISABLE_DEFAULT_LOGGING");
  if (disabled != nullptr && disabled[0] != '\0') {
    return [](LogSeverity, const std::string&) {};
  }
  const LogSeverity threshold = ThresholdFromEnvironment();
  return [threshold](LogSeverity severity, const std::string& message) {
    if (severity < threshold) return;
    const std::string time =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
    // One fprintf per line: stdio locks the stream, so lines of concurrent threads do not mix.
    std::fprintf(stderr, "%s %s exosphere-client: %s\n", time.c_str(), SeverityName(severity),
                 message.c_str());
  };
}

}  // namespace exosphere::client
