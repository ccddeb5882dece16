#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace exosphere::log {
namespace {

constexpr char kRedacted[] = "[redacted]";

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};

struct Output {
  absl::Mutex mu;
  Sink sink ABSL_GUARDED_BY(mu);
  std::vector<std::string> sensitive_values ABSL_GUARDED_BY(mu);
};

Output& GetOutput() {
  // Leaked on purpose: threads may still log while static destructors run at exit.
  static Output* const output = new Output();
  return *output;
}

bool NeedsQuoting(absl::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::string JsonString(absl::string_view value) {
  // `replace` keeps a line valid JSON when a message carries invalid UTF-8 from a peer.
  return nlohmann::json(std::string(value))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatText(absl::Time now, Level level, absl::string_view event,
                       absl::string_view message, std::initializer_list<Field> fields) {
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()), " ",
                   absl::AsciiStrToUpper(LevelName(level)), " ", event);
  if (!message.empty()) absl::StrAppend(&line, ": ", message);
  for (const Field& field : fields) {
    absl::StrAppend(&line, " ", field.key, "=",
                    NeedsQuoting(field.value) ? JsonString(field.value) : std::string(field.value));
  }
  return line;
}

std::string FormatJson(absl::Time now, Level level, absl::string_view event,
                       absl::string_view message, std::initializer_list<Field> fields) {
  std::string line = absl::StrCat(
      "{\"time\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", now, absl::UTCTimeZone()),
      "\",\"level\":\"", LevelName(level), "\",\"event\":", JsonString(event),
      ",\"message\":", JsonString(message));
  for (const Field& field : fields) {
    absl::StrAppend(&line, ",", JsonString(field.key), ":", JsonString(field.value));
  }
  line += "}";
  return line;
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warn" || lower == "warning") return Level::kWarning;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", text, "'; use debug, info, warn or error"));
}

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "text") return Format::kText;
  if (lower == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format '", text, "'; use text or json"));
}

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

void SetFormat(Format format) {
  g_format.store(static_cast<int>(format), std::memory_order_relaxed);
}

bool IsEnabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void RegisterSensitiveValue(std::string value) {
  if (value.size() < 4) return;
  Output& output = GetOutput();
  absl::MutexLock lock(&output.mu);
  for (const std::string& known : output.sensitive_values) {
    if (known == value) return;
  }
  output.sensitive_values.push_back(std::move(value));
}

namespace {

void RedactLocked(const Output& output, std::string& text)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(output.mu) {
  for (const std::string& value : output.sensitive_values) {
    if (text.find(value) != std::string::npos) {
      text = absl::StrReplaceAll(text, {{value, kRedacted}});
    }
  }
}

}  // namespace

std::string Redact(absl::string_view text) {
  std::string redacted(text);
  Output& output = GetOutput();
  absl::MutexLock lock(&output.mu);
  RedactLocked(output, redacted);
  return redacted;
}

void SetSink(Sink sink) {
  Output& output = GetOutput();
  absl::MutexLock lock(&output.mu);
  output.sink = std::move(sink);
}

void Write(Level level, absl::string_view event, absl::string_view message,
           std::initializer_list<Field> fields) {
  const absl::Time now = absl::Now();
  std::string line = static_cast<Format>(g_format.load(std::memory_order_relaxed)) == Format::kJson
                         ? FormatJson(now, level, event, message, fields)
                         : FormatText(now, level, event, message, fields);
  Output& output = GetOutput();
  absl::MutexLock lock(&output.mu);
  RedactLocked(output, line);
  if (output.sink) {
    output.sink(line);
    return;
  }
  line += '\n';
  // One write(2) per line keeps lines from different processes sharing stderr whole.
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
}

}  // namespace exosphere::log
