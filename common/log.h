#ifndef EXOSPHERE_COMMON_LOG_H_
#define EXOSPHERE_COMMON_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Leveled, structured logging shared by every binary. A log line is an event name (a stable
// snake_case identifier such as "state_claimed"), a human message and key/value fields. Lines go
// to stderr as text (default) or one JSON object per line. All functions are thread-safe.
//
// Never pass the API key or a secret value in a message or field: registered sensitive values
// are masked as a last line of defence, but the rule is not to log them at all.
namespace exosphere::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class Format { kText, kJson };

struct Field {
  absl::string_view key;
  absl::string_view value;
};

// Parses "debug", "info", "warn"/"warning", "error" (any case).
absl::StatusOr<Level> ParseLevel(absl::string_view text);
// Parses "text" or "json".
absl::StatusOr<Format> ParseFormat(absl::string_view text);
absl::string_view LevelName(Level level);

void SetLevel(Level level);
void SetFormat(Format format);
bool IsEnabled(Level level);

// Every later log line has each occurrence of `value` replaced by "[redacted]". Values shorter
// than 4 characters are ignored (masking them would garble ordinary text).
void RegisterSensitiveValue(std::string value);
// `text` with every registered sensitive value replaced by "[redacted]": the one redaction for
// every text that leaves the process (log lines, statuses, messages to peers, metrics).
std::string Redact(absl::string_view text);

// Replaces the stderr writer; the sink receives one complete line without the trailing newline.
// Pass nullptr to restore stderr.
using Sink = std::function<void(absl::string_view line)>;
void SetSink(Sink sink);

void Write(Level level, absl::string_view event, absl::string_view message,
           std::initializer_list<Field> fields = {});

}  // namespace exosphere::log

// EXO_LOG(kInfo, "event_name", message, {{"key", value}, ...}); arguments are not evaluated
// when the level is disabled.
#define EXO_LOG(LEVEL, ...)                                                 \
  do {                                                                      \
    if (::exosphere::log::IsEnabled(::exosphere::log::Level::LEVEL)) {      \
      ::exosphere::log::Write(::exosphere::log::Level::LEVEL, __VA_ARGS__); \
    }                                                                       \
  } while (false)

#endif  // EXOSPHERE_COMMON_LOG_H_
