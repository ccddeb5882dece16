#ifndef EXOSPHERE_CLIENT_LOG_SINK_H_
#define EXOSPHERE_CLIENT_LOG_SINK_H_

#include <functional>
#include <string>

namespace exosphere::client {

enum class LogSeverity { kDebug, kInfo, kWarning, kError };

// Receives the library's log lines (connections, registrations, rejected results). Called from
// the library's threads, possibly concurrently; must be thread-safe and must not block for long.
// Lines never contain secret values or tokens.
using LogSink = std::function<void(LogSeverity severity, const std::string& message)>;

// The default sink: one line per message on stderr, at or above the level named by the
// environment variable EXOSPHERE_LOG_LEVEL (debug, info, warn or error; default info). Setting
// EXOSPHERE_DISABLE_DEFAULT_LOGGING to any non-empty value silences it.
LogSink DefaultLogSink();

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_LOG_SINK_H_
