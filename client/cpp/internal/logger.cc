#include "client/cpp/internal/logger.h"

#include <exception>
#include <utility>

namespace exosphere::client::internal {

Logger::Logger(LogSink sink) : sink_(sink ? std::move(sink) : DefaultLogSink()) {}

void Logger::Log(LogSeverity severity, const std::string& message) const {
  // A throwing user sink must not take a worker thread or the connection loop down with it.
  try {
    sink_(severity, message);
  } catch (...) {
  }
}

}  // namespace exosphere::client::internal
