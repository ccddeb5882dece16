#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_LOGGER_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_LOGGER_H_

#include <string>

#include "exosphere/client/log_sink.h"

namespace exosphere::client::internal {

// Sends the library's log lines to the user's LogSink (or the default one). Thread-safe as far
// as the sink is; the sink never changes after construction.
class Logger {
 public:
  explicit Logger(LogSink sink);

  void Debug(const std::string& message) const { Log(LogSeverity::kDebug, message); }
  void Info(const std::string& message) const { Log(LogSeverity::kInfo, message); }
  void Warning(const std::string& message) const { Log(LogSeverity::kWarning, message); }
  void Error(const std::string& message) const { Log(LogSeverity::kError, message); }
  void Log(LogSeverity severity, const std::string& message) const;

 private:
  const LogSink sink_;
};

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_LOGGER_H_
