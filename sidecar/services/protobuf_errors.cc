#include "sidecar/services/protobuf_errors.h"

#include <mutex>

#include "google/protobuf/stubs/logging.h"

#include "common/log.h"
#include "sidecar/services/grpc_status.h"

namespace exosphere::sidecar {
namespace {

thread_local ProtobufErrorCapture* t_capture = nullptr;

void HandleProtobufLog(google::protobuf::LogLevel level, const char* /*filename*/, int /*line*/,
                       const std::string& message) {
  if (t_capture != nullptr) t_capture->Add(message);
  const std::string text = OutgoingText(message, 1024);
  if (level >= google::protobuf::LOGLEVEL_ERROR) {
    EXO_LOG(kWarning, "protobuf", text);
  } else {
    EXO_LOG(kDebug, "protobuf", text);
  }
}

}  // namespace

void ProtobufErrorCapture::Add(const std::string& line) {
  if (!errors_.empty()) errors_ += "; ";
  errors_ += line;
}

void RouteProtobufLogs() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&HandleProtobufLog); });
}

ProtobufErrorCapture::ProtobufErrorCapture() { t_capture = this; }

ProtobufErrorCapture::~ProtobufErrorCapture() { t_capture = nullptr; }

}  // namespace exosphere::sidecar
